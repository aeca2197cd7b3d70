#pragma once
// Conversations as data (what a ChatPane shows) and their Markdown export: two conversations
// side by side (original vs tuned), one table per turn with the class label, think block,
// answer and first divergence of each side.
#include <QString>
#include <QVector>

namespace mote::widgets {

struct ConversationTurn {
  QString role;  // "system", "user" or "assistant"
  QString text;  // user/system: the message; assistant: the full completion text
  // Assistant turns: the text split at R1's think block (tags removed).
  bool hasThink = false;
  QString think;
  QString answer;
  QString label;             // answer class, e.g. "0-REFUSED" (empty if unclassified)
  int firstDivergence = -1;  // token index of the first divergent token, -1 if none
  int tokenCount = 0;        // generated tokens (0 if the turn was not streamed)
  QString finishReason;      // "stop", "length", "cancelled" or empty
};

struct Conversation {
  QString title;   // e.g. "Original" or "Tuned"
  QString tuning;  // description of the tuning, e.g. its JSON (shown verbatim in code spans)
  QVector<ConversationTurn> turns;
};

// Escapes text for a GitHub-flavoured Markdown table cell: "|" -> "\|", HTML-escapes "<", ">"
// and "&" (so "<think>" stays visible), line breaks -> "<br>".
QString markdownTableCell(const QString& text);

// "# title", a header table with both tunings, then per turn: the user message (once if both
// sides have the same one, else per side) and an assistant table
//   | | Original | Tuned |  with rows Class, Think, Answer, First divergence, Tokens.
// Turns are paired by index; a side without turn i shows "—".
QString sideBySideMarkdown(const Conversation& left, const Conversation& right,
                           const QString& title = QString());

// Writes the Markdown as UTF-8, atomically; false and *error on failure.
bool writeMarkdownFile(const QString& path, const QString& text, QString* error = nullptr);

}  // namespace mote::widgets
