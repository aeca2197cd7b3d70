#include "app/workbench/analysis_docks.h"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent>

#include "app/workbench/charts_panel.h"
#include "app/workbench/dataset_panel.h"
#include "app/workbench/experiment_runner.h"
#include "app/workbench/main_window.h"
#include "app/workbench/results_panel.h"
#include "app/workbench/runs_panel.h"
#include "app/workbench/sampling_bar.h"
#include "app/workbench/session_controller.h"
#include "sessions/run_executor.h"
#include "widgets/ftri_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/run_controller.h"
#include "widgets/tuning_document.h"
#include "widgets/volume_view.h"

namespace mote::workbench {

namespace {
const QString kSessionFilter = QObject::tr("MoTE sessions (*.mote);;All files (*)");
}

AnalysisDocks::AnalysisDocks(MainWindow* window)
    : QObject(window),
      window_(window),
      session_(new SessionController(this)),
      runner_(new ExperimentRunner(window->connection(), session_, this)) {
  datasets_ = new DatasetPanel(window);
  RunsPanel::Providers providers;
  providers.sampling = [window] { return window->samplingBar()->settings(); };
  providers.tuning = [window] { return window->tuning()->spec(); };
  providers.classifier = [window] { return window->classifierName(); };
  runs_ = new RunsPanel(runner_, providers, window);
  results_ = new ResultsPanel(window);
  ftri_ = new widgets::FtriView(window);
  ftri_->setObjectName("ftriView");
  ftri_->setTuningDocument(window->tuning());
  charts_ = new ChartsPanel(window);

  addDock(kDatasets, tr("Datasets"), "datasetsDock", datasets_);
  addDock(kRuns, tr("Runs"), "runsDock", runs_);
  addDock(kResults, tr("Results"), "resultsDock", results_);
  addDock(kFtri, tr("fTRI"), "ftriDock", wrapFtri());
  addDock(kCharts, tr("Charts"), "chartsDock", charts_);
  addDock(kVolume, tr("3D"), "volumeDock", wrapVolume());
  for (int i = 1; i < kDockCount; ++i) window->tabifyDockWidget(docks_[0], docks_[i]);
  connect(docks_[kVolume], &QDockWidget::visibilityChanged, this, [this](bool visible) {
    if (visible) volume();
  });
  docks_[kDatasets]->raise();

  connect(session_, &SessionController::sessionChanged, this, &AnalysisDocks::onSessionChanged);
  connect(session_, &SessionController::failed, this, &AnalysisDocks::report);
  connect(session_, &SessionController::recentFilesChanged, this, &AnalysisDocks::fillRecentMenu);
  // Every panel reports problems the same way: the status bar names them.
  connect(datasets_, &DatasetPanel::failed, this, &AnalysisDocks::report);
  connect(runs_, &RunsPanel::failed, this, &AnalysisDocks::report);
  connect(results_, &ResultsPanel::failed, this, &AnalysisDocks::report);
  connect(charts_, &ChartsPanel::failed, this, &AnalysisDocks::report);
  connect(runner_, &ExperimentRunner::failed, this, &AnalysisDocks::report);
  connect(ftri_, &widgets::FtriView::computeFailed, this, &AnalysisDocks::report);

  connect(datasets_, &DatasetPanel::datasetsChanged, runs_, &RunsPanel::reload);
  connect(datasets_, &DatasetPanel::selectionChanged, runs_,
          [this](qint64 id) { runs_->setDataset(id); });
  connect(runs_, &RunsPanel::runSelected, results_,
          [this](qint64 run_id) { results_->showRun(run_id); });
  connect(runner_, &ExperimentRunner::queueFinished, this, &AnalysisDocks::onQueueFinished);
  connect(runner_, &ExperimentRunner::doseCurveStored, this,
          [this](qint64 result_id, const QString& skipped) {
            // The curve the user started: show it.
            if (charts_->showDoseCurve(result_id)) docks_[kCharts]->raise();
            window_->statusBar()->showMessage(
                skipped.isEmpty()
                    ? tr("Dose curve stored (result %1)").arg(result_id)
                    : tr("Dose curve stored (result %1); left out: %2").arg(result_id).arg(skipped),
                10000);
          });
  connect(runner_, &ExperimentRunner::stepStarted, this,
          [this](qint64, int index, int count, const QString& description) {
            window_->statusBar()->showMessage(
                tr("Running %1 (%2/%3) …").arg(description).arg(index).arg(count), 5000);
          });

  connect(results_, &ResultsPanel::promptActivated, this, &AnalysisDocks::openPromptInChat);
  connect(charts_, &ChartsPanel::promptActivated, this, &AnalysisDocks::openPromptInChat);

  // fTRI: one-click tuning is one undoable command of the main window's document; a hovered
  // expert is highlighted in the live heatmap and the 3D view.
  connect(ftri_, &widgets::FtriView::tuningRequested, window->tuning(),
          &widgets::TuningDocument::setStates);
  connect(ftri_, &widgets::FtriView::expertHighlighted, this, [this](int layer, int expert) {
    if (layer < 0)
      window_->heatmap()->clearHighlight();
    else
      window_->heatmap()->setHighlightedExpert({layer, expert});
    if (volume_) volume_->highlightExpert(layer, expert);
  });
  connect(ftri_, &widgets::FtriView::analysisReady, this, [this](qint64 id) {
    runs_->reload();  // the dose-curve form lists the new result
    window_->statusBar()->showMessage(tr("fTRI result %1 shown").arg(id), 5000);
  });

  // 3D: the tuned side's routing of the current conversation; a clicked voxel selects that
  // expert in the heatmap.
  connect(window->comparison(), &ComparisonSession::answerFinished, this,
          [this](Side side, const sessions::GenerationResult& result) {
            if (side == Side::kTuned) showVolumeOf(result);
          });
  charts_->setPreferredClassifier(window->classifierName());
  onSessionChanged();
}

AnalysisDocks::~AnalysisDocks() = default;

QDockWidget* AnalysisDocks::addDock(Dock which, const QString& title, const QString& name,
                                    QWidget* widget) {
  auto* dock = new QDockWidget(title, window_);
  dock->setObjectName(name);
  dock->setWidget(widget);
  window_->addDockWidget(Qt::BottomDockWidgetArea, dock);
  docks_[which] = dock;
  return dock;
}

QWidget* AnalysisDocks::wrapFtri() {
  auto* box = new QWidget(window_);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(ftri_, 1);
  auto* buttons = new QHBoxLayout;
  auto* map = new QPushButton(tr("Export map…"), box);
  auto* table = new QPushButton(tr("Export ranking…"), box);
  auto* tuning = new QPushButton(tr("Export top-N as tuning…"), box);
  buttons->addStretch(1);
  buttons->addWidget(map);
  buttons->addWidget(table);
  buttons->addWidget(tuning);
  layout->addLayout(buttons);
  connect(map, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(window_, tr("Export fTRI map"), "ftri-map.png",
                                     tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty()) return;
    QString error;
    const bool ok = path.endsWith(".svg", Qt::CaseInsensitive) ? ftri_->exportMapSvg(path, &error)
                                                               : ftri_->exportMapPng(path, &error);
    if (!ok) report(tr("Export: %1").arg(error));
  });
  connect(table, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(window_, tr("Export fTRI ranking"),
                                                      "ftri.csv", tr("CSV (*.csv);;JSON (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    const bool ok = path.endsWith(".json", Qt::CaseInsensitive)
                        ? ftri_->exportTableJson(path, &error)
                        : ftri_->exportTableCsv(path, &error);
    if (!ok) report(tr("Export: %1").arg(error));
  });
  connect(tuning, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(window_, tr("Export top-N as tuning"),
                                                      "tuning.json", tr("Tuning (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!ftri_->exportTuningJson(path, sessions::RankingEnd::kTop, ftri_->applyCount(),
                                 widgets::ExpertState::kSuppressed, &error))
      report(tr("Export: %1").arg(error));
  });
  return box;
}

