#include "app/workbench/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QKeySequence>
#include <QMenuBar>
#include <QSettings>
#include <QShowEvent>
#include <QSplitter>
#include <QStatusBar>
#include <QStringList>
#include <QTimer>

#include "app/workbench/analysis_docks.h"
#include "app/workbench/chat_area.h"
#include "app/workbench/connection_dialog.h"
#include "app/workbench/status_indicators.h"
#include "widgets/heatmap_view.h"
#include "widgets/live_heatmap_panel.h"
#include "widgets/models/session_controller.h"
#include "widgets/models/tuning_document.h"
#include "widgets/tuning_panel.h"

namespace mote::workbench {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      connection_(new EngineConnection(this)),
      comparison_(new ComparisonSession(this)),
      tuning_(new widgets::TuningDocument(this)),
      session_(new widgets::SessionController(this)) {
  setWindowTitle(tr("MoTE Workbench"));
  splitter_ = new QSplitter(Qt::Horizontal, this);
  splitter_->setObjectName("mainSplitter");
  // The heatmap first: it takes a new geometry from the tuning document before the chat resets
  // its routing maps to that geometry and they are drawn.
  heatmap_panel_ = new widgets::LiveHeatmapPanel(tuning_, this);
  chat_ = new ChatArea(comparison_, tuning_, this);
  heatmap_panel_->setSources(chat_->accumulator(Side::kOriginal), chat_->accumulator(Side::kTuned));
  splitter_->addWidget(chat_);
  splitter_->addWidget(heatmap_panel_);
  splitter_->setStretchFactor(0, 3);
  splitter_->setStretchFactor(1, 2);
  setCentralWidget(splitter_);

  tuning_panel_ = new widgets::TuningPanel(tuning_, this);
  tuning_panel_->setMinimumWidth(300);  // the table's four columns
  tuning_dock_ = new QDockWidget(tr("Tuning"), this);
  tuning_dock_->setObjectName("tuningDock");
  tuning_dock_->setWidget(tuning_panel_);

  analysis_ = new AnalysisDocks({.session = session_,
                                 .connection = connection_,
                                 .tuning = tuning_,
                                 .chat = chat_,
                                 .comparison = comparison_,
                                 .heatmap = heatmap_panel_->heatmap()},
                                this);
  placeDocks();
  buildMenus();
  status_ = new StatusIndicators(statusBar(), connection_, tuning_);
  wire();
  restoreLayout();
}

MainWindow::~MainWindow() = default;

void MainWindow::placeDocks() {
  addDockWidget(Qt::RightDockWidgetArea, tuning_dock_);
  const auto& docks = analysis_->docks();
  for (auto* dock : docks) addDockWidget(Qt::BottomDockWidgetArea, dock);
  for (std::size_t i = 1; i < docks.size(); ++i) tabifyDockWidget(docks[0], docks[i]);
  docks[0]->raise();
}

void MainWindow::buildMenus() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&Connect to engine…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C), this,
                  &MainWindow::openConnectionDialog);
  file->addAction(tr("&Reconnect"), connection_, &EngineConnection::reconnect);
  file->addSeparator();
  file->addAction(tr("Export &heatmap (PNG/SVG)…"), QKeySequence(Qt::CTRL | Qt::Key_E),
                  heatmap_panel_, &widgets::LiveHeatmapPanel::exportDialog);
  file->addAction(tr("Export &conversation (Markdown)…"), chat_,
                  &ChatArea::exportConversationDialog);
  file->addAction(tr("Export &tuning (JSON/CSV)…"), tuning_panel_,
                  &widgets::TuningPanel::openSaveDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
  analysis_->addSessionMenu(file);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(tuning_->createUndoAction(this));
  edit->addAction(tuning_->createRedoAction(this));

  auto* chat = menuBar()->addMenu(tr("&Chat"));
  chat->addAction(tr("&Send"), chat_, &ChatArea::sendPrompt);
  chat->addAction(tr("&Re-run with current tuning"), QKeySequence(Qt::CTRL | Qt::Key_R), chat_,
                  &ChatArea::rerunConversation);
  chat->addAction(tr("C&lear conversation"), QKeySequence(Qt::CTRL | Qt::Key_L), chat_,
                  &ChatArea::clearConversation);
  auto* cancel = chat->addAction(tr("&Cancel generation"), chat_, &ChatArea::cancelGeneration);
  cancel->setShortcut(QKeySequence(Qt::Key_Escape));
  cancel->setShortcutContext(Qt::ApplicationShortcut);

  auto* tuning = menuBar()->addMenu(tr("&Tuning"));
  tuning->addAction(tuning_panel_->loadAction());
  tuning->addAction(tuning_panel_->saveAction());
  tuning->addAction(tuning_panel_->clearAction());

  auto* view = menuBar()->addMenu(tr("&View"));
  for (auto* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
}

void MainWindow::wire() {
  const auto show = [this](const QString& text, int timeout_ms) {
    statusBar()->showMessage(text, timeout_ms);
  };
  connect(analysis_, &AnalysisDocks::message, this, show);
  connect(chat_, &ChatArea::message, this, show);
  connect(analysis_, &AnalysisDocks::titleChanged, this, &MainWindow::updateTitle);
  connect(tuning_, &widgets::TuningDocument::refused, this,
          [show](const QString& message) { show(message, 8000); });

  // The chat follows the engine: its endpoint, a lost engine cancels the answers in flight, a new
  // model's geometry (the tuning document resets for another model) and its chat template.
  connect(connection_, &EngineConnection::stateChanged, this, [this](EngineConnection::State s) {
    comparison_->setEndpoint(connection_->endpoint());
    if (s == EngineConnection::State::kLost) comparison_->cancel();
  });
  connect(connection_, &EngineConnection::connected, this, [this](const mote::ModelInfo& model) {
    tuning_->adoptModelGeometry(model.geometry);
    chat_->setModel(model);
    comparison_->setEndpoint(connection_->endpoint());
    updateTitle();
    heatmap_panel_->refresh();
  });

  connect(chat_, &ChatArea::problem, status_, &StatusIndicators::showProblem);
  connect(chat_, &ChatArea::problemCleared, status_, &StatusIndicators::clearProblem);
  connect(chat_, &ChatArea::tokenHovered, heatmap_panel_,
          &widgets::LiveHeatmapPanel::setHoveredToken);
  connect(comparison_, &ComparisonSession::turnFinished, heatmap_panel_,
          &widgets::LiveHeatmapPanel::refresh);
  connect(tuning_panel_, &widgets::TuningPanel::expertActivated, heatmap_panel_->heatmap(),
          &widgets::HeatmapView::setHighlightedExpert);
}

widgets::HeatmapView* MainWindow::heatmap() const {
  return heatmap_panel_->heatmap();
}

widgets::ChatPane* MainWindow::pane(Side side) const {
  return chat_->pane(side);
}

widgets::RoutingAccumulator* MainWindow::accumulator(Side side) const {
  return chat_->accumulator(side);
}

QPlainTextEdit* MainWindow::promptEdit() const {
  return chat_->promptEdit();
}

SamplingBar* MainWindow::samplingBar() const {
  return chat_->samplingBar();
}

QString MainWindow::classifierName() const {
  return chat_->classifierName();
}

void MainWindow::setHeatmapMode(widgets::HeatmapMode mode, Side side) {
  heatmap_panel_->setMode(mode, static_cast<int>(side));
}

void MainWindow::rerunConversation() {
  chat_->rerunConversation();
}

void MainWindow::restoreLayout() {
  QSettings settings;
  if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1500, 900);
  default_layout_pending_ = !restoreState(settings.value("window/state").toByteArray());
  splitter_->restoreState(settings.value("window/splitter").toByteArray());
  const QString classifier = settings.value("chat/classifier").toString();
  if (!classifier.isEmpty()) chat_->setClassifierName(classifier);
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  if (!default_layout_pending_) return;
  default_layout_pending_ = false;
  // First start: the chat and the heatmap get two thirds of the height, the analysis docks
  // (tabbed at the bottom) the rest, the tuning dock its minimum width. Deferred past the first
  // layout pass: resizeDocks on a window not yet laid out is ignored.
  QTimer::singleShot(0, this, [this] {
    resizeDocks({analysis_->dock(AnalysisDocks::kDatasets)}, {height() / 3}, Qt::Vertical);
    resizeDocks({tuning_dock_}, {tuning_dock_->minimumSizeHint().width()}, Qt::Horizontal);
    const int width = splitter_->width();
    splitter_->setSizes({width * 11 / 20, width * 9 / 20});  // chat, heatmap
  });
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue("window/geometry", saveGeometry());
  settings.setValue("window/state", saveState());
  settings.setValue("window/splitter", splitter_->saveState());
  settings.setValue("chat/classifier", chat_->classifierName());
  comparison_->cancel();
  QMainWindow::closeEvent(event);
}

void MainWindow::connectAtStartup(const std::optional<ConnectionTarget>& target) {
  if (connection_->connectAtStartup(target)) return;
  status_->showProblem(
      tr("No shipped demo model found: choose a model directory or a remote engine."));
  openConnectionDialog();
}

void MainWindow::openConnectionDialog() {
  ConnectionDialog dialog(connection_->target(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  const ConnectionTarget target = dialog.target();
  target.remember();
  comparison_->cancel();
  connection_->connectTo(target);
}

void MainWindow::updateTitle() {
  // "refusal.mote — MoTE Workbench — model": the session first, as in document applications.
  QStringList parts;
  if (!session_->displayName().isEmpty()) parts << session_->displayName();
  parts << tr("MoTE Workbench");
  if (const auto& model = connection_->model()) parts << QString::fromStdString(model->id);
  setWindowTitle(parts.join(QStringLiteral(" — ")));
}

}  // namespace mote::workbench
