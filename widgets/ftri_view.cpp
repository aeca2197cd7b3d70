#include "widgets/ftri_view.h"

#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <exception>

#include "sessions/result_export.h"
#include "widgets/chart_export.h"
#include "widgets/figure_export.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/session_expert_model.h"
#include "widgets/models/session_task.h"

namespace mote::widgets {
namespace {

constexpr int kTableRows = 50;  // rows shown per end (the apply count may ask for more)

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent) {
  auto* view = new QTableView(parent);
  view->setModel(model);
  view->setMouseTracking(true);
  view->setSelectionBehavior(QAbstractItemView::SelectRows);
  view->setEditTriggers(QAbstractItemView::NoEditTriggers);
  view->verticalHeader()->hide();
  view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  view->horizontalHeader()->setStretchLastSection(true);
  view->setColumnHidden(ExpertRankingModel::kP, true);  // p is in the tooltip; q is what counts
  return view;
}

}  // namespace

FtriView::FtriView(QWidget* parent) : QWidget(parent), task_(new SessionTask(this)) {
  buildUi();
}

// The task waits for a running computation; its result is no longer delivered.
FtriView::~FtriView() {
  delete task_;
}

bool FtriView::isComputing() const {
  return task_->isBusy();
}

void FtriView::buildUi() {
  run_combo_ = new QComboBox(this);
  classifier_combo_ = new QComboBox(this);
  target_combo_ = new QComboBox(this);
  map_combo_ = new QComboBox(this);
  map_combo_->addItem(tr("prompt counts"), static_cast<int>(sessions::MapKind::kPromptCounts));
  map_combo_->addItem(tr("completion counts"),
                      static_cast<int>(sessions::MapKind::kCompletionCounts));
  map_combo_->addItem(tr("prompt router weights"),
                      static_cast<int>(sessions::MapKind::kPromptWeighted));
  permutations_spin_ = new QSpinBox(this);
  permutations_spin_->setRange(0, 100000);
  permutations_spin_->setSingleStep(100);
  permutations_spin_->setValue(static_cast<int>(options_.permutations));
  permutations_spin_->setToolTip(tr("Label permutations for the p-values (0: no test)"));
  bootstrap_spin_ = new QSpinBox(this);
  bootstrap_spin_->setRange(0, 10000);
  bootstrap_spin_->setSingleStep(50);
  bootstrap_spin_->setValue(static_cast<int>(options_.bootstrap_resamples));
  bootstrap_spin_->setToolTip(tr("Bootstrap resamples for the stability (0: none)"));
  compute_button_ = new QPushButton(tr("Compute"), this);
  compute_button_->setToolTip(tr("Compute the fTRI of this class (stored in the session)"));
  busy_ = new QProgressBar(this);
  busy_->setRange(0, 0);
  busy_->setMaximumWidth(120);
  busy_->hide();

  auto* selection = new QGridLayout;
  selection->addWidget(new QLabel(tr("Run"), this), 0, 0);
  selection->addWidget(run_combo_, 0, 1);
  selection->addWidget(new QLabel(tr("Classifier"), this), 0, 2);
  selection->addWidget(classifier_combo_, 0, 3);
  selection->addWidget(new QLabel(tr("Class"), this), 0, 4);
  selection->addWidget(target_combo_, 0, 5);
  selection->addWidget(new QLabel(tr("Maps"), this), 1, 0);
  selection->addWidget(map_combo_, 1, 1);
  selection->addWidget(new QLabel(tr("Permutations"), this), 1, 2);
  selection->addWidget(permutations_spin_, 1, 3);
  selection->addWidget(new QLabel(tr("Bootstrap"), this), 1, 4);
  selection->addWidget(bootstrap_spin_, 1, 5);
  selection->addWidget(compute_button_, 0, 6);
  selection->addWidget(busy_, 1, 6);
  selection->setColumnStretch(1, 2);
  selection->setColumnStretch(3, 1);
  selection->setColumnStretch(5, 1);

  heatmap_ = new HeatmapView(this);
  top_model_ = new ExpertRankingModel(this);
  bottom_model_ = new ExpertRankingModel(this);
  top_table_ = makeTable(top_model_, this);
  bottom_table_ = makeTable(bottom_model_, this);
  auto* top_box = new QGroupBox(tr("Most resonant (top)"), this);
  (new QVBoxLayout(top_box))->addWidget(top_table_);
  auto* bottom_box = new QGroupBox(tr("Least resonant (bottom)"), this);
  (new QVBoxLayout(bottom_box))->addWidget(bottom_table_);
  // The map beside the two rankings (stacked): the dock usually sits in a wide, short strip
  // under the chat, so stacking the map on the tables would set a tall minimum height.
  top_table_->setMinimumHeight(60);
  bottom_table_->setMinimumHeight(60);
  auto* tables = new QSplitter(Qt::Vertical, this);
  tables->addWidget(top_box);
  tables->addWidget(bottom_box);
  auto* splitter = new QSplitter(Qt::Horizontal, this);
  splitter->addWidget(heatmap_);
  splitter->addWidget(tables);
  splitter->setStretchFactor(0, 3);
  splitter->setStretchFactor(1, 2);

  count_spin_ = new QSpinBox(this);
  count_spin_->setRange(1, 100000);
  count_spin_->setValue(10);
  count_spin_->setPrefix(tr("N = "));
  top_suppress_ = new QPushButton(tr("Top-N \u2192 suppress"), this);
  top_stimulate_ = new QPushButton(tr("Top-N \u2192 stimulate"), this);
  bottom_suppress_ = new QPushButton(tr("Bottom-N \u2192 suppress"), this);
  bottom_stimulate_ = new QPushButton(tr("Bottom-N \u2192 stimulate"), this);
  auto* actions = new QHBoxLayout;
  actions->addWidget(new QLabel(tr("Apply to the tuning:"), this));
  actions->addWidget(count_spin_);
  actions->addWidget(top_suppress_);
  actions->addWidget(top_stimulate_);
  actions->addWidget(bottom_suppress_);
  actions->addWidget(bottom_stimulate_);
  actions->addStretch(1);
  status_ = new QLabel(this);
  status_->setWordWrap(true);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(selection);
  layout->addWidget(splitter, 1);
  layout->addLayout(actions);
  layout->addWidget(status_);

  connect(run_combo_, &QComboBox::currentIndexChanged, this, [this] {
    fillClassifiers();
    loadStored();
  });
  connect(classifier_combo_, &QComboBox::currentIndexChanged, this, [this] {
    fillTargets();
    loadStored();
  });
  connect(target_combo_, &QComboBox::currentIndexChanged, this, [this] { loadStored(); });
  connect(map_combo_, &QComboBox::currentIndexChanged, this, [this] { loadStored(); });
  connect(compute_button_, &QPushButton::clicked, this, &FtriView::compute);
  connect(top_suppress_, &QPushButton::clicked, this, &FtriView::applyTopSuppress);
  connect(top_stimulate_, &QPushButton::clicked, this, &FtriView::applyTopStimulate);
  connect(bottom_suppress_, &QPushButton::clicked, this, &FtriView::applyBottomSuppress);
  connect(bottom_stimulate_, &QPushButton::clicked, this, &FtriView::applyBottomStimulate);
  connect(count_spin_, &QSpinBox::valueChanged, this, [this](int n) {
    top_model_->setLimit(std::max(kTableRows, n));
    bottom_model_->setLimit(std::max(kTableRows, n));
  });
  connect(top_table_, &QTableView::entered, this,
          [this](const QModelIndex& index) { onTableHover(index, top_model_); });
  connect(bottom_table_, &QTableView::entered, this,
          [this](const QModelIndex& index) { onTableHover(index, bottom_model_); });
  top_table_->viewport()->installEventFilter(this);
  bottom_table_->viewport()->installEventFilter(this);
  clearAnalysis(tr("Choose a run, a classifier and a class, then Compute."));
}