QWidget* AnalysisDocks::wrapVolume() {
  auto* box = new QWidget(window_);
  auto* layout = new QVBoxLayout(box);
  layout->setContentsMargins(0, 0, 0, 0);
  volume_layout_ = layout;
  volume_placeholder_ = new QLabel(tr("The 3D view opens with this dock."), box);
  layout->addWidget(volume_placeholder_, 1);
  auto* buttons = new QHBoxLayout;
  auto* note = new QPushButton(tr("Export view…"), box);
  volume_source_ = new QComboBox(box);
  volume_source_->setObjectName("volumeSource");
  volume_source_->addItem(tr("Chat: tuned side, per token"));
  volume_source_->addItem(tr("Run (fTRI dock): prompt maps, per prompt"));
  volume_source_->addItem(tr("Run (fTRI dock): class means"));
  volume_source_->setToolTip(
      tr("What the volume stacks: the current conversation's routing token by token, or the "
         "activation maps of the run selected in the fTRI dock"));
  buttons->addWidget(new QLabel(tr("Show"), box));
  buttons->addWidget(volume_source_);
  buttons->addStretch(1);
  buttons->addWidget(note);
  connect(volume_source_, &QComboBox::currentIndexChanged, this, &AnalysisDocks::loadVolumeSource);
  layout->addLayout(buttons);
  connect(note, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(window_, tr("Export 3D view"), "volume.png",
                                                      tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty()) return;
    const bool ok = path.endsWith(".svg", Qt::CaseInsensitive) ? volume()->exportSvg(path)
                                                               : volume()->exportPng(path);
    if (!ok) report(tr("Export: cannot write %1").arg(path));
  });
  return box;
}

