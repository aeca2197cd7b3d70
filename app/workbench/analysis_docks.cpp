#include "app/workbench/analysis_docks.h"

#include <QAction>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>

#include "app/workbench/chat_area.h"
#include "app/workbench/comparison_session.h"
#include "app/workbench/engine_connection.h"
#include "app/workbench/sampling_bar.h"
#include "sessions/run_executor.h"
#include "widgets/charts_panel.h"
#include "widgets/dataset_panel.h"
#include "widgets/experiment_runner.h"
#include "widgets/ftri_panel.h"
#include "widgets/ftri_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/models/session_controller.h"
#include "widgets/models/tuning_document.h"
#include "widgets/results_panel.h"
#include "widgets/run_controller.h"
#include "widgets/runs_panel.h"
#include "widgets/volume_view.h"

namespace mote::workbench {

namespace {
const QString kSessionFilter = QObject::tr("MoTE sessions (*.mote);;All files (*)");

widgets::ExperimentRunner::Engine engineOf(EngineConnection* connection) {
  return {[connection] { return connection->endpoint(); },
          [connection] { return connection->model(); }};
}
}  // namespace

AnalysisDocks::AnalysisDocks(const Context& context, QWidget* host)
    : QObject(host),
      context_(context),
      host_(host),
      runner_(new widgets::ExperimentRunner(engineOf(context.connection), context.session, this)) {
  datasets_ = new widgets::DatasetPanel(host);
  widgets::RunsPanel::Providers providers;
  providers.sampling = [chat = context.chat] { return chat->samplingBar()->settings(); };
  providers.tuning = [tuning = context.tuning] { return tuning->spec(); };
  providers.classifier = [chat = context.chat] { return chat->classifierName(); };
  runs_ = new widgets::RunsPanel(runner_, providers, host);
  results_ = new widgets::ResultsPanel(host);
  ftri_ = new widgets::FtriPanel(host);
  ftri()->setTuningDocument(context.tuning);
  charts_ = new widgets::ChartsPanel(host);
  volume_ = new widgets::VolumePanel(host);

  addDock(kDatasets, tr("Datasets"), "datasetsDock", datasets_);
  addDock(kRuns, tr("Runs"), "runsDock", runs_);
  addDock(kResults, tr("Results"), "resultsDock", results_);
  addDock(kFtri, tr("fTRI"), "ftriDock", ftri_);
  addDock(kCharts, tr("Charts"), "chartsDock", charts_);
  addDock(kVolume, tr("3D"), "volumeDock", volume_);
  connect(docks_[kVolume], &QDockWidget::visibilityChanged, this, [this](bool visible) {
    if (visible) volume();
  });
  connectPanels();
  charts_->setPreferredClassifier(context.chat->classifierName());
  onSessionChanged();
}

AnalysisDocks::~AnalysisDocks() = default;

QDockWidget* AnalysisDocks::addDock(Dock which, const QString& title, const QString& name,
                                    QWidget* widget) {
  auto* dock = new QDockWidget(title, host_);
  dock->setObjectName(name);
  dock->setWidget(widget);
  docks_[which] = dock;
  return dock;
}

void AnalysisDocks::connectPanels() {
  auto* session = context_.session;
  connect(session, &widgets::SessionController::sessionChanged, this,
          &AnalysisDocks::onSessionChanged);
  connect(session, &widgets::SessionController::failed, this, &AnalysisDocks::report);
  connect(session, &widgets::SessionController::recentFilesChanged, this,
          &AnalysisDocks::fillRecentMenu);
  // Every panel reports problems the same way: the status bar names them.
  connect(datasets_, &widgets::DatasetPanel::failed, this, &AnalysisDocks::report);
  connect(runs_, &widgets::RunsPanel::failed, this, &AnalysisDocks::report);
  connect(results_, &widgets::ResultsPanel::failed, this, &AnalysisDocks::report);
  connect(charts_, &widgets::ChartsPanel::failed, this, &AnalysisDocks::report);
  connect(runner_, &widgets::ExperimentRunner::failed, this, &AnalysisDocks::report);
  connect(ftri(), &widgets::FtriView::computeFailed, this, &AnalysisDocks::report);
  connect(ftri_, &widgets::FtriPanel::failed, this, &AnalysisDocks::report);
  connect(volume_, &widgets::VolumePanel::failed, this, &AnalysisDocks::report);

  connect(datasets_, &widgets::DatasetPanel::datasetsChanged, runs_, &widgets::RunsPanel::reload);
  connect(datasets_, &widgets::DatasetPanel::selectionChanged, runs_,
          [this](qint64 id) { runs_->setDataset(id); });
  connect(runs_, &widgets::RunsPanel::runSelected, results_,
          [this](qint64 run_id) { results_->showRun(run_id); });
  connect(runner_, &widgets::ExperimentRunner::queueFinished, this,
          &AnalysisDocks::onQueueFinished);
  connect(runner_, &widgets::ExperimentRunner::doseCurveStored, this,
          [this](qint64 result_id, const QString& skipped) {
            // The curve the user started: show it.
            if (charts_->showDoseCurve(result_id)) docks_[kCharts]->raise();
            Q_EMIT message(
                skipped.isEmpty()
                    ? tr("Dose curve stored (result %1)").arg(result_id)
                    : tr("Dose curve stored (result %1); left out: %2").arg(result_id).arg(skipped),
                10000);
          });
  connect(runner_, &widgets::ExperimentRunner::stepStarted, this,
          [this](qint64, int index, int count, const QString& description) {
            Q_EMIT message(tr("Running %1 (%2/%3) …").arg(description).arg(index).arg(count), 5000);
          });

  connect(results_, &widgets::ResultsPanel::promptActivated, this,
          &AnalysisDocks::openPromptInChat);
  connect(charts_, &widgets::ChartsPanel::promptActivated, this, &AnalysisDocks::openPromptInChat);

  // fTRI: one-click tuning is one undoable command of the tuning document; a hovered expert is
  // highlighted in the live heatmap and the 3D view.
  connect(ftri(), &widgets::FtriView::tuningRequested, context_.tuning,
          &widgets::TuningDocument::setStates);
  connect(ftri(), &widgets::FtriView::expertHighlighted, this, [this](int layer, int expert) {
    if (layer < 0)
      context_.heatmap->clearHighlight();
    else
      context_.heatmap->setHighlightedExpert({layer, expert});
    if (volume_->hasView()) volume_->view()->highlightExpert(layer, expert);
  });
  connect(ftri(), &widgets::FtriView::analysisReady, this, [this](qint64 id) {
    runs_->reload();  // the dose-curve form lists the new result
    Q_EMIT message(tr("fTRI result %1 shown").arg(id), 5000);
  });

  // 3D: the tuned side's routing of the current conversation, or the fTRI dock's run; a clicked
  // voxel selects that expert in the heatmap.
  connect(context_.comparison, &ComparisonSession::answerFinished, this,
          [this](Side side, const sessions::GenerationResult& result) {
            if (side == Side::kTuned)
              volume_->setChatRouting(result.routing, context_.tuning->modelGeometry());
          });
  connect(volume_, &widgets::VolumePanel::runSourceChosen, this, [this] {
    auto* session = context_.session;
    volume_->loadRun(session->isOpen() ? session->path() : QString(), ftri()->runId(),
                     ftri()->classifier());
  });
  connect(volume_, &widgets::VolumePanel::voxelSelected, this,
          [this](int layer, int expert, int token) {
            context_.heatmap->setHighlightedExpert({layer, expert});
            Q_EMIT message(tr("3D: token %1, layer %2, expert %3 (highlighted in the heatmap)")
                               .arg(token)
                               .arg(layer)
                               .arg(expert),
                           8000);
          });
}

widgets::FtriView* AnalysisDocks::ftri() const {
  return ftri_->view();
}

void AnalysisDocks::addSessionMenu(QMenu* file) {
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
}

void AnalysisDocks::fillRecentMenu() {
  if (!recent_menu_) return;
  recent_menu_->clear();
  const QStringList files = context_.session->recentFiles();
  for (const QString& path : files) {
    auto* action = recent_menu_->addAction(QFileInfo(path).fileName());
    action->setToolTip(path);
    action->setStatusTip(path);
    connect(action, &QAction::triggered, this, [this, path] {
      if (!context_.session->openSession(path))
        QMessageBox::warning(host_, tr("Open session"), last_error_);
    });
  }
  if (!files.isEmpty()) {
    recent_menu_->addSeparator();
    recent_menu_->addAction(tr("Clear list"), context_.session,
                            &widgets::SessionController::clearRecentFiles);
  }
  recent_menu_->setEnabled(!files.isEmpty());
}

void AnalysisDocks::newSessionDialog() {
  const QString path =
      QFileDialog::getSaveFileName(host_, tr("New session"), "experiment.mote", kSessionFilter);
  if (path.isEmpty()) return;
  const QString file = path.endsWith(".mote") ? path : path + ".mote";
  if (QFileInfo::exists(file)) {
    // The dialog asked to overwrite: a session is never overwritten in place (runs would be
    // lost), so say what to do instead.
    QMessageBox::warning(host_, tr("New session"),
                         tr("%1 exists. Open it, or choose another name.").arg(file));
    return;
  }
  if (!context_.session->newSession(file))
    QMessageBox::warning(host_, tr("New session"), last_error_);
}

void AnalysisDocks::openSessionDialog() {
  const QString path = QFileDialog::getOpenFileName(host_, tr("Open session"), {}, kSessionFilter);
  if (path.isEmpty()) return;
  if (!context_.session->openSession(path))
    QMessageBox::warning(host_, tr("Open session"), last_error_);
}

void AnalysisDocks::saveSessionAsDialog() {
  if (!context_.session->isOpen()) {
    report(tr("No session is open."));
    return;
  }
  if (runner_->busy()) {
    report(tr("Wait for the runs to finish (or cancel them) before switching to a copy."));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(host_, tr("Save session as"),
                                                    context_.session->path(), kSessionFilter);
  if (path.isEmpty()) return;
  if (QFileInfo::exists(path)) {
    QMessageBox::warning(host_, tr("Save session as"),
                         tr("%1 exists: choose a new file name.").arg(path));
    return;
  }
  if (!context_.session->saveSessionAs(path))
    QMessageBox::warning(host_, tr("Save session as"), last_error_);
}

void AnalysisDocks::onSessionChanged() {
  auto* session = context_.session;
  auto* store = session->store();
  datasets_->setStore(store);
  runs_->setStore(store);
  results_->setStore(store);
  ftri()->setStore(store);
  charts_->setStore(store, session->path());
  for (auto* dock : docks_) {
    if (dock == docks_[kVolume]) continue;  // the 3D view shows the chat, not the session
    dock->widget()->setEnabled(store != nullptr);
  }
  if (store) Q_EMIT message(tr("Session %1").arg(session->path()), 5000);
  Q_EMIT titleChanged();
}

void AnalysisDocks::onQueueFinished() {
  const QString classifier = context_.chat->classifierName();
  runs_->reload();
  results_->showRun(runner_->controller()->runId(), classifier);
  ftri()->reloadChoices();
  charts_->setPreferredClassifier(classifier);
  charts_->reload();
}

widgets::ResonanceVolumeView* AnalysisDocks::volume() {
  return volume_->view();
}

void AnalysisDocks::setVolumeSource(VolumeSource source) {
  volume_->setSource(source);
}

bool AnalysisDocks::openPromptInChat(qint64 run_id, qint64 prompt_id) {
  auto* store = context_.session->store();
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
    auto* chat = context_.chat;
    sessions::SamplingSettings sampling = chat->samplingBar()->settings();
    if (run.config.sampling.is_object()) {
      sampling.temperature = run.config.sampling.value("temperature", 0.0);
      sampling.top_p = run.config.sampling.value("top_p", 1.0);
      sampling.top_k = run.config.sampling.value("top_k", 0);
    }
    sampling.max_tokens = run.config.max_tokens;
    // The seed the run sampled this prompt with, so the chat reproduces the stored answer.
    sampling.seed = sessions::prompt_seed(run.config.seed, prompt->position);
    const auto tuning = run.config.tuning.empty() ? context_.tuning->spec() : run.config.tuning;
    if (!chat->startConversation(QString::fromStdString(prompt->prompt.text),
                                 QString::fromStdString(system.value_or("")), sampling, tuning))
      return false;
    Q_EMIT message(tr("Prompt %1 of run '%2' sent to the chat (max tokens %3, seed %4)")
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

void AnalysisDocks::report(const QString& text) {
  last_error_ = text;
  Q_EMIT message(text, 15000);
}

}  // namespace mote::workbench
