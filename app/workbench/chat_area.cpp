#include "app/workbench/chat_area.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QKeySequence>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QStringList>
#include <QTimer>
#include <QVBoxLayout>

#include "app/workbench/sampling_bar.h"
#include "sessions/answer_classifier.h"
#include "sessions/resources.h"
#include "widgets/chat_divergence.h"
#include "widgets/chat_pane.h"
#include "widgets/conversation_export.h"
#include "widgets/models/heatmap_source.h"
#include "widgets/models/tuning_document.h"

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

ChatArea::ChatArea(ComparisonSession* comparison, widgets::TuningDocument* tuning, QWidget* parent)
    : QWidget(parent), comparison_(comparison), tuning_(tuning) {
  for (int side = 0; side < kSideCount; ++side)
    accumulators_[side] = new widgets::RoutingAccumulator(this);
  auto* layout = new QVBoxLayout(this);
  sampling_ = new SamplingBar(this);
  classifier_box_ = new QComboBox(this);
  classifier_box_->setObjectName("classifier");
  classifier_box_->setToolTip(tr("Rule set that labels each answer"));
  try {
    for (const auto& name : sessions::builtin_names("classifiers"))
      classifier_box_->addItem(QString::fromStdString(name));
  } catch (const std::exception& e) {
    deferMessage(QString::fromStdString(e.what()), 0);
  }
  auto* top = new QHBoxLayout;
  top->addWidget(sampling_, 1);
  top->addWidget(new QLabel(tr("Labels"), this));
  top->addWidget(classifier_box_);
  layout->addLayout(top);

  auto* panes = new QSplitter(Qt::Horizontal, this);
  for (int side = 0; side < kSideCount; ++side) {
    panes_[side] = new widgets::ChatPane(panes);
    panes_[side]->setTitle(sideName(static_cast<Side>(side)));
    panes_[side]->setObjectName(side == 0 ? "originalPane" : "tunedPane");
    panes->addWidget(panes_[side]);
    connect(panes_[side], &widgets::ChatPane::tokenHovered, this,
            [this, side](int token) { Q_EMIT tokenHovered(side, token); });
  }
  layout->addWidget(panes, 1);

  prompt_ = new QPlainTextEdit(this);
  prompt_->setObjectName("prompt");
  prompt_->setPlaceholderText(
      tr("Ask something — Ctrl+Enter sends to both sides, Ctrl+R re-runs the conversation with "
         "the current tuning, Esc cancels"));
  prompt_->setMaximumHeight(90);
  send_button_ = new QPushButton(tr("Send"), this);
  send_button_->setObjectName("send");
  auto* rerun = new QPushButton(tr("Re-run tuned"), this);
  auto* clear = new QPushButton(tr("Clear"), this);
  auto* buttons = new QVBoxLayout;
  buttons->addWidget(send_button_);
  buttons->addWidget(rerun);
  buttons->addWidget(clear);
  auto* bottom = new QHBoxLayout;
  bottom->addWidget(prompt_, 1);
  bottom->addLayout(buttons);
  layout->addLayout(bottom);

  connect(send_button_, &QPushButton::clicked, this, &ChatArea::sendPrompt);
  connect(rerun, &QPushButton::clicked, this, &ChatArea::rerunConversation);
  connect(clear, &QPushButton::clicked, this, &ChatArea::clearConversation);
  connect(classifier_box_, &QComboBox::currentTextChanged, this, &ChatArea::loadClassifier);
  for (const auto key : {Qt::Key_Return, Qt::Key_Enter}) {
    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | key), prompt_);
    connect(shortcut, &QShortcut::activated, this, &ChatArea::sendPrompt);
  }
  if (classifier_box_->count() > 0) loadClassifier(classifier_box_->currentText());

  connect(comparison_, &ComparisonSession::turnStarted, this, &ChatArea::onTurnStarted);
  connect(comparison_, &ComparisonSession::token, this,
          [this](Side side, const sessions::TokenEvent& event) {
            panes_[static_cast<int>(side)]->appendTokenEvent(event);
            accumulators_[static_cast<int>(side)]->addTokenEvent(event);
          });
  connect(comparison_, &ComparisonSession::answerFinished, this, &ChatArea::onAnswerFinished);
  connect(comparison_, &ComparisonSession::answerFailed, this, &ChatArea::onAnswerFailed);
  connect(comparison_, &ComparisonSession::turnFinished, this, &ChatArea::onTurnFinished);
  connect(comparison_, &ComparisonSession::idle, this, [this] { send_button_->setEnabled(true); });
  connect(comparison_, &ComparisonSession::error, this,
          [this](const QString& text) { Q_EMIT message(text, 6000); });
  // The routing maps have the tuning's shape: a new model resets both.
  connect(tuning_, &widgets::TuningDocument::geometryChanged, this, [this] {
    for (auto* accumulator : accumulators_) accumulator->setModelGeometry(tuning_->modelGeometry());
  });
}

