#include "widgets/charts_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>
#include <set>

#include "sessions/resources.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"
#include "widgets/chart_dose_curve.h"
#include "widgets/chart_export.h"
#include "widgets/chart_random_control.h"
#include "widgets/chart_transition.h"
#include "widgets/experiment_runner.h"
#include "widgets/models/session_task.h"
#include "widgets/tsne_scatter.h"

namespace mote::widgets {

namespace {

// The label order of a classifier: its declared labels if the session (or a built-in) knows the
// rules, else none (the matrix then sorts by name).
std::vector<std::string> labelOrder(sessions::SessionStore& store, const std::string& classifier) {
  try {
    if (auto rules = store.load_classifier(classifier))
      return sessions::AnswerClassifier::from_json(*rules, "session").labels();
    return sessions::AnswerClassifier::load(sessions::builtin_classifier_path(classifier)).labels();
  } catch (const std::exception&) {
    return {};
  }
}

sessions::TransitionMatrix transitionsFromJson(const nlohmann::json& j) {
  sessions::TransitionMatrix m;
  m.labels = j.at("labels").get<std::vector<std::string>>();
  m.counts = j.at("counts").get<std::vector<std::vector<std::size_t>>>();
  m.row_percent = j.at("row_percent").get<std::vector<std::vector<double>>>();
  return m;
}

QString runName(sessions::SessionStore& store, std::int64_t id) {
  try {
    return QString::fromStdString(store.run(id).config.name);
  } catch (const std::exception&) {
    return QObject::tr("run %1").arg(id);
  }
}

}  // namespace

ChartsPanel::ChartsPanel(QWidget* parent) : QWidget(parent), task_(new SessionTask(this)) {
  original_ = new QComboBox(this);
  original_->setObjectName("evalOriginal");
  tuned_ = new QComboBox(this);
  tuned_->setObjectName("evalTuned");
  classifier_ = new QComboBox(this);
  classifier_->setObjectName("evalClassifier");
  classifier_->setEditable(true);
  label_ = new QComboBox(this);
  label_->setObjectName("evalLabel");
  label_->setEditable(true);
  evaluate_ = new QPushButton(tr("Evaluate"), this);
  evaluate_->setObjectName("evaluate");
  evaluate_->setToolTip(
      tr("Transition matrix and flip rates of the tuned run against the "
         "original, and the random control if it has control runs (stored "
         "in the session, like `mote eval` / `mote control`)"));
  tsne_button_ = new QPushButton(tr("t-SNE of original"), this);
  auto* export_button = new QPushButton(tr("Export chart…"), this);
  status_ = new QLabel(this);
  status_->setWordWrap(true);

  auto* form = new QGridLayout;
  form->addWidget(new QLabel(tr("Original"), this), 0, 0);
  form->addWidget(original_, 0, 1);
  form->addWidget(new QLabel(tr("Tuned"), this), 0, 2);
  form->addWidget(tuned_, 0, 3);
  form->addWidget(new QLabel(tr("Labels"), this), 1, 0);
  form->addWidget(classifier_, 1, 1);
  form->addWidget(new QLabel(tr("Class"), this), 1, 2);
  form->addWidget(label_, 1, 3);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(evaluate_);
  buttons->addWidget(tsne_button_);
  buttons->addWidget(export_button);
  buttons->addStretch(1);
  form->addLayout(buttons, 0, 4, 2, 1);
  form->setColumnStretch(1, 1);
  form->setColumnStretch(3, 1);

  tabs_ = new QTabWidget(this);
  tabs_->setObjectName("chartTabs");
  transition_ = new widgets::TransitionChartView(tabs_);
  control_ = new widgets::RandomControlChartView(tabs_);
  dose_ = new widgets::DoseCurveChartView(tabs_);
  tsne_ = new widgets::TsneScatterView(tabs_);
  tabs_->addTab(transition_, tr("Transitions"));
  tabs_->addTab(control_, tr("Random control"));
  tabs_->addTab(dose_, tr("Dose curve"));
  tabs_->addTab(tsne_, tr("t-SNE"));

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(status_);
  layout->addWidget(tabs_, 1);

  connect(evaluate_, &QPushButton::clicked, this, &ChartsPanel::evaluate);
  connect(tsne_button_, &QPushButton::clicked, this, &ChartsPanel::computeTsne);
  connect(export_button, &QPushButton::clicked, this, &ChartsPanel::exportCurrentDialog);
  connect(original_, &QComboBox::activated, this, [this] {
    fillClassifiers();
    fillLabels();
  });
  connect(classifier_, &QComboBox::textActivated, this, &ChartsPanel::fillLabels);
  connect(tsne_, &widgets::TsneScatterView::promptActivated, this,
          [this](qint64 prompt_id) { Q_EMIT promptActivated(tsne_run_, prompt_id); });
  connect(tsne_, &widgets::TsneScatterView::computed, this, [this] {
    status_->setText(tr("t-SNE of %n prompt(s) stored (click a point to open its prompt).", nullptr,
                        tsne_->pointCount()));
    tabs_->setCurrentWidget(tsne_);
  });
  connect(tsne_, &widgets::TsneScatterView::failed, this, [this](const QString& message) {
    status_->setText(tr("t-SNE failed: %1").arg(message));
    Q_EMIT failed(message);
  });
  setEnabled(false);
}

// The task waits for a running evaluation; its result is no longer delivered.
ChartsPanel::~ChartsPanel() {
  delete task_;
}

bool ChartsPanel::isEvaluating() const {
  return task_->isBusy();
}

QString ChartsPanel::statusText() const {
  return status_->text();
}

void ChartsPanel::setStore(sessions::SessionStore* store, const QString& path) {
  store_ = store;
  path_ = path;
  transition_->setTransitions({});
  control_->setSummary({});
  dose_->setCurve({});
  status_->clear();
  reload();
  loadStored();
  setEnabled(store != nullptr);
}

void ChartsPanel::reload() {
  fillRuns();
  fillClassifiers();
  fillLabels();
}

void ChartsPanel::drawDoseCurve(const sessions::StoredResult& result) {
  dose_->setCurve(sessions::DoseCurve::from_json(result.json.at("curve")),
                  QString::fromStdString(result.json.value("label", std::string())));
}

bool ChartsPanel::showDoseCurve(qint64 result_id) {
  if (!store_) return false;
  try {
    const auto r = store_->load_result(result_id);
    if (r.kind != "dose-curve")
      throw sessions::SessionError("result " + std::to_string(result_id) + " is a " + r.kind +
                                   ", not a dose curve");
    drawDoseCurve(r);
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Dose curve %1: %2").arg(result_id).arg(QString::fromStdString(e.what())));
    return false;
  }
  tabs_->setCurrentWidget(dose_);
  return true;
}

void ChartsPanel::fillRuns() {
  const qint64 original = original_->currentData().toLongLong();
  const qint64 tuned = tuned_->currentData().toLongLong();
  const int tuned_count = tuned_->count();
  original_->clear();
  tuned_->clear();
  if (!store_) return;
  try {
    for (const auto& r : store_->list_runs()) {
      if (store_->answer_count(r.id) == 0) continue;
      const QString text = tr("%1 (run %2)").arg(QString::fromStdString(r.config.name)).arg(r.id);
      if (r.config.kind == sessions::RunKind::kOriginal)
        original_->addItem(text, static_cast<qlonglong>(r.id));
      else if (r.config.kind == sessions::RunKind::kTuned)
        tuned_->addItem(text, static_cast<qlonglong>(r.id));
    }
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
  if (int i = original_->findData(original); i >= 0) original_->setCurrentIndex(i);
  // A tuned run that just appeared is the one to evaluate next.
  if (tuned_->count() != tuned_count && tuned_->count() > 0)
    tuned_->setCurrentIndex(tuned_->count() - 1);
  else if (int i = tuned_->findData(tuned); i >= 0)
    tuned_->setCurrentIndex(i);
}

void ChartsPanel::fillClassifiers() {
  const QString current = classifier_->currentText();
  classifier_->clear();
  if (!store_ || original_->currentIndex() < 0) return;
  try {
    for (const auto& c : store_->label_classifiers(original_->currentData().toLongLong()))
      classifier_->addItem(QString::fromStdString(c));
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
  if (classifier_->findText(current) >= 0)
    classifier_->setCurrentText(current);
  else if (classifier_->findText(preferred_classifier_) >= 0)
    classifier_->setCurrentText(preferred_classifier_);
}

void ChartsPanel::fillLabels() {
  const QString current = label_->currentText();
  label_->clear();
  if (!store_ || original_->currentIndex() < 0 || classifier_->currentText().isEmpty()) return;
  try {
    const std::string classifier = classifier_->currentText().toStdString();
    std::set<std::string> present;
    for (const auto& l : store_->labels(original_->currentData().toLongLong(), classifier))
      if (!l.label.empty()) present.insert(l.label);
    for (const auto& l : labelOrder(*store_, classifier))
      if (present.erase(l)) label_->addItem(QString::fromStdString(l));
    for (const auto& l : present) label_->addItem(QString::fromStdString(l));
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
  if (label_->findText(current) >= 0) label_->setCurrentText(current);
}

bool ChartsPanel::setSelection(std::int64_t original_run, std::int64_t tuned_run,
                               const QString& classifier, const QString& label) {
  reload();
  const int o = original_->findData(static_cast<qlonglong>(original_run));
  const int t = tuned_->findData(static_cast<qlonglong>(tuned_run));
  if (o < 0 || t < 0) return false;
  original_->setCurrentIndex(o);
  tuned_->setCurrentIndex(t);
  fillClassifiers();
  classifier_->setCurrentText(classifier);
  fillLabels();
  label_->setCurrentText(label);
  return true;
}

void ChartsPanel::evaluate() {
  if (!store_ || isEvaluating()) return;
  if (original_->currentIndex() < 0 || tuned_->currentIndex() < 0 ||
      classifier_->currentText().isEmpty() || label_->currentText().isEmpty()) {
    const QString message = tr("Choose an original run, a tuned run, labels and a class.");
    status_->setText(message);
    Q_EMIT failed(message);
    return;
  }
  const std::int64_t original = original_->currentData().toLongLong();
  const std::int64_t tuned = tuned_->currentData().toLongLong();
  const std::string classifier = classifier_->currentText().toStdString();
  const std::string label = label_->currentText().toStdString();
  status_->setText(tr("Evaluating …"));
  evaluate_->setEnabled(false);
  task_->start(
      path_,
      [original, tuned, classifier, label](sessions::SessionStore& store) {
        Evaluation e;
        e.tuned_run = tuned;
        e.original_name = runName(store, original);
        e.tuned_name = runName(store, tuned);
        const auto ev = sessions::evaluate_tuning(store, original, tuned, classifier, label,
                                                  labelOrder(store, classifier));
        e.evaluation_result = ev.result_id;
        e.n_prompts = ev.n_prompts;
        e.transitions = ev.transitions;
        e.flips = ev.flips;
        const auto controls = ExperimentRunner::controlRunsOf(store, store.run(tuned));
        if (!controls.empty()) {
          e.control = sessions::evaluate_random_control(store, original, tuned, controls,
                                                        classifier, label, &e.control_result);
          e.control_runs = controls.size();
        }
        return e;
      },
      [this](const Evaluation& e) {
        evaluate_->setEnabled(true);
        showEvaluation(e);
        Q_EMIT evaluated();
      },
      [this](const QString& message) {
        evaluate_->setEnabled(true);
        status_->setText(tr("Evaluation failed: %1").arg(message));
        Q_EMIT failed(status_->text());
      });
}

void ChartsPanel::showEvaluation(const Evaluation& e) {
  transition_->setTransitions(e.transitions, e.original_name, e.tuned_name);
  const QString label = QString::fromStdString(e.flips.label);
  QString text = tr("%1 prompts answered in both. Flip of %2: %3/%4 (%5 %); reverse: %6/%7 "
                    "(%8 %). Result %9 stored.")
                     .arg(e.n_prompts)
                     .arg(label)
                     .arg(e.flips.flipped)
                     .arg(e.flips.n_class)
                     .arg(100.0 * e.flips.rate, 0, 'f', 1)
                     .arg(e.flips.became_class)
                     .arg(e.flips.n_other)
                     .arg(100.0 * e.flips.reverse_rate, 0, 'f', 1)
                     .arg(e.evaluation_result);
  if (e.control) {
    control_->setSummary(*e.control, label);
    text += tr(" Random control (K = %1): %2 % ± %3 %, p = %4 (result %5).")
                .arg(e.control_runs)
                .arg(100.0 * e.control->mean, 0, 'f', 1)
                .arg(100.0 * e.control->std, 0, 'f', 1)
                .arg(e.control->p, 0, 'g', 3)
                .arg(e.control_result);
  } else {
    text += tr(" No random-control runs of this tuned run yet (Runs dock: Random control).");
  }
  status_->setText(text);
  tabs_->setCurrentWidget(transition_);
}

void ChartsPanel::computeTsne() {
  if (!store_ || original_->currentIndex() < 0 || classifier_->currentText().isEmpty()) {
    Q_EMIT failed(tr("Choose an original run and labels for the t-SNE."));
    return;
  }
  tsne_run_ = original_->currentData().toLongLong();
  status_->setText(tr("Computing the t-SNE …"));
  tsne_->computeFromSession(path_, tsne_run_, classifier_->currentText());
}

void ChartsPanel::loadStored() {
  if (!store_) return;
  try {
    const auto newest = [this](const std::string& kind) -> std::optional<sessions::StoredResult> {
      auto results = store_->list_results(kind);
      if (results.empty()) return std::nullopt;
      return results.back();
    };
    if (auto r = newest("evaluation")) {
      const auto& j = r->json;
      transition_->setTransitions(transitionsFromJson(j.at("transitions")),
                                  runName(*store_, j.at("original_run").get<std::int64_t>()),
                                  runName(*store_, j.at("tuned_run").get<std::int64_t>()));
    }
    if (auto r = newest("random-control")) {
      const auto& j = r->json;
      control_->setSummary(sessions::RandomControlSummary::from_json(j),
                           QString::fromStdString(j.value("label", std::string())));
    }
    if (auto r = newest("dose-curve")) drawDoseCurve(*r);
    if (auto r = newest("tsne")) {
      std::vector<std::size_t> shape;
      widgets::TsneEmbedding e;
      e.coords = store_->load_result_array(r->id, "coords", shape);
      e.prompt_ids = r->json.at("prompt_ids").get<std::vector<std::int64_t>>();
      e.labels = r->json.at("labels").get<std::vector<std::string>>();
      e.result_id = r->id;
      tsne_run_ = r->json.at("run_id").get<std::int64_t>();
      std::map<std::int64_t, QString> texts;
      for (const auto& p : store_->prompts(store_->run(tsne_run_).config.dataset_id))
        texts.emplace(p.id, QString::fromStdString(p.prompt.text));
      for (const auto id : e.prompt_ids) e.texts << texts[id];
      tsne_->setEmbedding(e);
    }
  } catch (const std::exception& e) {
    Q_EMIT failed(tr("Stored results: %1").arg(QString::fromStdString(e.what())));
  }
}

QWidget* ChartsPanel::currentChart() const {
  return tabs_->currentWidget();
}

bool ChartsPanel::exportCurrent(const QString& path, QString* error) {
  QWidget* chart = currentChart();
  if (path.endsWith(".csv", Qt::CaseInsensitive)) {
    bool ok = false;
    if (chart == transition_)
      ok = transition_->exportCsv(path);
    else if (chart == control_)
      ok = control_->exportCsv(path);
    else if (chart == dose_)
      ok = dose_->exportCsv(path);
    else
      ok = tsne_->exportCsv(path);
    if (!ok && error) *error = tr("cannot write %1").arg(path);
    return ok;
  }
  return widgets::exportWidgetImage(chart, path, tabs_->tabText(tabs_->currentIndex()), error);
}

void ChartsPanel::exportCurrentDialog() {
  const QString name = tabs_->tabText(tabs_->currentIndex()).toLower().replace(' ', '-');
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export chart"), name + ".png",
                                   tr("PNG image (*.png);;SVG drawing (*.svg);;CSV data (*.csv)"));
  if (path.isEmpty()) return;
  QString error;
  if (!exportCurrent(path, &error)) Q_EMIT failed(tr("Export: %1").arg(error));
}

}  // namespace mote::widgets
