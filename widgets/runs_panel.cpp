#include "widgets/runs_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include "widgets/experiment_runner.h"
#include "widgets/models/session_run_model.h"
#include "widgets/run_controller.h"
#include "widgets/run_panel.h"

namespace mote::widgets {

RunsPanel::RunsPanel(ExperimentRunner* runner, Providers providers, QWidget* parent)
    : QWidget(parent),
      runner_(runner),
      providers_(std::move(providers)),
      model_(new widgets::SessionRunModel(this)) {
  table_ = new QTableView(this);
  table_->setObjectName("runTable");
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->verticalHeader()->hide();

  auto* form_box = new QGroupBox(tr("New run"), this);
  kind_ = new QComboBox(form_box);
  kind_->setObjectName("runKind");
  kind_->addItem(tr("Original (no tuning)"));
  kind_->addItem(tr("Tuned (the current tuning)"));
  kind_->addItem(tr("Random control (K draws)"));
  kind_->addItem(tr("Dose curve (fTRI top n, several n)"));
  dataset_ = new QComboBox(form_box);
  dataset_->setObjectName("runDataset");
  original_ = new QComboBox(form_box);
  original_->setObjectName("runOriginal");
  tuned_ = new QComboBox(form_box);
  tuned_->setObjectName("runTuned");
  draws_ = new QSpinBox(form_box);
  draws_->setRange(1, 1000);
  draws_->setValue(10);
  draws_->setPrefix(tr("K = "));
  draw_seed_ = new QSpinBox(form_box);
  draw_seed_->setRange(1, 1000000);
  draw_seed_->setPrefix(tr("seed "));
  draw_seed_->setToolTip(tr("Seed of the random draws: draw d depends only on (seed, d)"));
  limit_ = new QSpinBox(form_box);
  limit_->setObjectName("runLimit");
  limit_->setRange(0, 10000000);
  limit_->setSpecialValueText(tr("all"));
  limit_->setToolTip(
      tr("Answer only the first N prompts of the dataset (the run stays resumable). Tuned runs "
         "and controls of a partly answered original answer as many as it has."));
  ftri_ = new QComboBox(form_box);
  ftri_->setObjectName("runFtri");
  ftri_->setToolTip(tr("The fTRI result whose ranking is tuned; its run is the original"));
  doses_ = new QLineEdit(QStringLiteral("1,2,5,10,20,50"), form_box);
  doses_->setObjectName("runDoses");
  doses_->setToolTip(tr("Numbers of experts, comma-separated: one tuned run per number"));
  direction_ = new QComboBox(form_box);
  direction_->addItem(tr("suppress"));
  direction_->addItem(tr("stimulate"));
  end_ = new QComboBox(form_box);
  end_->addItem(tr("top (most resonant)"));
  end_->addItem(tr("bottom (least resonant)"));
  name_ = new QLineEdit(form_box);
  name_->setObjectName("runName");
  start_ = new QPushButton(tr("Start"), form_box);
  start_->setObjectName("startRun");
  settings_ = new QLabel(form_box);
  settings_->setWordWrap(true);
  auto* form = new QFormLayout(form_box);
  form->addRow(tr("Kind"), kind_);
  form->addRow(tr("Dataset"), dataset_);
  form->addRow(tr("Original run"), original_);
  form->addRow(tr("Tuned run"), tuned_);
  auto* control = new QHBoxLayout;
  control->addWidget(draws_);
  control->addWidget(draw_seed_);
  form->addRow(tr("Draws"), control);
  form->addRow(tr("fTRI result"), ftri_);
  auto* dose = new QHBoxLayout;
  dose->addWidget(doses_, 1);
  dose->addWidget(direction_);
  dose->addWidget(end_);
  form->addRow(tr("Doses"), dose);
  form->addRow(tr("Prompts"), limit_);
  form->addRow(tr("Name"), name_);
  form->addRow(settings_);
  form->addRow(start_);

  run_panel_ = new widgets::RunPanel(this);
  run_panel_->setController(runner_->controller());
  step_ = new QLabel(this);
  step_->setObjectName("runMessage");
  step_->setWordWrap(true);

  // The progress labels change width with every update; inside a scroll area their layout
  // requests stop there instead of re-laying out (and repainting) the whole main window, which
  // cost the UI thread ~50 ms per progress update in software rendering.
  auto* column = new QWidget;
  auto* right_layout = new QVBoxLayout(column);
  right_layout->setContentsMargins(0, 0, 0, 0);
  right_layout->addWidget(form_box);
  right_layout->addWidget(run_panel_);
  right_layout->addWidget(step_);
  right_layout->addStretch(1);
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(column);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(table_, 3);
  layout->addWidget(scroll, 2);

  connect(start_, &QPushButton::clicked, this, &RunsPanel::start);
  connect(kind_, &QComboBox::currentIndexChanged, this, [this] {
    // A name belongs to the kind it was typed for: the previous run's name would resume that run
    // or clash with its kind, so another kind starts from its default name.
    name_->clear();
    updateForm();
  });
  // Why a run did not start stays in the dock (the status bar message goes after 15 s).
  const auto show_failure = [this](const QString& message) {
    step_->setText(tr("Not started: %1").arg(message));
    step_->setStyleSheet("color: #b00020");
  };
  connect(this, &RunsPanel::failed, this, show_failure);
  connect(runner_, &ExperimentRunner::failed, this, show_failure);
  connect(runner_, &ExperimentRunner::runsCreated, model_, &widgets::SessionRunModel::reload);
  connect(runner_, &ExperimentRunner::runsCreated, this, &RunsPanel::fillCombos);
  connect(runner_, &ExperimentRunner::stepStarted, this,
          [this](qint64, int index, int count, const QString& description) {
            run_panel_->setRunName(description);
            step_->setText(tr("Step %1 of %2: %3").arg(index).arg(count).arg(description));
            step_->setStyleSheet({});
            start_->setEnabled(false);
          });
  connect(runner_, &ExperimentRunner::runStopped, model_, &widgets::SessionRunModel::refreshRun);
  connect(runner_, &ExperimentRunner::queueFinished, this,
          [this](bool ok, const QString& message, const QVector<qint64>& runs) {
            step_->setText(ok ? tr("Done: %n run(s).", nullptr, static_cast<int>(runs.size()))
                              : message);
            step_->setStyleSheet(ok ? QString() : QStringLiteral("color: #b00020"));
            start_->setEnabled(true);
            model_->reload();
            fillCombos();
          });
  auto* controller = runner_->controller();
  connect(controller, &widgets::RunController::progress, model_,
          [this](qint64 run_id, qulonglong done, qulonglong total, double, double, const QString&) {
            model_->setRunProgress(run_id, done, total);
          });
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
    const auto rows = table_->selectionModel()->selectedRows();
    if (!rows.isEmpty()) Q_EMIT runSelected(model_->runId(rows.first().row()));
  });
  updateForm();
  setEnabled(false);
}

