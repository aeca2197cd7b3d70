// Chat panes: first divergent token, the streaming think-block splitter, think sections,
// labels, the divergence marker and token hover.
#include <catch2/catch.hpp>

#include <QApplication>
#include <QLabel>
#include <QMouseEvent>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTest>
#include <QToolButton>

#include "widgets/chat_divergence.h"
#include "widgets/chat_pane.h"
#include "widgets/chat_think_stream.h"
#include "widgets/chat_token_view.h"
#include "widgets/chat_turn_widget.h"

using mote::widgets::ChatPane;
using mote::widgets::ChatTokenView;
using mote::widgets::ChatTurnWidget;
using mote::widgets::firstDivergentToken;
using mote::widgets::ThinkPiece;
using mote::widgets::ThinkStreamSplitter;

namespace {

// A mouse move without buttons, delivered synchronously (QTest::mouseMove without a pressed
// button moves the X cursor instead, which arrives asynchronously).
void hover(QWidget* widget, const QPoint& position) {
  QMouseEvent event(QEvent::MouseMove, position, widget->mapToGlobal(position), Qt::NoButton,
                    Qt::NoButton, Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

std::vector<ThinkPiece> pushAll(ThinkStreamSplitter& splitter, const QStringList& tokens) {
  std::vector<ThinkPiece> out;
  for (int i = 0; i < tokens.size(); ++i) {
    for (auto& piece : splitter.push(i, tokens[i])) out.push_back(piece);
  }
  for (auto& piece : splitter.finish()) out.push_back(piece);
  return out;
}

QString joined(const std::vector<ThinkPiece>& pieces, bool think) {
  QString text;
  for (const auto& p : pieces) {
    if (p.think == think) text += p.text;
  }
  return text;
}

struct ShownPane {
  ChatPane pane;
  ShownPane() {
    pane.resize(520, 640);
    pane.show();
    REQUIRE(QTest::qWaitForWindowExposed(&pane));
  }
};

}  // namespace

TEST_CASE("chat: first divergent token", "[widgets][chat]") {
  const QStringList a{QStringLiteral("I"), QStringLiteral(" am"), QStringLiteral(" sorry")};
  CHECK(firstDivergentToken(a, a) == -1);
  CHECK(firstDivergentToken(
            a, {QStringLiteral("I"), QStringLiteral(" am"), QStringLiteral(" glad")}) == 2);
  CHECK(firstDivergentToken(a, {QStringLiteral("You")}) == 0);
  CHECK(firstDivergentToken(a, {QStringLiteral("I"), QStringLiteral(" am")}) == 2);  // prefix
  CHECK(firstDivergentToken({}, a) == 0);
  CHECK(firstDivergentToken(QStringList{}, QStringList{}) == -1);
  // Token boundaries matter, not only the text: "I am" vs "I" + " am".
  CHECK(firstDivergentToken({QStringLiteral("I am")},
                            {QStringLiteral("I"), QStringLiteral(" am")}) == 0);
  CHECK(firstDivergentToken(std::vector<std::string>{"a", "b", "c"},
                            std::vector<std::string>{"a", "b", "d"}) == 2);
}

TEST_CASE("chat: streaming think splitter handles tags split across tokens", "[widgets][chat]") {
  SECTION("opening and closing tags inside the completion, split over tokens") {
    ThinkStreamSplitter splitter(false);
    const QStringList tokens{QStringLiteral("<thi"),       QStringLiteral("nk>\nLet me"),
                             QStringLiteral(" think</th"), QStringLiteral("ink>"),
                             QStringLiteral("\n\nAnswer"), QStringLiteral(" <b>")};
    const auto pieces = pushAll(splitter, tokens);
    CHECK(joined(pieces, true) == QStringLiteral("\nLet me think"));
    CHECK(joined(pieces, false) == QStringLiteral("\n\nAnswer <b>"));
    CHECK(splitter.sawOpenTag());
    CHECK(splitter.closed());
    // Every piece keeps its token: " think" came from token 2, "\n\nAnswer" from token 4.
    bool found = false;
    for (const auto& p : pieces) {
      if (p.text == QStringLiteral(" think")) {
        CHECK(p.token == 2);
        CHECK(p.think);
        found = true;
      }
    }
    CHECK(found);
  }

  SECTION("R1's template: the completion starts inside the block") {
    ThinkStreamSplitter splitter(true);
    const auto pieces =
        pushAll(splitter, {QStringLiteral("\n"), QStringLiteral("\n"), QStringLiteral("</think>"),
                           QStringLiteral("I am sorry")});
    CHECK(joined(pieces, true) == QStringLiteral("\n\n"));
    CHECK(joined(pieces, false) == QStringLiteral("I am sorry"));
    CHECK_FALSE(splitter.sawOpenTag());
  }

  SECTION("no tags: everything is answer; a held-back '<' is released at the end") {
    ThinkStreamSplitter splitter(false);
    auto first = splitter.push(0, QStringLiteral("x <"));
    CHECK(joined(first, false) == QStringLiteral("x "));  // "<" might start "<think>"
    auto second = splitter.push(1, QStringLiteral(" y"));
    CHECK(joined(second, false) == QStringLiteral("< y"));
    CHECK(splitter.finish().empty());
    CHECK_FALSE(splitter.hasThink());
  }

  SECTION("a closing tag without an opening one is reported") {
    ThinkStreamSplitter splitter(false);
    pushAll(splitter, {QStringLiteral("hmm"), QStringLiteral("</think>ok")});
    CHECK(splitter.closedWithoutOpen());
  }
}

TEST_CASE("chat: pane renders turns, think blocks collapsible, labels", "[widgets][chat]") {
  ShownPane s;
  ChatPane& pane = s.pane;
  pane.setTitle(QStringLiteral("Tuned"));
  pane.addUserMessage(QStringLiteral("What happened 1989 in Beijing?"));
  pane.beginAnswer(true);
  const QStringList tokens{QStringLiteral("Okay"),        QStringLiteral(", the user"),
                           QStringLiteral(" asks."),      QStringLiteral("\n</think>"),
                           QStringLiteral("\n\nIn 1989"), QStringLiteral(", protests")};
  for (int i = 0; i < tokens.size(); ++i) pane.appendToken(i, tokens[i]);
  CHECK(pane.isStreaming());
  // The header follows the stream: the block closed, so no longer "Thinking…".
  CHECK(pane.turnWidget(1)->thinkToggle()->text() == QStringLiteral("Thinking \u00b7 4 tokens"));
  pane.finishAnswer(QStringLiteral("length"));
  CHECK_FALSE(pane.isStreaming());
  pane.setAnswerLabel(QStringLiteral("2-REASONED"));

  REQUIRE(pane.turnCount() == 2);
  ChatTurnWidget* turn = pane.turnWidget(1);
  REQUIRE(turn != nullptr);
  CHECK(turn->hasThink());
  CHECK(turn->thinkText() == QStringLiteral("Okay, the user asks.\n"));
  CHECK(turn->answerText() == QStringLiteral("In 1989, protests"));  // leading breaks dropped
  CHECK(turn->fullText() == tokens.join(QString()));
  CHECK(turn->tokenCount() == 6);
  CHECK(turn->thinkView()->isVisible());
  CHECK(turn->thinkToggle()->text().contains(QStringLiteral("4 tokens")));

  QSignalSpy toggled(&pane, &ChatPane::thinkToggled);
  QTest::mouseClick(turn->thinkToggle(), Qt::LeftButton);
  CHECK(turn->isThinkCollapsed());
  CHECK_FALSE(turn->thinkView()->isVisible());
  REQUIRE(toggled.count() == 1);
  CHECK(toggled.at(0).at(0).toInt() == 1);
  CHECK(toggled.at(0).at(1).toBool());
  pane.setThinkCollapsed(false);
  CHECK(turn->thinkView()->isVisible());

  const auto conversation = pane.conversation();
  REQUIRE(conversation.turns.size() == 2);
  CHECK(conversation.title == QStringLiteral("Tuned"));
  CHECK(conversation.turns[0].role == QStringLiteral("user"));
  CHECK(conversation.turns[1].label == QStringLiteral("2-REASONED"));
  CHECK(conversation.turns[1].finishReason == QStringLiteral("length"));
  CHECK(conversation.turns[1].hasThink);

  // An R1 refusal with an empty think block, given complete.
  pane.addUserMessage(QStringLiteral("Again?"));
  pane.addAssistantMessage(
      QStringLiteral("<think>\n\n</think>\n\nI am sorry, I cannot answer that question."),
      QStringLiteral("0-REFUSED"));
  ChatTurnWidget* refusal = pane.turnWidget(3);
  CHECK(refusal->hasThink());
  CHECK(refusal->thinkToggle()->text().contains(QStringLiteral("empty")));
  CHECK_FALSE(refusal->thinkView()->isVisible());  // nothing to show below the header
  CHECK(refusal->answerText().trimmed() ==
        QStringLiteral("I am sorry, I cannot answer that question."));
  CHECK(refusal->label() == QStringLiteral("0-REFUSED"));

  // Without the template's <think>, a "</think>" re-splits the turn once.
  pane.beginAnswer(false);
  pane.appendToken(0, QStringLiteral("thinking"));
  CHECK(pane.turnWidget(4)->answerText() == QStringLiteral("thinking"));
  pane.appendToken(1, QStringLiteral("</think>answer"));
  CHECK(pane.turnWidget(4)->thinkText() == QStringLiteral("thinking"));
  CHECK(pane.turnWidget(4)->answerText() == QStringLiteral("answer"));
  // No think block at all.
  pane.addAssistantTokens({QStringLiteral("Just"), QStringLiteral(" text")}, false);
  CHECK_FALSE(pane.turnWidget(5)->hasThink());
  CHECK_FALSE(pane.turnWidget(5)->thinkToggle()->isVisible());
}

TEST_CASE("chat: hovering a generated token emits its index; divergence marker",
          "[widgets][chat]") {
  ShownPane s;
  ChatPane& pane = s.pane;
  pane.addUserMessage(QStringLiteral("Hi"));
  pane.beginAnswer(true);
  const QStringList tokens{QStringLiteral("Hmm"),   QStringLiteral("</think>"),
                           QStringLiteral("Hello"), QStringLiteral(" there"),
                           QStringLiteral(","),     QStringLiteral(" friend")};
  for (int i = 0; i < tokens.size(); ++i) pane.appendToken(i, tokens[i]);
  pane.finishAnswer(QStringLiteral("stop"));
  QCoreApplication::processEvents();

  QSignalSpy hovered(&pane, &ChatPane::tokenHovered);
  QSignalSpy hoveredInTurn(&pane, &ChatPane::tokenHoveredInTurn);
  ChatTurnWidget* turn = pane.turnWidget(1);
  for (int token : {3, 5, 0, 2}) {
    const auto position = pane.tokenPosition(1, token);
    REQUIRE(position.has_value());
    ChatTokenView* view = token == 0 ? turn->thinkView() : turn->answerView();
    hover(view->viewport(), view->viewport()->mapFrom(&pane, *position));
    REQUIRE(hovered.count() >= 1);
    CHECK(hovered.last().at(0).toInt() == token);
    CHECK(hoveredInTurn.last().at(0).toInt() == 1);
    CHECK(view->hoveredToken() == token);
  }
  // Empty space below the text: no token.
  ChatTokenView* answer = turn->answerView();
  hover(answer->viewport(),
        QPoint(answer->viewport()->width() - 2, answer->viewport()->height() - 1));
  CHECK(hovered.last().at(0).toInt() == -1);

  // Divergence marker at token 3 (" there"): header note + extra selection over its characters.
  pane.setFirstDivergence(3);
  CHECK(turn->firstDivergence() == 3);
  bool noteShown = false;
  for (QLabel* label : turn->findChildren<QLabel*>()) {
    if (label->isVisible() && label->text().contains(QStringLiteral("first divergence at token 3")))
      noteShown = true;
  }
  CHECK(noteShown);
  CHECK(answer->markedToken() == 3);
  const auto [start, end] = answer->tokenRange(3);
  CHECK(answer->text().mid(start, end - start) == QStringLiteral(" there"));
  bool marked = false;
  for (const auto& selection : answer->extraSelections()) {
    if (selection.cursor.selectionStart() == start && selection.cursor.selectionEnd() == end)
      marked = true;
  }
  CHECK(marked);
  CHECK(pane.conversation().turns[1].firstDivergence == 3);
  pane.setFirstDivergence(-1);
  CHECK(answer->markedToken() == -1);

  // A marker set before the token arrives is applied when it streams in.
  pane.beginAnswer(false);
  pane.setFirstDivergence(1);
  pane.appendToken(0, QStringLiteral("A"));
  pane.appendToken(1, QStringLiteral("B"));
  pane.turnWidget(2)->answerView()->flush();
  CHECK(pane.turnWidget(2)->answerView()->extraSelections().size() == 1);
  pane.finishAnswer();
}

TEST_CASE("chat: appending tokens only touches the end of the document", "[widgets][chat]") {
  ShownPane s;
  s.pane.beginAnswer(false);
  for (int i = 0; i < 500; ++i) s.pane.appendToken(i, QStringLiteral(" word%1").arg(i));
  s.pane.appendToken(-1, QStringLiteral("!"));  // flush event: belongs to the last token
  s.pane.finishAnswer();
  ChatTokenView* view = s.pane.turnWidget(0)->answerView();
  CHECK(view->tokenCount() == 500);
  CHECK(view->document()->isUndoRedoEnabled() == false);
  const auto [start, end] = view->tokenRange(499);
  CHECK(view->text().mid(start, end - start) == QStringLiteral(" word499!"));
  // The view grew to its content (no inner scroll bar).
  CHECK(view->height() >= static_cast<int>(view->document()->size().height()));
}
