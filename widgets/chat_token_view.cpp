#include "widgets/chat_token_view.h"

#include <QAbstractTextDocumentLayout>
#include <QMouseEvent>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextLayout>
#include <algorithm>
#include <cmath>

namespace mote::widgets {

ChatTokenView::ChatTokenView(QWidget* parent) : QTextBrowser(parent) {
  setReadOnly(true);
  setOpenLinks(false);
  setUndoRedoEnabled(false);
  document()->setUndoRedoEnabled(false);
  setFrameShape(QFrame::NoFrame);
  setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setLineWrapMode(QTextEdit::WidgetWidth);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
  viewport()->setMouseTracking(true);
  viewport()->setAutoFillBackground(false);
  connect(document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, this,
          &ChatTokenView::adjustHeight);
  flushTimer_.setSingleShot(true);
  flushTimer_.setInterval(25);
  connect(&flushTimer_, &QTimer::timeout, this, &ChatTokenView::flush);
  adjustHeight();
}

void ChatTokenView::clearTokens() {
  flushTimer_.stop();
  pending_.clear();
  clear();
  ranges_.clear();
  tokens_.clear();
  hovered_ = -1;
  updateSelections();
}

void ChatTokenView::appendToken(int token, const QString& rawText) {
  QString text = rawText;
  if (trimLeading_ && isEmpty()) {
    qsizetype skip = 0;
    while (skip < text.size() &&
           (text[skip] == QLatin1Char('\n') || text[skip] == QLatin1Char('\r'))) {
      ++skip;
    }
    text.remove(0, skip);
  }
  if (text.isEmpty()) return;
  if (!pending_.empty() && pending_.back().token == token) {
    pending_.back().text += text;
  } else {
    pending_.push_back({token, text});
  }
  if (token >= 0) tokens_.insert(token);
  if (!flushTimer_.isActive()) flushTimer_.start();
}

void ChatTokenView::flush() {
  flushTimer_.stop();
  if (pending_.empty()) return;
  bool markedArrived = false;
  QTextCursor cursor(document());
  cursor.movePosition(QTextCursor::End);
  cursor.beginEditBlock();  // one layout update for the whole batch
  for (const Pending& piece : pending_) {
    const int start = cursor.position();
    cursor.insertText(piece.text);
    const int end = cursor.position();
    if (piece.token < 0) continue;
    if (!ranges_.empty() && ranges_.back().token == piece.token && ranges_.back().end == start) {
      ranges_.back().end = end;
    } else {
      ranges_.push_back({start, end, piece.token});
    }
    markedArrived = markedArrived || piece.token == marked_;
  }
  cursor.endEditBlock();
  pending_.clear();
  if (markedArrived) updateSelections();
}

QString ChatTokenView::text() {
  flush();
  return toPlainText();
}

std::pair<int, int> ChatTokenView::tokenRange(int token) {
  flush();
  for (const Range& r : ranges_) {
    if (r.token == token) return {r.start, r.end};
  }
  return {-1, -1};
}

QRectF ChatTokenView::charRect(int position) const {
  const QTextBlock block = document()->findBlock(position);
  if (!block.isValid() || !block.layout()) return {};
  const int relative = position - block.position();
  if (relative >= block.length() - 1) return {};  // the paragraph separator
  const QTextLine line = block.layout()->lineForTextPosition(relative);
  if (!line.isValid()) return {};
  const QPointF origin = document()->documentLayout()->blockBoundingRect(block).topLeft();
  const double x1 = line.cursorToX(relative);
  const double x2 = line.cursorToX(relative + 1);
  return QRectF(origin.x() + std::min(x1, x2), origin.y() + line.y(), std::abs(x2 - x1),
                line.height());
}

int ChatTokenView::tokenAt(const QPoint& viewportPosition) {
  flush();
  const QPointF point(viewportPosition.x() + horizontalScrollBar()->value(),
                      viewportPosition.y() + verticalScrollBar()->value());
  const int hit = document()->documentLayout()->hitTest(point, Qt::ExactHit);
  if (hit < 0) return -1;
  for (int position : {hit - 1, hit, hit + 1}) {
    if (position < 0 || !charRect(position).contains(point)) continue;
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), position,
                               [](int p, const Range& r) { return p < r.start; });
    if (it == ranges_.begin()) return -1;
    --it;
    return position < it->end ? it->token : -1;
  }
  return -1;
}

QRect ChatTokenView::tokenRect(int token) {
  const auto [start, end] = tokenRange(token);
  for (int position = start; position >= 0 && position < end; ++position) {
    const QRectF r = charRect(position);
    if (r.width() > 0) {
      return r.translated(-horizontalScrollBar()->value(), -verticalScrollBar()->value())
          .toAlignedRect();
    }
  }
  return {};
}

void ChatTokenView::setMarkedToken(int token) {
  marked_ = token;
  updateSelections();
}

void ChatTokenView::setHovered(int token) {
  if (token == hovered_) return;
  hovered_ = token;
  updateSelections();
  Q_EMIT tokenHovered(token);
}

void ChatTokenView::updateSelections() {
  QList<QTextEdit::ExtraSelection> selections;
  auto add = [&](int token, const QColor& background, bool underline) {
    const auto [start, end] = tokenRange(token);
    if (start < 0) return;
    QTextEdit::ExtraSelection selection;
    selection.cursor = QTextCursor(document());
    selection.cursor.setPosition(start);
    selection.cursor.setPosition(end, QTextCursor::KeepAnchor);
    selection.format.setBackground(background);
    if (underline) {
      selection.format.setUnderlineStyle(QTextCharFormat::SingleUnderline);
      selection.format.setUnderlineColor(QColor(180, 4, 38));
    }
    selections.push_back(selection);
  };
  if (marked_ >= 0) add(marked_, QColor(255, 196, 0, 150), true);
  if (hovered_ >= 0) add(hovered_, QColor(59, 76, 192, 70), false);
  setExtraSelections(selections);
}

void ChatTokenView::adjustHeight() {
  const QMargins margins = contentsMargins();
  const int h = static_cast<int>(std::ceil(document()->size().height())) + margins.top() +
                margins.bottom() + 2 * frameWidth();
  if (h == height_) return;
  height_ = h;
  setFixedHeight(h);
}

QSize ChatTokenView::sizeHint() const {
  return {QTextBrowser::sizeHint().width(), std::max(height_, 0)};
}

QSize ChatTokenView::minimumSizeHint() const {
  return {60, std::max(height_, 0)};
}

void ChatTokenView::mouseMoveEvent(QMouseEvent* event) {
  QTextBrowser::mouseMoveEvent(event);
  setHovered(tokenAt(event->position().toPoint()));
}

void ChatTokenView::leaveEvent(QEvent* event) {
  QTextBrowser::leaveEvent(event);
  setHovered(-1);
}

void ChatTokenView::resizeEvent(QResizeEvent* event) {
  QTextBrowser::resizeEvent(event);
  adjustHeight();
}

}  // namespace mote::widgets