void FtriView::setStore(sessions::SessionStore* store) {
  store_ = store;
  reloadChoices();
}

void FtriView::setTuningDocument(TuningDocument* document) {
  heatmap_->setDocument(document);
  showMap();  // the document's geometry reset the map
}

void FtriView::reloadChoices() {
  const std::int64_t previous = runId();
  {
    const QSignalBlocker block(run_combo_);
    run_combo_->clear();
    if (store_) {
      try {
        for (const auto& run : store_->list_runs())
          run_combo_->addItem(
              tr("%1 (run %2)").arg(QString::fromStdString(run.config.name)).arg(run.id),
              static_cast<qlonglong>(run.id));
      } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
      }
    }
    const int index = run_combo_->findData(static_cast<qlonglong>(previous));
    if (index >= 0) run_combo_->setCurrentIndex(index);
  }
  fillClassifiers();
  loadStored();
}

void FtriView::fillClassifiers() {
  const QString previous = classifier();
  {
    const QSignalBlocker block(classifier_combo_);
    classifier_combo_->clear();
    if (store_ && runId() != 0) {
      try {
        for (const auto& name : store_->label_classifiers(runId()))
          classifier_combo_->addItem(QString::fromStdString(name));
      } catch (const std::exception& e) {
        status_->setText(QString::fromStdString(e.what()));
      }
    }
    const int index = classifier_combo_->findText(previous);
    if (index >= 0) classifier_combo_->setCurrentIndex(index);
  }
  fillTargets();
}