void AnalysisDocks::addMenus(QMenu* file, QMenuBar* bar) {
  QAction* first = file->actions().isEmpty() ? nullptr : file->actions().first();
  auto* menu = new QMenu(file);  // actions are created here, then moved to the top of `file`
  auto* create = menu->addAction(tr("&New Session…"), QKeySequence::New, this,
                                 &AnalysisDocks::newSessionDialog);
  create->setStatusTip(
      tr("Create a session file (*.mote). Every finished prompt of a run is "
         "written to it at once: there is no unsaved state to lose."));
  auto* open = menu->addAction(tr("&Open Session…"), QKeySequence::Open, this,
                               &AnalysisDocks::openSessionDialog);
  open->setStatusTip(
      tr("Open a session file; runs that were interrupted resume where they "
         "stopped when started again."));
  recent_menu_ = new QMenu(tr("Open &Recent"), file);
  auto* save_as = menu->addAction(tr("Save Session &As…"), QKeySequence::SaveAs, this,
                                  &AnalysisDocks::saveSessionAsDialog);
  save_as->setStatusTip(
      tr("Copy the session to another file and continue there (autosave: "
         "runs write every finished prompt to the session file)."));
  file->insertAction(first, create);
  file->insertAction(first, open);
  file->insertMenu(first, recent_menu_);
  file->insertAction(first, save_as);
  file->insertSeparator(first);
  fillRecentMenu();

  auto* view = bar->addMenu(tr("&View"));
  for (auto* dock : window_->findChildren<QDockWidget*>())
    view->addAction(dock->toggleViewAction());
}

void AnalysisDocks::fillRecentMenu() {
  if (!recent_menu_) return;
  recent_menu_->clear();
  const QStringList files = session_->recentFiles();
  for (const QString& path : files) {
    auto* action = recent_menu_->addAction(QFileInfo(path).fileName());
    action->setToolTip(path);
    action->setStatusTip(path);
    connect(action, &QAction::triggered, this, [this, path] {
      if (!session_->openSession(path))
        QMessageBox::warning(window_, tr("Open session"), last_error_);
    });
  }
  if (!files.isEmpty()) {
    recent_menu_->addSeparator();
    recent_menu_->addAction(tr("Clear list"), session_, &SessionController::clearRecentFiles);
  }
  recent_menu_->setEnabled(!files.isEmpty());
}

