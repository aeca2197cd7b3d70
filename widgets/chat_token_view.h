#pragma once
// A read-only text view that knows which generated token every character came from. Text is
// only ever appended: appendToken() buffers the text (O(1) per token) and the buffer is inserted
// at the end of the document at most every 25 ms, in one edit block, so the document re-lays out
// only its last paragraph once per batch, never the whole text (undo recording is off). Reading
// methods (text, tokenRange, tokenRect, tokenAt) flush first. Hovering reports the token under the
// mouse; hover highlight and the divergence marker are extra selections, so they never touch the
// document. The view grows to its content's height (no scroll bars of its own: it lives in a
// ChatPane's scroll area).
#include <QSet>
#include <QTextBrowser>
#include <QTimer>
#include <vector>

namespace mote::widgets {

class ChatTokenView : public QTextBrowser {
  Q_OBJECT

 public:
  explicit ChatTokenView(QWidget* parent = nullptr);

  void clearTokens();
  // Appends `text` as (part of) token `token`; token < 0 appends text that belongs to no token.
  void appendToken(int token, const QString& text);
  // Drop line breaks at the very start of the text (R1 answers start with "\n\n" after
  // "</think>"); a token made only of them then shows nothing and cannot be hovered.
  void setTrimLeadingLineBreaks(bool trim) { trimLeading_ = trim; }
  // No text yet (buffered text included).
  bool isEmpty() const { return pending_.empty() && document()->isEmpty(); }
  // Inserts the buffered text now (otherwise a timer does, at most 25 ms later).
  void flush();
  bool hasPending() const { return !pending_.empty(); }
  // The whole text, buffered text included.
  QString text();
  bool hasToken(int token) const { return tokens_.contains(token); }
  // Distinct tokens with text in this view.
  int tokenCount() const { return static_cast<int>(tokens_.size()); }
  // The token of the character under `viewportPosition`, or -1.
  int tokenAt(const QPoint& viewportPosition);
  // Rectangle (viewport coordinates) of the token's first visible character; empty if absent.
  QRect tokenRect(int token);
  // Document character range [start, end) of a token; {-1, -1} if absent.
  std::pair<int, int> tokenRange(int token);

  // Divergence marker (-1 clears). A token not yet present is marked when it arrives.
  void setMarkedToken(int token);
  int markedToken() const { return marked_; }
  int hoveredToken() const { return hovered_; }

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 Q_SIGNALS:
  void tokenHovered(int token);  // -1 when the mouse leaves the tokens

 protected:
  void mouseMoveEvent(QMouseEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  struct Range {
    int start, end, token;
  };
  struct Pending {
    int token;
    QString text;
  };
  QRectF charRect(int position) const;  // document coordinates
  void setHovered(int token);
  void updateSelections();
  void adjustHeight();

  std::vector<Range> ranges_;  // ascending start, one per token
  std::vector<Pending> pending_;
  QSet<int> tokens_;
  QTimer flushTimer_;
  int hovered_ = -1;
  int marked_ = -1;
  int height_ = -1;
  bool trimLeading_ = false;
};

}  // namespace mote::widgets
