#pragma once
// One turn of a ChatPane: a user/system message, or an assistant answer with a header (class
// label chip, first-divergence note, finish reason), a collapsible "Thinking" section for R1's
// think block and the answer text. An assistant turn is either streamed token by token
// (beginStream / appendToken / finish) or set complete (setCompletedText / setTokens).
#include <QColor>
#include <QFrame>
#include <QStringList>
#include <optional>

#include "widgets/chat_think_stream.h"
#include "widgets/conversation_export.h"

class QLabel;
class QToolButton;

namespace mote::widgets {

class ChatTokenView;

class ChatTurnWidget : public QFrame {
  Q_OBJECT

 public:
  ChatTurnWidget(const QString& role, QWidget* parent = nullptr);

  const QString& role() const { return role_; }
  bool isAssistant() const { return role_ == QLatin1String("assistant"); }

  // User/system turns.
  void setMessage(const QString& text);

  // Assistant turns, streamed.
  void beginStream(bool startsInThink);
  // token < 0 (the engine client's flush event) appends to the last token.
  void appendToken(int token, const QString& text);
  void finish(const QString& finishReason);
  bool isStreaming() const { return streaming_; }
  // Assistant turns, complete: a finished text without token boundaries, or tokens.
  void setCompletedText(const QString& text);
  void setTokens(const QStringList& tokens, bool startsInThink);

  void setLabel(const QString& label, const QColor& color = QColor());
  QString label() const { return label_; }
  void setFirstDivergence(int token);
  int firstDivergence() const { return divergence_; }

  bool hasThink() const;
  void setThinkCollapsed(bool collapsed);
  bool isThinkCollapsed() const { return collapsed_; }
  void setThinkCollapsedByDefault(bool collapsed) { collapsedByDefault_ = collapsed; }

  QString thinkText() const;
  QString answerText() const;
  // The whole completion as generated (tags included) or the message text.
  QString fullText() const;
  int tokenCount() const { return static_cast<int>(tokens_.size()); }
  ConversationTurn conversationTurn() const;

  // Centre of the token's first character in this widget's coordinates; nullopt if the token is
  // not shown (absent, or in a collapsed think block).
  std::optional<QPoint> tokenPosition(int token) const;
  ChatTokenView* thinkView() const { return think_; }
  ChatTokenView* answerView() const { return answer_; }
  QToolButton* thinkToggle() const { return toggle_; }

 Q_SIGNALS:
  void tokenHovered(int token);
  void thinkToggled(bool collapsed);

 private:
  void apply(const std::vector<ThinkPiece>& pieces);
  void rebuild(bool startsInThink);
  void updateThinkHeader();
  void updateHeader();

  QString role_;
  QLabel* roleLabel_;
  QLabel* chip_;
  QLabel* divergenceLabel_;
  QLabel* status_;
  QToolButton* toggle_;
  ChatTokenView* think_;
  ChatTokenView* answer_;

  QStringList tokens_;  // token texts by index (assistant turns)
  QString plainText_;   // completion without token boundaries (setCompletedText) or message
  bool startsInThink_ = false;
  std::optional<ThinkStreamSplitter> splitter_;
  bool streaming_ = false;
  bool thinkPresent_ = false;
  bool wasInThink_ = false;
  bool collapsed_ = false;
  bool collapsedByDefault_ = false;
  QString label_;
  QString finishReason_;
  int divergence_ = -1;
};

}  // namespace mote::widgets
