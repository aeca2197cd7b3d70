#include "app/workbench/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QShortcut>
#include <QShowEvent>
#include <QSplitter>
#include <QStatusBar>
#include <QStringList>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

#include "app/workbench/analysis_docks.h"
#include "app/workbench/connection_dialog.h"
#include "app/workbench/sampling_bar.h"
#include "app/workbench/session_controller.h"
#include "sessions/answer_classifier.h"
#include "sessions/resources.h"
#include "widgets/chat_divergence.h"
#include "widgets/chat_pane.h"
#include "widgets/conversation_export.h"
#include "widgets/figure_export.h"
#include "widgets/heatmap_source.h"
#include "widgets/heatmap_view.h"
#include "widgets/tuning_document.h"
#include "widgets/tuning_panel.h"

namespace mote::workbench {

namespace {
constexpr int kSideCount = 2;
QString sideName(Side side) {
  return side == Side::kOriginal ? QObject::tr("Original") : QObject::tr("Tuned");
}
QString describeTuning(const mote::TuningSpec& spec) {
  return spec.empty() ? QObject::tr("none") : QString::fromStdString(spec.to_json().dump());
}
}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      connection_(new EngineConnection(this)),
      comparison_(new ComparisonSession(this)),
      tuning_(new widgets::TuningDocument(this)) {
  setWindowTitle(tr("MoTE Workbench"));
  for (int side = 0; side < kSideCount; ++side)
    accumulators_[side] = new widgets::RoutingAccumulator(this);
  buildChatArea();
  buildHeatmapArea();
  analysis_ = new AnalysisDocks(this);
  buildMenus();
  analysis_->addMenus(file_menu_, menuBar());
  buildStatusBar();
  connect(analysis_, &AnalysisDocks::titleChanged, this, &MainWindow::updateTitle);

  connect(connection_, &EngineConnection::stateChanged, this, &MainWindow::onConnectionState);
  connect(connection_, &EngineConnection::connected, this, &MainWindow::onConnected);
  connect(connection_, &EngineConnection::errorOccurred, this, [this](const QString& message) {
    problem_label_->setText(message.section('\n', 0, 0));
    problem_label_->setToolTip(message);
    reconnect_button_->setVisible(true);
  });

  connect(comparison_, &ComparisonSession::turnStarted, this, [this](const QString& message) {
    const bool think = templateStartsInThink();
    for (int side = 0; side < kSideCount; ++side) {
      panes_[side]->addUserMessage(message);
      panes_[side]->beginAnswer(think);
      accumulators_[side]->reset();
      if (const auto& request = comparison_->lastRequest(static_cast<Side>(side)))
        accumulators_[side]->setTuning(request->tuning);
    }
    panes_[1]->setTuningDescription(describeTuning(tuning_->spec()));
    send_button_->setEnabled(false);
    problem_label_->clear();
  });
  connect(comparison_, &ComparisonSession::token, this,
          [this](Side side, const sessions::TokenEvent& event) {
            panes_[static_cast<int>(side)]->appendTokenEvent(event);
            accumulators_[static_cast<int>(side)]->addTokenEvent(event);
          });
  connect(comparison_, &ComparisonSession::answerFinished, this, &MainWindow::onAnswerFinished);
  connect(comparison_, &ComparisonSession::answerFailed, this,
          [this](Side side, const QString& message, bool cancelled) {
            auto* pane = panes_[static_cast<int>(side)];
            pane->finishAnswer(cancelled ? QStringLiteral("cancelled") : QStringLiteral("error"));
            if (!cancelled) {
              pane->setAnswerLabel(tr("engine error"), -1, QColor("#b00020"));
              problem_label_->setText(message.section('\n', 0, 0));
              problem_label_->setToolTip(message);
            }
          });
  connect(comparison_, &ComparisonSession::turnFinished, this, &MainWindow::onTurnFinished);
  connect(comparison_, &ComparisonSession::idle, this, [this] { send_button_->setEnabled(true); });
  connect(comparison_, &ComparisonSession::error, this,
          [this](const QString& message) { statusBar()->showMessage(message, 6000); });

  for (int side = 0; side < kSideCount; ++side) {
    connect(accumulators_[side], &widgets::RoutingAccumulator::mapsChanged, this,
            &MainWindow::refreshHeatmap);
    connect(panes_[side], &widgets::ChatPane::tokenHovered, this, [this, side](int token) {
      hovered_token_ = token;
      hovered_side_ = static_cast<Side>(side);
      if (heatmap_mode_->currentData().toInt() == static_cast<int>(widgets::HeatmapMode::kToken)) {
        if (token >= 0) heatmap_side_->setCurrentIndex(side);
        refreshHeatmap();
      }
    });
  }
  connect(tuning_, &widgets::TuningDocument::changed, this, &MainWindow::updateTuningStatus);
  connect(tuning_, &widgets::TuningDocument::refused, this,
          [this](const QString& message) { statusBar()->showMessage(message, 8000); });
  restoreLayout();
  updateTuningStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildChatArea() {
  auto* chat = new QWidget(this);
  auto* layout = new QVBoxLayout(chat);
  sampling_ = new SamplingBar(chat);
  classifier_box_ = new QComboBox(chat);
  classifier_box_->setObjectName("classifier");
  classifier_box_->setToolTip(tr("Rule set that labels each answer"));
  try {
    for (const auto& name : sessions::builtin_names("classifiers"))
      classifier_box_->addItem(QString::fromStdString(name));
  } catch (const std::exception& e) {
    statusBar()->showMessage(QString::fromStdString(e.what()));
  }
  auto* top = new QHBoxLayout;
  top->addWidget(sampling_, 1);
  top->addWidget(new QLabel(tr("Labels"), chat));
  top->addWidget(classifier_box_);
  layout->addLayout(top);

  auto* panes = new QSplitter(Qt::Horizontal, chat);
  for (int side = 0; side < kSideCount; ++side) {
    panes_[side] = new widgets::ChatPane(panes);
    panes_[side]->setTitle(sideName(static_cast<Side>(side)));
    panes_[side]->setObjectName(side == 0 ? "originalPane" : "tunedPane");
    panes->addWidget(panes_[side]);
  }
  layout->addWidget(panes, 1);

  prompt_ = new QPlainTextEdit(chat);
  prompt_->setObjectName("prompt");
  prompt_->setPlaceholderText(
      tr("Ask something — Ctrl+Enter sends to both sides, Ctrl+R re-runs the conversation with "
         "the current tuning, Esc cancels"));
  prompt_->setMaximumHeight(90);
  send_button_ = new QPushButton(tr("Send"), chat);
  send_button_->setObjectName("send");
  auto* rerun = new QPushButton(tr("Re-run tuned"), chat);
  auto* clear = new QPushButton(tr("Clear"), chat);
  auto* buttons = new QVBoxLayout;
  buttons->addWidget(send_button_);
  buttons->addWidget(rerun);
  buttons->addWidget(clear);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(prompt_, 1);
  bottom->addLayout(buttons);
  layout->addLayout(bottom);

  connect(send_button_, &QPushButton::clicked, this, &MainWindow::sendPrompt);
  connect(rerun, &QPushButton::clicked, this, &MainWindow::rerunConversation);
  connect(clear, &QPushButton::clicked, this, &MainWindow::clearConversation);
  connect(classifier_box_, &QComboBox::currentTextChanged, this, &MainWindow::loadClassifier);
  auto* send_shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), prompt_);
  connect(send_shortcut, &QShortcut::activated, this, &MainWindow::sendPrompt);
  auto* send_shortcut2 = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), prompt_);
  connect(send_shortcut2, &QShortcut::activated, this, &MainWindow::sendPrompt);

  splitter_ = new QSplitter(Qt::Horizontal, this);
  splitter_->setObjectName("mainSplitter");
  splitter_->addWidget(chat);
  setCentralWidget(splitter_);
  if (classifier_box_->count() > 0) loadClassifier(classifier_box_->currentText());
}