void FtriView::fillTargets() {
  const QString previous = target();
  const QSignalBlocker block(target_combo_);
  target_combo_->clear();
  if (!store_ || runId() == 0 || classifier().isEmpty()) return;
  try {
    std::map<std::string, int> counts;
    for (const auto& l : store_->labels(runId(), classifier().toStdString()))
      if (!l.label.empty()) ++counts[l.label];
    for (const auto& [label, n] : counts)
      target_combo_->addItem(tr("%1 (%2)").arg(QString::fromStdString(label)).arg(n),
                             QString::fromStdString(label));
  } catch (const std::exception& e) {
    status_->setText(QString::fromStdString(e.what()));
  }
  const int index = target_combo_->findData(previous);
  if (index >= 0) target_combo_->setCurrentIndex(index);
}

bool FtriView::setSelection(std::int64_t run_id, const QString& classifier, const QString& target) {
  const int run_index = run_combo_->findData(static_cast<qlonglong>(run_id));
  if (run_index < 0) return false;
  {
    const QSignalBlocker block(run_combo_);
    run_combo_->setCurrentIndex(run_index);
  }
  fillClassifiers();
  const int classifier_index = classifier_combo_->findText(classifier);
  if (classifier_index < 0) return false;
  {
    const QSignalBlocker block(classifier_combo_);
    classifier_combo_->setCurrentIndex(classifier_index);
  }
  fillTargets();
  const int target_index = target_combo_->findData(target);
  if (target_index < 0) return false;
  {
    const QSignalBlocker block(target_combo_);
    target_combo_->setCurrentIndex(target_index);
  }
  loadStored();
  return true;
}

std::int64_t FtriView::runId() const {
  return run_combo_->currentData().toLongLong();
}
QString FtriView::classifier() const {
  return classifier_combo_->currentText();
}
QString FtriView::target() const {
  return target_combo_->currentData().toString();
}

sessions::MapKind FtriView::mapKind() const {
  return static_cast<sessions::MapKind>(map_combo_->currentData().toInt());
}

void FtriView::setMapKind(sessions::MapKind kind) {
  map_combo_->setCurrentIndex(map_combo_->findData(static_cast<int>(kind)));
}

sessions::ExpertStatisticsOptions FtriView::statisticsOptions() const {
  auto o = options_;
  o.permutations = static_cast<std::size_t>(permutations_spin_->value());
  o.bootstrap_resamples = static_cast<std::size_t>(bootstrap_spin_->value());
  return o;
}

void FtriView::setStatisticsOptions(const sessions::ExpertStatisticsOptions& options) {
  options_ = options;
  permutations_spin_->setValue(static_cast<int>(options.permutations));
  bootstrap_spin_->setValue(static_cast<int>(options.bootstrap_resamples));
}

int FtriView::applyCount() const {
  return count_spin_->value();
}
void FtriView::setApplyCount(int n) {
  count_spin_->setValue(n);
}