void AnalysisDocks::newSessionDialog() {
  const QString path =
      QFileDialog::getSaveFileName(window_, tr("New session"), "experiment.mote", kSessionFilter);
  if (path.isEmpty()) return;
  const QString file = path.endsWith(".mote") ? path : path + ".mote";
  if (QFileInfo::exists(file)) {
    // The dialog asked to overwrite: a session is never overwritten in place (runs would be
    // lost), so say what to do instead.
    QMessageBox::warning(window_, tr("New session"),
                         tr("%1 exists. Open it, or choose another name.").arg(file));
    return;
  }
  if (!session_->newSession(file)) QMessageBox::warning(window_, tr("New session"), last_error_);
}

void AnalysisDocks::openSessionDialog() {
  const QString path =
      QFileDialog::getOpenFileName(window_, tr("Open session"), {}, kSessionFilter);
  if (path.isEmpty()) return;
  if (!session_->openSession(path)) QMessageBox::warning(window_, tr("Open session"), last_error_);
}

void AnalysisDocks::saveSessionAsDialog() {
  if (!session_->isOpen()) {
    report(tr("No session is open."));
    return;
  }
  if (runner_->busy()) {
    report(tr("Wait for the runs to finish (or cancel them) before switching to a copy."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(window_, tr("Save session as"),
                                                    session_->path(), kSessionFilter);
  if (path.isEmpty()) return;
  if (QFileInfo::exists(path)) {
    QMessageBox::warning(window_, tr("Save session as"),
                         tr("%1 exists: choose a new file name.").arg(path));
    return;
  }
  if (!session_->saveSessionAs(path))
    QMessageBox::warning(window_, tr("Save session as"), last_error_);
}

void AnalysisDocks::onSessionChanged() {
  auto* store = session_->store();
  datasets_->setStore(store);
  runs_->setStore(store);
  results_->setStore(store);
  ftri_->setStore(store);
  charts_->setStore(store, session_->path());
  for (auto* dock : docks_) {
    if (dock == docks_[kVolume]) continue;  // the 3D view shows the chat, not the session
    dock->widget()->setEnabled(store != nullptr);
  }
  if (store) window_->statusBar()->showMessage(tr("Session %1").arg(session_->path()), 5000);
  Q_EMIT titleChanged();
}

void AnalysisDocks::onQueueFinished() {
  runs_->reload();
  results_->showRun(runner_->controller()->runId(), window_->classifierName());
  ftri_->reloadChoices();
  charts_->setPreferredClassifier(window_->classifierName());
  charts_->reload();
}

void AnalysisDocks::showVolumeOf(const sessions::GenerationResult& result) {
  const auto& geometry = window_->tuning()->modelGeometry();
  if (result.routing.empty() || geometry.n_cells() == 0) return;
  try {
    chat_volume_ = widgets::ResonanceVolume::fromRouting(result.routing, geometry);
  } catch (const std::exception& e) {
    report(tr("3D view: %1").arg(QString::fromStdString(e.what())));
    return;
  }
  if (volume_ && static_cast<VolumeSource>(volume_source_->currentIndex()) == VolumeSource::kChat)
    volume_->setVolume(chat_volume_);
}

widgets::ResonanceVolumeView* AnalysisDocks::volume() {
  if (volume_) return volume_;
  volume_ = new widgets::ResonanceVolumeView(volume_placeholder_->parentWidget());
  volume_->setObjectName("volumeView");
  volume_layout_->replaceWidget(volume_placeholder_, volume_);
  volume_placeholder_->deleteLater();
  volume_placeholder_ = nullptr;
  connect(volume_, &widgets::ResonanceVolumeView::voxelSelected, this,
          [this](int layer, int expert, int token) {
            window_->heatmap()->setHighlightedExpert({layer, expert});
            window_->statusBar()->showMessage(
                tr("3D: token %1, layer %2, expert %3 (highlighted in the heatmap)")
                    .arg(token)
                    .arg(layer)
                    .arg(expert),
                8000);
          });
  if (!chat_volume_.empty()) volume_->setVolume(chat_volume_);
  return volume_;
}

void AnalysisDocks::setVolumeSource(VolumeSource source) {
  volume_source_->setCurrentIndex(static_cast<int>(source));
}

void AnalysisDocks::loadVolumeSource() {
  const auto source = static_cast<VolumeSource>(volume_source_->currentIndex());
  const int generation = ++volume_generation_;
  if (source == VolumeSource::kChat) {
    volume()->setVolume(chat_volume_);
    return;
  }
  if (!session_->isOpen() || ftri_->runId() <= 0) {
    report(tr("3D view: choose a run in the fTRI dock first."));
    return;
  }
  const std::string path = session_->path().toStdString();
  const std::int64_t run = ftri_->runId();
  const std::string classifier = ftri_->classifier().toStdString();
  auto* watcher = new QFutureWatcher<std::pair<widgets::ResonanceVolume, QString>>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
    watcher->deleteLater();
    if (generation != volume_generation_) return;  // another source was chosen meanwhile
    auto [volume, error] = watcher->result();
    if (!error.isEmpty()) {
      report(tr("3D view: %1").arg(error));
      return;
    }
    this->volume()->setVolume(std::move(volume));
  });
  // Decoding every map of a large run takes a while: off the UI thread, with its own store.
  watcher->setFuture(QtConcurrent::run([path, run, classifier, source] {
    std::pair<widgets::ResonanceVolume, QString> out;
    try {
      auto store = sessions::SessionStore::open(path);
      out.first = source == VolumeSource::kRunPrompts
                      ? widgets::runVolume(store, run)
                      : widgets::classMeanVolume(store, run, classifier);
    } catch (const std::exception& e) {
      out.second = QString::fromStdString(e.what());
    }
    return out;
  }));
}

bool AnalysisDocks::openPromptInChat(qint64 run_id, qint64 prompt_id) {
  auto* store = session_->store();
  if (!store) return false;
  try {
    const auto run = store->run(run_id);
    std::optional<sessions::StoredPrompt> prompt;
    for (auto& p : store->prompts(run.config.dataset_id))
      if (p.id == prompt_id) prompt = std::move(p);
    if (!prompt) {
      report(tr("Prompt %1 is not in run %2's dataset.").arg(prompt_id).arg(run_id));
      return false;
    }
    std::optional<std::string> system;
    for (const auto& d : store->list_datasets())
      if (d.id == run.config.dataset_id) system = d.system_prompt;
    sessions::SamplingSettings sampling = window_->samplingBar()->settings();
    if (run.config.sampling.is_object()) {
      sampling.temperature = run.config.sampling.value("temperature", 0.0);
      sampling.top_p = run.config.sampling.value("top_p", 1.0);
      sampling.top_k = run.config.sampling.value("top_k", 0);
    }
    sampling.max_tokens = run.config.max_tokens;
    // The seed the run sampled this prompt with, so the chat reproduces the stored answer.
    sampling.seed = sessions::prompt_seed(run.config.seed, prompt->position);
    window_->samplingBar()->setSettings(sampling);
    window_->comparison()->cancel();
    window_->clearConversation();
    window_->comparison()->setSystemPrompt(QString::fromStdString(system.value_or("")));
    const auto tuning = run.config.tuning.empty() ? window_->tuning()->spec() : run.config.tuning;
    if (!window_->comparison()->send(QString::fromStdString(prompt->prompt.text), sampling, tuning))
      return false;
    window_->statusBar()->showMessage(
        tr("Prompt %1 of run '%2' sent to the chat (max tokens %3, seed %4)")
            .arg(prompt->position)
            .arg(QString::fromStdString(run.config.name))
            .arg(sampling.max_tokens)
            .arg(*sampling.seed),
        8000);
    return true;
  } catch (const std::exception& e) {
    report(QString::fromStdString(e.what()));
    return false;
  }
}

void AnalysisDocks::report(const QString& message) {
  last_error_ = message;
  window_->statusBar()->showMessage(message, 15000);
}

}  // namespace mote::workbench