void MainWindow::buildHeatmapArea() {
  auto* area = new QWidget(splitter_);
  auto* layout = new QVBoxLayout(area);
  heatmap_mode_ = new QComboBox(area);
  heatmap_mode_->setObjectName("heatmapMode");
  for (auto mode : {widgets::HeatmapMode::kPrompt, widgets::HeatmapMode::kAnswer,
                    widgets::HeatmapMode::kToken, widgets::HeatmapMode::kDifference})
    heatmap_mode_->addItem(widgets::heatmapModeName(mode), static_cast<int>(mode));
  heatmap_side_ = new QComboBox(area);
  heatmap_side_->setObjectName("heatmapSide");
  heatmap_side_->addItem(sideName(Side::kOriginal));
  heatmap_side_->addItem(sideName(Side::kTuned));
  heatmap_side_->setCurrentIndex(1);
  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Map"), area));
  controls->addWidget(heatmap_mode_);
  controls->addWidget(new QLabel(tr("of"), area));
  controls->addWidget(heatmap_side_);
  controls->addStretch(1);
  layout->addLayout(controls);
  heatmap_ = new widgets::HeatmapView(area);
  heatmap_->setObjectName("heatmap");
  heatmap_->setDocument(tuning_);
  layout->addWidget(heatmap_, 1);
  // Under the map and wrapped, so the hint does not set the window's minimum width (the
  // workbench must fit a 1600 px laptop screen beside the chat and the tuning dock).
  auto* hint = new QLabel(tr("click: none → suppress → stimulate · drag: select · "
                             "Shift-drag: suppress · Ctrl-drag: stimulate"),
                          area);
  hint->setWordWrap(true);
  hint->setEnabled(false);  // drawn as a caption
  layout->addWidget(hint);
  splitter_->addWidget(area);
  splitter_->setStretchFactor(0, 3);
  splitter_->setStretchFactor(1, 2);
  connect(heatmap_mode_, &QComboBox::currentIndexChanged, this, &MainWindow::refreshHeatmap);
  connect(heatmap_side_, &QComboBox::currentIndexChanged, this, &MainWindow::refreshHeatmap);

  tuning_panel_ = new widgets::TuningPanel(tuning_, this);
  tuning_panel_->setMinimumWidth(300);  // the table's four columns
  auto* dock = new QDockWidget(tr("Tuning"), this);
  dock->setObjectName("tuningDock");
  tuning_dock_ = dock;
  dock->setWidget(tuning_panel_);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  connect(tuning_panel_, &widgets::TuningPanel::expertActivated, heatmap_,
          &widgets::HeatmapView::setHighlightedExpert);
}