ChatArea::~ChatArea() = default;

void ChatArea::deferMessage(const QString& text, int timeout_ms) {
  QTimer::singleShot(0, this, [this, text, timeout_ms] { Q_EMIT message(text, timeout_ms); });
}

QString ChatArea::classifierName() const {
  return classifier_box_->currentText();
}

void ChatArea::setClassifierName(const QString& name) {
  classifier_box_->setCurrentText(name);
}

void ChatArea::setModel(const mote::ModelInfo& model) {
  // R1's template opens the think block in the prompt: the answer starts inside it.
  starts_in_think_ = false;
  if (model.raw.contains("chat_template") && model.raw["chat_template"].is_string()) {
    const std::string tmpl = model.raw["chat_template"].get<std::string>();
    starts_in_think_ = tmpl.find("<｜Assistant｜><think>\\n") != std::string::npos ||
                       tmpl.find("<｜Assistant｜><think>\n") != std::string::npos;
  }
}

void ChatArea::sendPrompt() {
  const QString text = prompt_->toPlainText().trimmed();
  if (text.isEmpty()) return;
  if (comparison_->send(text, sampling_->settings(), tuning_->spec())) prompt_->clear();
}

void ChatArea::rerunConversation() {
  if (comparison_->userMessages().isEmpty()) {
    sendPrompt();
    return;
  }
  for (auto* pane : panes_) pane->clear();
  comparison_->rerun(sampling_->settings(), tuning_->spec());
}

void ChatArea::clearConversation() {
  comparison_->clear();
  for (auto* pane : panes_) pane->clear();
  for (auto* accumulator : accumulators_) accumulator->reset();
  send_button_->setEnabled(true);
}

void ChatArea::cancelGeneration() {
  comparison_->cancel();
}

bool ChatArea::startConversation(const QString& message, const QString& system_prompt,
                                 const sessions::SamplingSettings& sampling,
                                 const mote::TuningSpec& tuning) {
  sampling_->setSettings(sampling);
  comparison_->cancel();
  clearConversation();
  comparison_->setSystemPrompt(system_prompt);
  return comparison_->send(message, sampling, tuning);
}

void ChatArea::onTurnStarted(const QString& message) {
  for (int side = 0; side < kSideCount; ++side) {
    panes_[side]->addUserMessage(message);
    panes_[side]->beginAnswer(starts_in_think_);
    accumulators_[side]->reset();
    if (const auto& request = comparison_->lastRequest(static_cast<Side>(side)))
      accumulators_[side]->setTuning(request->tuning);
  }
  panes_[static_cast<int>(Side::kTuned)]->setTuningDescription(describeTuning(tuning_->spec()));
  send_button_->setEnabled(false);
  Q_EMIT problemCleared();
}

void ChatArea::onAnswerFinished(Side side, const sessions::GenerationResult& result) {
  const int i = static_cast<int>(side);
  panes_[i]->finishAnswer(QString::fromStdString(result.finish_reason));
  accumulators_[i]->setResult(result);
  // The rules see the answer text; sessions' think_block handles a think block the chat
  // template opened in the prompt.
  if (!classifier_) return;
  const QString label = QString::fromStdString(classifier_->classify(result.text).label);
  if (!label.isEmpty()) panes_[i]->setAnswerLabel(label);
}

void ChatArea::onAnswerFailed(Side side, const QString& text, bool cancelled) {
  auto* pane = panes_[static_cast<int>(side)];
  pane->finishAnswer(cancelled ? QStringLiteral("cancelled") : QStringLiteral("error"));
  if (cancelled) return;
  pane->setAnswerLabel(tr("engine error"), -1, QColor("#b00020"));
  Q_EMIT problem(text.section('\n', 0, 0), text);
}

void ChatArea::onTurnFinished() {
  QStringList tokens[kSideCount];
  for (int side = 0; side < kSideCount; ++side)
    for (int t = 0; t < accumulators_[side]->generatedTokenCount(); ++t)
      tokens[side].append(accumulators_[side]->tokenText(t));
  const int divergence = widgets::firstDivergentToken(tokens[0], tokens[1]);
  for (auto* pane : panes_) pane->setFirstDivergence(divergence);
}

void ChatArea::loadClassifier(const QString& name) {
  try {
    classifier_ = std::make_unique<sessions::AnswerClassifier>(
        sessions::AnswerClassifier::load(sessions::builtin_classifier_path(name.toStdString())));
  } catch (const std::exception& e) {
    classifier_.reset();
    deferMessage(QString::fromStdString(e.what()), 8000);
  }
}

void ChatArea::exportConversationDialog() {
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