void FtriView::clearAnalysis(const QString& status) {
  analysis_.reset();
  top_model_->clear();
  bottom_model_->clear();
  heatmap_->setData(HeatmapData{});
  for (auto* b : {top_suppress_, top_stimulate_, bottom_suppress_, bottom_stimulate_})
    b->setEnabled(false);
  status_->setText(status);
}

void FtriView::setAnalysis(const sessions::FtriAnalysis& analysis,
                           const mote::ModelGeometry& geometry) {
  analysis_ = analysis;
  geometry_ = geometry;
  const int limit = std::max(kTableRows, applyCount());
  top_model_->setTable(analysis.table, sessions::RankingEnd::kTop, limit);
  bottom_model_->setTable(analysis.table, sessions::RankingEnd::kBottom, limit);
  showMap();
  for (auto* b : {top_suppress_, top_stimulate_, bottom_suppress_, bottom_stimulate_})
    b->setEnabled(!analysis.table.empty());
  status_->setText(tr("Result %1: %2 prompts of %3 against %4 others, %5 experts ranked.")
                       .arg(analysis.result_id)
                       .arg(analysis.statistics.n_target)
                       .arg(QString::fromStdString(analysis.statistics.target))
                       .arg(analysis.statistics.n_rest)
                       .arg(analysis.table.size()));
  Q_EMIT analysisReady(analysis.result_id);
}

void FtriView::showMap() {
  if (!analysis_) return;
  heatmap_->setModelGeometry(geometry_);
  HeatmapData data;
  data.values =
      mote::ActivationMap(geometry_.n_moe_layers(), static_cast<std::size_t>(geometry_.n_experts));
  if (analysis_->statistics.resonance.size() == data.values.size())
    data.values.values = analysis_->statistics.resonance;
  data.mode = HeatmapMode::kDifference;
  data.diverging = true;
  data.valueName = tr("resonance");
  data.label = tr("fTRI resonance of %1 (%2 vs %3 prompts)")
                   .arg(QString::fromStdString(analysis_->statistics.target))
                   .arg(analysis_->statistics.n_target)
                   .arg(analysis_->statistics.n_rest);
  heatmap_->setData(data);
}

bool FtriView::loadStored() {
  if (isComputing()) return false;
  if (!store_ || runId() == 0 || classifier().isEmpty() || target().isEmpty()) {
    clearAnalysis(tr("Choose a run, a classifier and a class, then Compute."));
    return false;
  }
  try {
    const std::string map = sessions::to_string(mapKind());
    std::int64_t newest = 0;
    for (const auto& r : store_->list_results("ftri")) {
      const auto& j = r.json;
      if (j.value("run_id", std::int64_t{0}) == runId() &&
          j.value("classifier", std::string()) == classifier().toStdString() &&
          j.value("target", std::string()) == target().toStdString() &&
          j.value("map", std::string("prompt")) == map)
        newest = std::max(newest, r.id);
    }
    if (newest == 0) {
      clearAnalysis(tr("No stored fTRI for this selection: Compute."));
      return false;
    }
    const auto stored = sessions::load_ftri(*store_, newest);
    setAnalysis(stored.analysis, stored.geometry);
    return true;
  } catch (const std::exception& e) {
    clearAnalysis(QString::fromStdString(e.what()));
    return false;
  }
}

void FtriView::setComputing(bool computing) {
  compute_button_->setEnabled(!computing);
  busy_->setVisible(computing);
  for (auto* w :
       std::initializer_list<QWidget*>{run_combo_, classifier_combo_, target_combo_, map_combo_})
    w->setEnabled(!computing);
  Q_EMIT computingChanged(computing);
}

void FtriView::compute() {
  if (isComputing()) return;
  if (!store_ || runId() == 0 || classifier().isEmpty() || target().isEmpty()) {
    Q_EMIT computeFailed(tr("Choose a run, a classifier and a class first."));
    return;
  }
  const std::string path = store_->path().string();
  const std::int64_t run = runId();
  const std::string classifier_name = classifier().toStdString();
  const std::string target_name = target().toStdString();
  const auto options = statisticsOptions();
  const auto kind = mapKind();
  status_->setText(tr("Computing the fTRI of %1 …").arg(target()));
  setComputing(true);
  task_->start(
      QString::fromStdString(path),
      [run, classifier_name, target_name, options, kind](sessions::SessionStore& store) {
        Computed c;
        c.analysis =
            sessions::analyze_ftri(store, run, classifier_name, target_name, options, kind);
        c.geometry = store.run(run).config.geometry;
        return c;
      },
      [this](const Computed& computed) {
        setComputing(false);
        setAnalysis(computed.analysis, computed.geometry);
      },
      [this](const QString& message) {
        setComputing(false);
        status_->setText(tr("fTRI failed: %1").arg(message));
        Q_EMIT computeFailed(message);
      });
}