void MainWindow::buildMenus() {
  auto* file = menuBar()->addMenu(tr("&File"));
  file_menu_ = file;
  file->addAction(tr("&Connect to engine…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C), this,
                  &MainWindow::openConnectionDialog);
  file->addAction(tr("&Reconnect"), connection_, &EngineConnection::reconnect);
  file->addSeparator();
  file->addAction(tr("Export &heatmap (PNG/SVG)…"), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                  &MainWindow::exportHeatmap);
  file->addAction(tr("Export &conversation (Markdown)…"), this, &MainWindow::exportConversation);
  file->addAction(tr("Export &tuning (JSON/CSV)…"), tuning_panel_,
                  &widgets::TuningPanel::openSaveDialog);
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  auto* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(tuning_->createUndoAction(this));
  edit->addAction(tuning_->createRedoAction(this));

  auto* chat = menuBar()->addMenu(tr("&Chat"));
  chat->addAction(tr("&Send"), this, &MainWindow::sendPrompt);
  chat->addAction(tr("&Re-run with current tuning"), QKeySequence(Qt::CTRL | Qt::Key_R), this,
                  &MainWindow::rerunConversation);
  chat->addAction(tr("C&lear conversation"), QKeySequence(Qt::CTRL | Qt::Key_L), this,
                  &MainWindow::clearConversation);
  auto* cancel = chat->addAction(tr("&Cancel generation"), this, &MainWindow::cancelGeneration);
  cancel->setShortcut(QKeySequence(Qt::Key_Escape));
  cancel->setShortcutContext(Qt::ApplicationShortcut);

  auto* tuning = menuBar()->addMenu(tr("&Tuning"));
  tuning->addAction(tuning_panel_->loadAction());
  tuning->addAction(tuning_panel_->saveAction());
  tuning->addAction(tuning_panel_->clearAction());
}

void MainWindow::buildStatusBar() {
  model_label_ = new QLabel(tr("no model"), this);
  model_label_->setObjectName("modelStatus");
  engine_label_ = new QLabel(tr("disconnected"), this);
  engine_label_->setObjectName("engineStatus");
  tuning_label_ = new QLabel(this);
  problem_label_ = new QLabel(this);
  problem_label_->setStyleSheet("color: #b00020");
  reconnect_button_ = new QPushButton(tr("Reconnect"), this);
  reconnect_button_->setVisible(false);
  connect(reconnect_button_, &QPushButton::clicked, connection_, &EngineConnection::reconnect);
  statusBar()->addPermanentWidget(problem_label_, 1);
  statusBar()->addPermanentWidget(reconnect_button_);
  statusBar()->addPermanentWidget(tuning_label_);
  statusBar()->addPermanentWidget(model_label_);
  statusBar()->addPermanentWidget(engine_label_);
}

void MainWindow::restoreLayout() {
  QSettings settings;
  if (!restoreGeometry(settings.value("window/geometry").toByteArray())) resize(1500, 900);
  default_layout_pending_ = !restoreState(settings.value("window/state").toByteArray());
  splitter_->restoreState(settings.value("window/splitter").toByteArray());
  const QString classifier = settings.value("chat/classifier").toString();
  if (!classifier.isEmpty()) classifier_box_->setCurrentText(classifier);
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
  settings.setValue("chat/classifier", classifier_box_->currentText());
  comparison_->cancel();
  QMainWindow::closeEvent(event);
}

void MainWindow::connectAtStartup(const std::optional<ConnectionTarget>& target) {
  if (target) {
    connection_->connectTo(*target);
    return;
  }
  QSettings settings;
  if (settings.contains("connection/kind")) {
    ConnectionTarget remembered;
    remembered.kind = settings.value("connection/kind").toString() == "remote"
                          ? ConnectionTarget::Kind::kRemote
                          : ConnectionTarget::Kind::kLocal;
    remembered.model_dir = settings.value("connection/modelDir").toString();
    remembered.url = settings.value("connection/url").toString();
    remembered.api_key = settings.value("connection/apiKey").toString();
    connection_->connectTo(remembered);
    return;
  }
  ConnectionTarget demo;
  if (auto dir = sessions::default_model_dir()) {
    demo.model_dir = QString::fromStdString(dir->string());
    connection_->connectTo(demo);
  } else {
    problem_label_->setText(
        tr("No shipped demo model found: choose a model directory or a remote engine."));
    openConnectionDialog();
  }
}

void MainWindow::openConnectionDialog() {
  ConnectionDialog dialog(connection_->target(), this);
  if (dialog.exec() != QDialog::Accepted) return;
  const ConnectionTarget target = dialog.target();
  QSettings settings;
  settings.setValue("connection/kind",
                    target.kind == ConnectionTarget::Kind::kRemote ? "remote" : "local");
  settings.setValue("connection/modelDir", target.model_dir);
  settings.setValue("connection/url", target.url);
  settings.setValue("connection/apiKey", target.api_key);
  comparison_->cancel();
  connection_->connectTo(target);
}

void MainWindow::onConnectionState(EngineConnection::State state) {
  static const char* names[] = {"disconnected", "starting…", "connected", "failed", "lost"};
  engine_label_->setText(tr("engine: %1").arg(tr(names[static_cast<int>(state)])));
  engine_label_->setToolTip(connection_->target().describe());
  reconnect_button_->setVisible(state == EngineConnection::State::kFailed ||
                                state == EngineConnection::State::kLost);
  comparison_->setEndpoint(connection_->endpoint());
  if (state == EngineConnection::State::kLost) comparison_->cancel();
}

void MainWindow::onConnected(const mote::ModelInfo& model) {
  problem_label_->clear();
  const auto& g = model.geometry;
  model_label_->setText(tr("%1 · %2 × %3 (top-%4)")
                            .arg(QString::fromStdString(model.id))
                            .arg(g.n_moe_layers())
                            .arg(g.n_experts)
                            .arg(g.top_k));
  // A new geometry resets the tuning (addresses of another model mean nothing here); the same
  // model reconnected keeps it.
  if (!(tuning_->modelGeometry().moe_layers == g.moe_layers &&
        tuning_->modelGeometry().n_experts == g.n_experts &&
        tuning_->modelGeometry().top_k == g.top_k)) {
    tuning_->setModelGeometry(g);
    for (auto* acc : accumulators_) acc->setModelGeometry(g);
  }
  comparison_->setEndpoint(connection_->endpoint());
  updateTitle();
  refreshHeatmap();
}

void MainWindow::sendPrompt() {
  const QString text = prompt_->toPlainText().trimmed();
  if (text.isEmpty()) return;
  if (comparison_->send(text, sampling_->settings(), tuning_->spec())) prompt_->clear();
}

void MainWindow::rerunConversation() {
  if (comparison_->userMessages().isEmpty()) {
    sendPrompt();
    return;
  }
  for (auto* pane : panes_) pane->clear();
  comparison_->rerun(sampling_->settings(), tuning_->spec());
}

void MainWindow::clearConversation() {
  comparison_->clear();
  for (auto* pane : panes_) pane->clear();
  for (auto* acc : accumulators_) acc->reset();
  send_button_->setEnabled(true);
  refreshHeatmap();
}

void MainWindow::cancelGeneration() {
  comparison_->cancel();
}

void MainWindow::onAnswerFinished(Side side, const sessions::GenerationResult& result) {
  const int i = static_cast<int>(side);
  panes_[i]->finishAnswer(QString::fromStdString(result.finish_reason));
  accumulators_[i]->setResult(result);
  const QString label = classify(result.text);
  if (!label.isEmpty()) panes_[i]->setAnswerLabel(label);
}

void MainWindow::onTurnFinished() {
  QStringList tokens[kSideCount];
  for (int side = 0; side < kSideCount; ++side)
    for (int t = 0; t < accumulators_[side]->generatedTokenCount(); ++t)
      tokens[side].append(accumulators_[side]->tokenText(t));
  const int divergence = widgets::firstDivergentToken(tokens[0], tokens[1]);
  for (auto* pane : panes_) pane->setFirstDivergence(divergence);
  refreshHeatmap();
}

void MainWindow::setHeatmapMode(widgets::HeatmapMode mode, Side side) {
  heatmap_mode_->setCurrentIndex(heatmap_mode_->findData(static_cast<int>(mode)));
  heatmap_side_->setCurrentIndex(static_cast<int>(side));
  refreshHeatmap();
}

void MainWindow::refreshHeatmap() {
  if (tuning_->modelGeometry().n_cells() == 0) return;
  const auto mode = static_cast<widgets::HeatmapMode>(heatmap_mode_->currentData().toInt());
  const int side = heatmap_side_->currentIndex();
  if (mode == widgets::HeatmapMode::kDifference) {
    heatmap_->setData(widgets::RoutingAccumulator::difference(*accumulators_[1], *accumulators_[0],
                                                              widgets::HeatmapMode::kAnswer));
    return;
  }
  heatmap_->setData(accumulators_[side]->data(mode, hovered_token_));
}

void MainWindow::updateTuningStatus() {
  tuning_label_->setText(tr("tuning: %1 suppressed · %2 stimulated")
                             .arg(tuning_->suppressedCount())
                             .arg(tuning_->stimulatedCount()));
}

QString MainWindow::classifierName() const {
  return classifier_box_->currentText();
}

void MainWindow::updateTitle() {
  // "refusal.mote — MoTE Workbench — model": the session first, as in document applications.
  QStringList parts;
  if (analysis_ && !analysis_->session()->displayName().isEmpty())
    parts << analysis_->session()->displayName();
  parts << tr("MoTE Workbench");
  if (const auto& model = connection_->model()) parts << QString::fromStdString(model->id);
  setWindowTitle(parts.join(QStringLiteral(" — ")));
}

void MainWindow::loadClassifier(const QString& name) {
  try {
    classifier_ = std::make_unique<sessions::AnswerClassifier>(
        sessions::AnswerClassifier::load(sessions::builtin_classifier_path(name.toStdString())));
  } catch (const std::exception& e) {
    classifier_.reset();
    statusBar()->showMessage(QString::fromStdString(e.what()), 8000);
  }
}

QString MainWindow::classify(const std::string& text) const {
  if (!classifier_) return {};
  // The chat template may have opened the think block in the prompt; the rules expect it in the
  // answer text (sessions' think_block handles both).
  return QString::fromStdString(classifier_->classify(text).label);
}

bool MainWindow::templateStartsInThink() const {
  const auto& model = connection_->model();
  if (!model || !model->raw.contains("chat_template") || !model->raw["chat_template"].is_string())
    return false;
  const std::string tmpl = model->raw["chat_template"].get<std::string>();
  return tmpl.find("<｜Assistant｜><think>\\n") != std::string::npos ||
         tmpl.find("<｜Assistant｜><think>\n") != std::string::npos;
}

void MainWindow::exportHeatmap() {
  QString selected;
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export heatmap"), "heatmap.png",
                                   tr("PNG image (*.png);;SVG drawing (*.svg)"), &selected);
  if (path.isEmpty()) return;
  widgets::FigureOptions options;
  QString error;
  const bool ok = path.endsWith(".svg", Qt::CaseInsensitive)
                      ? widgets::exportHeatmapSvg(*heatmap_, path, options, &error)
                      : widgets::exportHeatmapPng(*heatmap_, path, options, &error);
  if (!ok) QMessageBox::warning(this, tr("Export heatmap"), error);
}

void MainWindow::exportConversation() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export conversation"),
                                                    "conversation.md", tr("Markdown (*.md)"));
  if (path.isEmpty()) return;
  QString error;
  const QString text =
      widgets::sideBySideMarkdown(panes_[0]->conversation(), panes_[1]->conversation());
  if (!widgets::writeMarkdownFile(path, text, &error))
    QMessageBox::warning(this, tr("Export conversation"), error);
}

}  // namespace mote::workbench
