#include "widgets/chat_turn_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "sessions/think_block.h"
#include "widgets/chat_token_view.h"

namespace mote::widgets {

namespace {

// "1 token", "5 tokens" (English plural without a translator installed).
QString tokensText(int n) {
  return n == 1 ? QStringLiteral("1 token") : QStringLiteral("%1 tokens").arg(n);
}

QString roleTitle(const QString& role) {
  if (role == QLatin1String("assistant")) return ChatTurnWidget::tr("Assistant");
  if (role == QLatin1String("system")) return ChatTurnWidget::tr("System");
  if (role == QLatin1String("user")) return ChatTurnWidget::tr("You");
  return role.isEmpty() ? role : role.left(1).toUpper() + role.mid(1);
}

QColor labelColor(const QString& label) {
  // A stable, distinct hue per label text; mid saturation so white text stays readable.
  return QColor::fromHsv(static_cast<int>(qHash(label) % 360u), 170, 175);
}

}  // namespace

ChatTurnWidget::ChatTurnWidget(const QString& role, QWidget* parent) : QFrame(parent), role_(role) {
  setFrameShape(QFrame::StyledPanel);
  setAutoFillBackground(true);
  if (!isAssistant()) {
    QPalette p = palette();
    p.setColor(QPalette::Window, p.color(QPalette::AlternateBase));
    setPalette(p);
  }
  roleLabel_ = new QLabel(roleTitle(role), this);
  QFont bold = roleLabel_->font();
  bold.setBold(true);
  roleLabel_->setFont(bold);
  chip_ = new QLabel(this);
  chip_->hide();
  divergenceLabel_ = new QLabel(this);
  divergenceLabel_->setStyleSheet(QStringLiteral("color: #b40426;"));
  divergenceLabel_->hide();
  status_ = new QLabel(this);
  status_->setForegroundRole(QPalette::PlaceholderText);

  toggle_ = new QToolButton(this);
  toggle_->setAutoRaise(true);
  toggle_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  toggle_->setArrowType(Qt::DownArrow);
  toggle_->hide();
  connect(toggle_, &QToolButton::clicked, this, [this] { setThinkCollapsed(!collapsed_); });

  think_ = new ChatTokenView(this);
  QPalette thinkPalette = think_->palette();
  thinkPalette.setColor(QPalette::Text, thinkPalette.color(QPalette::PlaceholderText));
  think_->setPalette(thinkPalette);
  think_->hide();
  answer_ = new ChatTokenView(this);
  think_->setTrimLeadingLineBreaks(true);

  auto* header = new QHBoxLayout;
  header->addWidget(roleLabel_);
  header->addWidget(chip_);
  header->addWidget(divergenceLabel_);
  header->addStretch(1);
  header->addWidget(status_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(8, 6, 8, 6);
  layout->setSpacing(2);
  layout->addLayout(header);
  layout->addWidget(toggle_, 0, Qt::AlignLeft);
  layout->addWidget(think_);
  layout->addWidget(answer_);

  connect(think_, &ChatTokenView::tokenHovered, this, &ChatTurnWidget::tokenHovered);
  connect(answer_, &ChatTokenView::tokenHovered, this, &ChatTurnWidget::tokenHovered);
}

void ChatTurnWidget::setMessage(const QString& text) {
  plainText_ = text;
  answer_->clearTokens();
  answer_->appendToken(-1, text);
}

void ChatTurnWidget::beginStream(bool startsInThink) {
  answer_->setTrimLeadingLineBreaks(true);
  tokens_.clear();
  plainText_.clear();
  startsInThink_ = startsInThink;
  splitter_.emplace(startsInThink);
  thinkPresent_ = startsInThink;
  collapsed_ = collapsedByDefault_;
  streaming_ = true;
  finishReason_.clear();
  wasInThink_ = startsInThink;
  think_->clearTokens();
  answer_->clearTokens();
  answer_->hide();  // shown with its first text
  updateThinkHeader();
  updateHeader();
}

void ChatTurnWidget::appendToken(int token, const QString& text) {
  if (!splitter_) beginStream(false);
  // A flush event (index -1: text the engine held back until the end) belongs to the last token.
  if (token < 0) token = std::max(0, static_cast<int>(tokens_.size()) - 1);
  while (tokens_.size() <= token) tokens_.push_back(QString());
  tokens_[token] += text;
  const auto pieces = splitter_->push(token, text);
  if (splitter_->closedWithoutOpen() && !startsInThink_) {
    rebuild(true);  // the answer so far was think text: re-split once
    return;
  }
  apply(pieces);
}

void ChatTurnWidget::apply(const std::vector<ThinkPiece>& pieces) {
  const int thinkTokensBefore = think_->tokenCount();
  for (const ThinkPiece& piece : pieces) {
    (piece.think ? think_ : answer_)->appendToken(piece.token, piece.text);
  }
  if (answer_->isHidden() && !answer_->isEmpty()) answer_->show();
  const bool present = splitter_ && splitter_->hasThink();
  const bool inThink = splitter_ && splitter_->inThink();
  if (present != thinkPresent_ || inThink != wasInThink_ ||
      think_->tokenCount() != thinkTokensBefore) {
    thinkPresent_ = present;
    wasInThink_ = inThink;
    updateThinkHeader();
  }
}

void ChatTurnWidget::rebuild(bool startsInThink) {
  startsInThink_ = startsInThink;
  splitter_.emplace(startsInThink);
  thinkPresent_ = startsInThink;
  wasInThink_ = startsInThink;
  think_->clearTokens();
  answer_->clearTokens();
  answer_->hide();
  for (int i = 0; i < tokens_.size(); ++i) apply(splitter_->push(i, tokens_[i]));
  if (!streaming_) apply(splitter_->finish());
  updateThinkHeader();
}

void ChatTurnWidget::finish(const QString& finishReason) {
  if (splitter_) apply(splitter_->finish());
  think_->flush();
  answer_->flush();
  streaming_ = false;
  finishReason_ = finishReason;
  updateThinkHeader();
  updateHeader();
}

void ChatTurnWidget::setCompletedText(const QString& text) {
  answer_->setTrimLeadingLineBreaks(true);
  tokens_.clear();
  splitter_.reset();
  streaming_ = false;
  plainText_ = text;
  const sessions::ThinkSplit split = sessions::split_think_block(text.toStdString());
  think_->clearTokens();
  answer_->clearTokens();
  thinkPresent_ = split.present;
  collapsed_ = collapsedByDefault_;
  if (split.present) {
    think_->appendToken(-1, QString::fromStdString(split.think));
    answer_->appendToken(-1, QString::fromStdString(split.after));
  } else {
    answer_->appendToken(-1, text);
  }
  answer_->setVisible(!answer_->isEmpty());
  updateThinkHeader();
  updateHeader();
}

void ChatTurnWidget::setTokens(const QStringList& tokens, bool startsInThink) {
  beginStream(startsInThink);
  for (int i = 0; i < tokens.size(); ++i) appendToken(i, tokens[i]);
  finish({});
}

void ChatTurnWidget::setLabel(const QString& label, const QColor& color) {
  label_ = label;
  if (label.isEmpty()) {
    chip_->hide();
    return;
  }
  const QColor background = color.isValid() ? color : labelColor(label);
  const QColor text = background.lightnessF() > 0.6 ? Qt::black : Qt::white;
  chip_->setText(label);
  chip_->setStyleSheet(QStringLiteral("QLabel { background: %1; color: %2; border-radius: 3px; "
                                      "padding: 0px 5px; font-weight: bold; }")
                           .arg(background.name(), text.name()));
  chip_->show();
}

void ChatTurnWidget::setFirstDivergence(int token) {
  divergence_ = token;
  think_->setMarkedToken(token);
  answer_->setMarkedToken(token);
  if (token < 0) {
    divergenceLabel_->hide();
  } else {
    divergenceLabel_->setText(tr("\u25bc first divergence at token %1").arg(token));
    divergenceLabel_->show();
  }
}

bool ChatTurnWidget::hasThink() const {
  return thinkPresent_;
}

void ChatTurnWidget::setThinkCollapsed(bool collapsed) {
  const bool changed = collapsed != collapsed_;
  collapsed_ = collapsed;
  updateThinkHeader();
  if (changed) Q_EMIT thinkToggled(collapsed);
}

void ChatTurnWidget::updateThinkHeader() {
  toggle_->setVisible(thinkPresent_);
  // An empty think block (R1's "<think>\n\n</think>") is only the header line "empty".
  const bool thinking = streaming_ && splitter_ && splitter_->inThink();
  think_->setVisible(thinkPresent_ && !collapsed_ && (thinking || !think_->isEmpty()));
  if (!thinkPresent_) return;
  toggle_->setArrowType(collapsed_ ? Qt::RightArrow : Qt::DownArrow);
  QString text;
  if (thinking) {
    text = tr("Thinking\u2026 \u00b7 %1").arg(tokensText(think_->tokenCount()));
  } else if (think_->text().trimmed().isEmpty()) {
    text = tr("Thinking \u00b7 empty");
  } else if (think_->tokenCount() > 0) {
    text = tr("Thinking \u00b7 %1").arg(tokensText(think_->tokenCount()));
  } else {
    text = tr("Thinking");
  }
  toggle_->setText(text);
}

void ChatTurnWidget::updateHeader() {
  if (streaming_) {
    status_->setText(tr("generating\u2026"));
  } else if (!finishReason_.isEmpty()) {
    status_->setText(tokensText(static_cast<int>(tokens_.size())) + QStringLiteral(" \u00b7 ") +
                     finishReason_);
  } else if (!tokens_.isEmpty()) {
    status_->setText(tokensText(static_cast<int>(tokens_.size())));
  } else {
    status_->clear();
  }
}

QString ChatTurnWidget::thinkText() const {
  return think_->text();
}
QString ChatTurnWidget::answerText() const {
  return answer_->text();
}

QString ChatTurnWidget::fullText() const {
  return tokens_.isEmpty() ? plainText_ : tokens_.join(QString());
}

ConversationTurn ChatTurnWidget::conversationTurn() const {
  ConversationTurn turn;
  turn.role = role_;
  turn.text = fullText();
  if (isAssistant()) {
    turn.hasThink = hasThink();
    turn.think = thinkText();
    turn.answer = answerText();
  }
  turn.label = label_;
  turn.firstDivergence = divergence_;
  turn.tokenCount = static_cast<int>(tokens_.size());
  turn.finishReason = finishReason_;
  return turn;
}

std::optional<QPoint> ChatTurnWidget::tokenPosition(int token) const {
  for (ChatTokenView* view : {think_, answer_}) {
    if (view->isHidden() || !view->hasToken(token)) continue;
    const QRect rect = view->tokenRect(token);
    if (rect.isEmpty()) continue;
    return view->viewport()->mapTo(this, rect.center());
  }
  return std::nullopt;
}

}  // namespace mote::widgets
