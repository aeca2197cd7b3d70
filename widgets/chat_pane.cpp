#include "widgets/chat_pane.h"

#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QVBoxLayout>

#include "widgets/chat_token_view.h"
#include "widgets/chat_turn_widget.h"

namespace mote::widgets {

ChatPane::ChatPane(QWidget* parent) : QWidget(parent) {
  title_ = new QLabel(this);
  QFont bold = title_->font();
  bold.setBold(true);
  title_->setFont(bold);
  title_->hide();

  content_ = new QWidget;
  turnsLayout_ = new QVBoxLayout(content_);
  turnsLayout_->setContentsMargins(4, 4, 4, 4);
  turnsLayout_->setSpacing(6);
  turnsLayout_->addStretch(1);

  scroll_ = new QScrollArea(this);
  scroll_->setWidgetResizable(true);
  scroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  scroll_->setWidget(content_);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(title_);
  layout->addWidget(scroll_, 1);

  // Follow a streaming answer while the view is scrolled to the bottom.
  QScrollBar* bar = scroll_->verticalScrollBar();
  connect(bar, &QScrollBar::valueChanged, this,
          [this, bar](int value) { stickToBottom_ = value >= bar->maximum() - 4; });
  connect(bar, &QScrollBar::rangeChanged, this, [this, bar](int, int maximum) {
    if (stickToBottom_) bar->setValue(maximum);
  });
}

void ChatPane::setTitle(const QString& title) {
  title_->setText(title);
  title_->setVisible(!title.isEmpty());
}

QString ChatPane::title() const {
  return title_->text();
}

ChatTurnWidget* ChatPane::turnWidget(int turn) const {
  return turn >= 0 && turn < turns_.size() ? turns_[turn] : nullptr;
}

int ChatPane::lastAnswerTurn() const {
  for (int i = static_cast<int>(turns_.size()) - 1; i >= 0; --i) {
    if (turns_[i]->isAssistant()) return i;
  }
  return -1;
}

ChatTurnWidget* ChatPane::assistantTurn(int turn) const {
  ChatTurnWidget* widget = turnWidget(turn < 0 ? lastAnswerTurn() : turn);
  return widget && widget->isAssistant() ? widget : nullptr;
}

bool ChatPane::isStreaming() const {
  ChatTurnWidget* last = turns_.isEmpty() ? nullptr : turns_.back();
  return last && last->isStreaming();
}

Conversation ChatPane::conversation() const {
  Conversation conversation;
  conversation.title = title();
  conversation.tuning = tuning_;
  for (const ChatTurnWidget* turn : turns_) conversation.turns.push_back(turn->conversationTurn());
  return conversation;
}

std::optional<QPoint> ChatPane::tokenPosition(int turn, int token) {
  ChatTurnWidget* widget = turnWidget(turn);
  if (!widget) return std::nullopt;
  auto position = widget->tokenPosition(token);
  if (!position) return std::nullopt;
  const QPoint inContent = widget->mapTo(content_, *position);
  scroll_->ensureVisible(inContent.x(), inContent.y(), 10, 20);
  position = widget->tokenPosition(token);
  if (!position) return std::nullopt;
  return widget->mapTo(this, *position);
}

void ChatPane::clear() {
  for (ChatTurnWidget* turn : turns_) delete turn;
  turns_.clear();
  stickToBottom_ = true;
}

ChatTurnWidget* ChatPane::addTurn(const QString& role) {
  auto* turn = new ChatTurnWidget(role, content_);
  turn->setThinkCollapsedByDefault(collapsedByDefault_);
  turnsLayout_->insertWidget(turnsLayout_->count() - 1, turn);  // before the stretch
  turn->show();  // now, not at the layout's next (queued) pass: callers query visibility at once
  turns_.push_back(turn);
  connect(turn, &ChatTurnWidget::tokenHovered, this, [this, turn](int token) {
    const int i = static_cast<int>(turns_.indexOf(turn));
    Q_EMIT tokenHoveredInTurn(i, token);
    Q_EMIT tokenHovered(token);
  });
  connect(turn, &ChatTurnWidget::thinkToggled, this, [this, turn](bool collapsed) {
    Q_EMIT thinkToggled(static_cast<int>(turns_.indexOf(turn)), collapsed);
  });
  return turn;
}

void ChatPane::addMessage(const QString& role, const QString& text) {
  if (isStreaming()) finishAnswer();
  addTurn(role)->setMessage(text);
}

void ChatPane::addAssistantMessage(const QString& text, const QString& label) {
  if (isStreaming()) finishAnswer();
  ChatTurnWidget* turn = addTurn(QStringLiteral("assistant"));
  turn->setCompletedText(text);
  turn->setLabel(label);
}

void ChatPane::addAssistantTokens(const QStringList& tokens, bool startsInThink,
                                  const QString& label) {
  if (isStreaming()) finishAnswer();
  ChatTurnWidget* turn = addTurn(QStringLiteral("assistant"));
  turn->setTokens(tokens, startsInThink);
  turn->setLabel(label);
}

void ChatPane::beginAnswer(bool startsInThink) {
  if (isStreaming()) finishAnswer();
  addTurn(QStringLiteral("assistant"))->beginStream(startsInThink);
}

void ChatPane::appendToken(int tokenIndex, const QString& text) {
  if (!isStreaming()) beginAnswer(false);
  turns_.back()->appendToken(tokenIndex, text);
}

void ChatPane::appendTokenEvent(const sessions::TokenEvent& event) {
  appendToken(event.index, QString::fromStdString(event.text));
}

void ChatPane::finishAnswer(const QString& finishReason) {
  if (isStreaming()) turns_.back()->finish(finishReason);
}

void ChatPane::setAnswerLabel(const QString& label, int turn, const QColor& color) {
  if (ChatTurnWidget* widget = assistantTurn(turn)) widget->setLabel(label, color);
}

void ChatPane::setFirstDivergence(int tokenIndex, int turn) {
  if (ChatTurnWidget* widget = assistantTurn(turn)) widget->setFirstDivergence(tokenIndex);
}

void ChatPane::setThinkCollapsed(bool collapsed, int turn) {
  if (ChatTurnWidget* widget = assistantTurn(turn)) widget->setThinkCollapsed(collapsed);
}

}  // namespace mote::widgets
