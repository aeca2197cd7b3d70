#pragma once
// A multi-turn conversation, one ChatTurnWidget per turn in a scroll area, with a streamed
// answer at the end:
//
//   pane->addUserMessage("What happened 1989 in Beijing?");
//   pane->beginAnswer(/*startsInThink=*/true);        // R1's template opened <think> already
//   ... pane->appendToken(event.index, text) per TokenEvent (or appendTokenEvent(event)) ...
//   pane->finishAnswer(result.finish_reason);
//   pane->setAnswerLabel("0-REFUSED");                  // from the answer classifier
//   pane->setFirstDivergence(firstDivergentToken(originalTokens, tunedTokens));
//
// Appending a token costs one insert at the end of the answer's document (its last paragraph is
// re-laid out, nothing else). R1 think blocks show as a collapsible "Thinking" section. Hovering
// a generated token emits tokenHovered(index) with the TokenEvent index, so a heatmap can show
// that token's routing (RoutingAccumulator::data(HeatmapMode::kToken, index)).
#include <QColor>
#include <QStringList>
#include <QWidget>
#include <optional>

#include "sessions/engine_client.h"
#include "widgets/conversation_export.h"
#include "widgets/models/heatmap_metatypes.h"

class QLabel;
class QScrollArea;
class QVBoxLayout;

namespace mote::widgets {

class ChatTurnWidget;

class ChatPane : public QWidget {
  Q_OBJECT

 public:
  explicit ChatPane(QWidget* parent = nullptr);

  // Shown above the conversation (e.g. "Original", "Tuned") and used by conversation().
  void setTitle(const QString& title);
  QString title() const;
  // Free text describing the tuning of this side (for the Markdown export).
  void setTuningDescription(const QString& description) { tuning_ = description; }

  int turnCount() const { return static_cast<int>(turns_.size()); }
  ChatTurnWidget* turnWidget(int turn) const;
  // Index of the last assistant turn, or -1.
  int lastAnswerTurn() const;
  bool isStreaming() const;
  Conversation conversation() const;
  // Centre of a token's first character in this pane's coordinates (scrolls it into view);
  // nullopt if the token is not shown.
  std::optional<QPoint> tokenPosition(int turn, int token);
  QScrollArea* scrollArea() const { return scroll_; }

 public Q_SLOTS:
  void clear();
  void addMessage(const QString& role, const QString& text);
  void addUserMessage(const QString& text) { addMessage(QStringLiteral("user"), text); }
  // A finished answer without token boundaries (e.g. from a session file).
  void addAssistantMessage(const QString& text, const QString& label = QString());
  // A finished answer given as tokens (token hover works).
  void addAssistantTokens(const QStringList& tokens, bool startsInThink,
                          const QString& label = QString());
  // Starts a new streamed answer turn. startsInThink: the prompt ended inside R1's think block.
  void beginAnswer(bool startsInThink = false);
  // Appends token `tokenIndex` to the streamed answer (starting one if none is open);
  // tokenIndex -1 (TokenEvent's flush event) appends the text to the last token.
  void appendToken(int tokenIndex, const QString& text);
  void appendTokenEvent(const mote::sessions::TokenEvent& event);
  void finishAnswer(const QString& finishReason = QString());
  // turn -1 = the last assistant turn. An invalid colour picks a stable colour per label.
  void setAnswerLabel(const QString& label, int turn = -1, const QColor& color = QColor());
  // Marks token `tokenIndex` (-1 clears) of an assistant turn as the first divergent token.
  void setFirstDivergence(int tokenIndex, int turn = -1);
  void setThinkCollapsed(bool collapsed, int turn = -1);
  // New assistant turns start with their think section collapsed (default: expanded).
  void setThinkCollapsedByDefault(bool collapsed) { collapsedByDefault_ = collapsed; }

 Q_SIGNALS:
  // The generated token under the mouse in any assistant turn; -1 when none.
  void tokenHovered(int tokenIndex);
  void tokenHoveredInTurn(int turn, int tokenIndex);
  void thinkToggled(int turn, bool collapsed);

 private:
  ChatTurnWidget* addTurn(const QString& role);
  ChatTurnWidget* assistantTurn(int turn) const;

  QLabel* title_;
  QScrollArea* scroll_;
  QWidget* content_;
  QVBoxLayout* turnsLayout_;
  QVector<ChatTurnWidget*> turns_;
  QString tuning_;
  bool collapsedByDefault_ = false;
  bool stickToBottom_ = true;
};

}  // namespace mote::widgets