QVector<mote::ExpertAddress> FtriView::rankedExperts(sessions::RankingEnd end, int n) const {
  QVector<mote::ExpertAddress> out;
  if (!analysis_ || n <= 0) return out;
  const auto addresses = sessions::ranking_addresses(analysis_->table, end);
  for (std::size_t i = 0; i < addresses.size() && i < static_cast<std::size_t>(n); ++i)
    out.push_back(addresses[i]);
  return out;
}

void FtriView::applyRanking(sessions::RankingEnd end, ExpertState state) {
  const auto experts = rankedExperts(end, applyCount());
  if (experts.isEmpty()) return;
  Q_EMIT tuningRequested(experts, state);
}

void FtriView::applyTopSuppress() {
  applyRanking(sessions::RankingEnd::kTop, ExpertState::kSuppressed);
}
void FtriView::applyTopStimulate() {
  applyRanking(sessions::RankingEnd::kTop, ExpertState::kStimulated);
}
void FtriView::applyBottomSuppress() {
  applyRanking(sessions::RankingEnd::kBottom, ExpertState::kSuppressed);
}
void FtriView::applyBottomStimulate() {
  applyRanking(sessions::RankingEnd::kBottom, ExpertState::kStimulated);
}

void FtriView::highlightExpert(int layer, int expert) {
  if (layer < 0 || expert < 0)
    heatmap_->clearHighlight();
  else
    heatmap_->setHighlightedExpert({layer, expert});
}

void FtriView::onTableHover(const QModelIndex& index, ExpertRankingModel* model) {
  if (!index.isValid()) return;
  const auto address = model->address(index.row());
  heatmap_->setHighlightedExpert(address);
  Q_EMIT expertHighlighted(address.layer, address.expert);
}

bool FtriView::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::Leave &&
      (watched == top_table_->viewport() || watched == bottom_table_->viewport())) {
    heatmap_->clearHighlight();
    Q_EMIT expertHighlighted(-1, -1);
  }
  return QWidget::eventFilter(watched, event);
}

bool FtriView::exportMapPng(const QString& path, QString* error) const {
  FigureOptions options;
  return exportHeatmapPng(*heatmap_, path, options, error);
}

bool FtriView::exportMapSvg(const QString& path, QString* error) const {
  FigureOptions options;
  return exportHeatmapSvg(*heatmap_, path, options, error);
}

bool FtriView::exportTableCsv(const QString& path, QString* error) const {
  if (!analysis_) {
    if (error) *error = tr("no fTRI result");
    return false;
  }
  return writeTextFile(path, QString::fromStdString(sessions::expert_table_csv(analysis_->table)),
                       error);
}

bool FtriView::exportTableJson(const QString& path, QString* error) const {
  if (!analysis_) {
    if (error) *error = tr("no fTRI result");
    return false;
  }
  return writeTextFile(
      path, QString::fromStdString(sessions::expert_table_json(analysis_->table).dump(2)), error);
}

bool FtriView::exportTuningJson(const QString& path, sessions::RankingEnd end, int n,
                                ExpertState state, QString* error) const {
  if (!analysis_ || state == ExpertState::kNone || n <= 0) {
    if (error) *error = tr("no fTRI result or nothing to tune");
    return false;
  }
  const auto spec = sessions::tuning_from_ranking(
      sessions::ranking_addresses(analysis_->table, end), static_cast<std::size_t>(n),
      state == ExpertState::kSuppressed ? sessions::TuningDirection::kSuppress
                                        : sessions::TuningDirection::kStimulate);
  return writeTextFile(path, QString::fromStdString(spec.to_json().dump(2)), error);
}

}  // namespace mote::widgets