void RunsPanel::setStore(sessions::SessionStore* store) {
  store_ = store;
  model_->setStore(store);
  fillCombos();
  setEnabled(store != nullptr);
}

void RunsPanel::reload() {
  model_->reload();
  fillCombos();
}

void RunsPanel::fillCombos() {
  const auto keep = [](QComboBox* box) { return box->currentData().toLongLong(); };
  const qint64 dataset = keep(dataset_), original = keep(original_), tuned = keep(tuned_),
               ftri = keep(ftri_);
  for (auto* box : {dataset_, original_, tuned_, ftri_}) box->clear();
  if (!store_) return;
  try {
    for (const auto& d : store_->list_datasets())
      dataset_->addItem(tr("%1 (%2 prompts)").arg(QString::fromStdString(d.name)).arg(d.n_prompts),
                        static_cast<qlonglong>(d.id));
    for (const auto& r : store_->list_runs()) {
      const QString text = tr("%1 (run %2)").arg(QString::fromStdString(r.config.name)).arg(r.id);
      if (r.config.kind == sessions::RunKind::kOriginal)
        original_->addItem(text, static_cast<qlonglong>(r.id));
      else if (r.config.kind == sessions::RunKind::kTuned)
        tuned_->addItem(text, static_cast<qlonglong>(r.id));
    }
    for (const auto& r : store_->list_results("ftri")) {
      const auto run = r.json.value("run_id", std::int64_t{0});
      ftri_->addItem(tr("result %1: %2 in run %3 (%4)")
                         .arg(r.id)
                         .arg(QString::fromStdString(r.json.value("target", std::string())))
                         .arg(run)
                         .arg(QString::fromStdString(r.json.value("classifier", std::string()))),
                     static_cast<qlonglong>(r.id));
    }
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
  if (int i = dataset_->findData(static_cast<qlonglong>(dataset)); i >= 0)
    dataset_->setCurrentIndex(i);
  if (int i = original_->findData(static_cast<qlonglong>(original)); i >= 0)
    original_->setCurrentIndex(i);
  // The newest fTRI result unless one was chosen.
  if (int i = ftri_->findData(static_cast<qlonglong>(ftri)); i >= 0)
    ftri_->setCurrentIndex(i);
  else if (ftri_->count() > 0)
    ftri_->setCurrentIndex(ftri_->count() - 1);
  // A new tuned run is the one the user most likely wants to control next.
  if (tuned_->count() > 0 && tuned_->count() != tuned_count_)
    tuned_->setCurrentIndex(tuned_->count() - 1);
  else if (int i = tuned_->findData(static_cast<qlonglong>(tuned)); i >= 0)
    tuned_->setCurrentIndex(i);
  tuned_count_ = tuned_->count();
}

void RunsPanel::updateForm() {
  const auto kind = static_cast<Kind>(kind_->currentIndex());
  const bool dose = kind == Kind::kDoseCurve;
  dataset_->setEnabled(kind == Kind::kOriginal);
  original_->setEnabled(kind == Kind::kTuned || kind == Kind::kRandomControl);
  tuned_->setEnabled(kind == Kind::kRandomControl);
  draws_->setEnabled(kind == Kind::kRandomControl);
  draw_seed_->setEnabled(kind == Kind::kRandomControl);
  for (QWidget* w : std::initializer_list<QWidget*>{ftri_, doses_, direction_, end_})
    w->setEnabled(dose);
  name_->setEnabled(kind == Kind::kOriginal || kind == Kind::kTuned);
  name_->setPlaceholderText(
      kind == Kind::kOriginal ? tr("run name (default: the dataset's name)")
      : kind == Kind::kTuned
          ? tr("run name (default: <original>-suppress<N>-<hash>; the same tuning resumes it)")
          : tr("named like the CLI's runs"));
  settings_->setText(
      kind == Kind::kOriginal
          ? tr("Sampling, max tokens and seed: the chat's settings bar. Labels: the chat's "
               "label box.")
      : dose ? tr("One tuned run of the fTRI result's run per dose, named like 'mote dose' "
                  "(shared with the CLI). Labels and class: the fTRI result's. The curve is "
                  "stored and drawn in Charts → Dose curve when the runs are done.")
             : tr("Sampling, max tokens and seed: the original run's (so the runs differ only "
                  "by the tuning)."));
}

void RunsPanel::setKind(Kind kind) {
  kind_->setCurrentIndex(static_cast<int>(kind));
}
void RunsPanel::setDataset(std::int64_t id) {
  dataset_->setCurrentIndex(dataset_->findData(static_cast<qlonglong>(id)));
}
void RunsPanel::setOriginalRun(std::int64_t id) {
  original_->setCurrentIndex(original_->findData(static_cast<qlonglong>(id)));
}
void RunsPanel::setTunedRun(std::int64_t id) {
  tuned_->setCurrentIndex(tuned_->findData(static_cast<qlonglong>(id)));
}
void RunsPanel::setDraws(int k) {
  draws_->setValue(k);
}
void RunsPanel::setLimit(int prompts) {
  limit_->setValue(prompts);
}
void RunsPanel::setRunName(const QString& name) {
  name_->setText(name);
}
void RunsPanel::setFtriResult(std::int64_t id) {
  ftri_->setCurrentIndex(ftri_->findData(static_cast<qlonglong>(id)));
}
void RunsPanel::setDoses(const QString& doses) {
  doses_->setText(doses);
}

bool RunsPanel::start() {
  ExperimentRunner::Options options;
  options.classifier = providers_.classifier ? providers_.classifier() : QString();
  options.limit = limit_->value();
  switch (static_cast<Kind>(kind_->currentIndex())) {
    case Kind::kOriginal:
      if (dataset_->currentIndex() < 0) {
        Q_EMIT failed(tr("Add a dataset first (Datasets dock)."));
        return false;
      }
      return runner_->startOriginal(dataset_->currentData().toLongLong(), name_->text(),
                                    providers_.sampling(), options);
    case Kind::kTuned:
      if (original_->currentIndex() < 0) {
        Q_EMIT failed(tr("Run the dataset without tuning first (an original run)."));
        return false;
      }
      return runner_->startTuned(original_->currentData().toLongLong(), providers_.tuning(),
                                 name_->text(), options);
    case Kind::kRandomControl:
      if (original_->currentIndex() < 0 || tuned_->currentIndex() < 0) {
        Q_EMIT failed(tr("A random control needs an original and a tuned run."));
        return false;
      }
      return runner_->startRandomControl(original_->currentData().toLongLong(),
                                         tuned_->currentData().toLongLong(), draws_->value(),
                                         static_cast<std::uint64_t>(draw_seed_->value()), options);
    case Kind::kDoseCurve: {
      if (ftri_->currentIndex() < 0) {
        Q_EMIT failed(tr("A dose curve needs an fTRI result (fTRI dock: Compute)."));
        return false;
      }
      std::vector<std::size_t> doses;
      for (const QString& part : doses_->text().split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const int n = part.trimmed().toInt(&ok);
        if (!ok || n <= 0) {
          Q_EMIT failed(tr("Doses: '%1' is not a positive number of experts.").arg(part.trimmed()));
          return false;
        }
        doses.push_back(static_cast<std::size_t>(n));
      }
      if (doses.empty()) {
        Q_EMIT failed(tr("Doses: give at least one number of experts, e.g. 1,2,5,10."));
        return false;
      }
      return runner_->startDoseCurve(
          ftri_->currentData().toLongLong(), doses,
          direction_->currentIndex() == 0 ? sessions::TuningDirection::kSuppress
                                          : sessions::TuningDirection::kStimulate,
          end_->currentIndex() == 0 ? sessions::RankingEnd::kTop : sessions::RankingEnd::kBottom,
          options);
    }
  }
  return false;
}

}  // namespace mote::widgets
