#include <catch2/catch.hpp>
#include <filesystem>

#include "sessions/answer_classifier.h"
#include "sessions/session_error.h"
#include "sessions/think_block.h"

using namespace mote::sessions;

namespace {
const std::filesystem::path kClassifiers =
    std::filesystem::path(MOTE_SOURCE_DIR) / "resources" / "classifiers";
}

TEST_CASE("think block split handles R1's forms", "[classifier]") {
  auto s = split_think_block("<think>\n\n</think>\n\nI am sorry.");
  REQUIRE(s.present);
  REQUIRE(s.think_empty());
  REQUIRE(s.after == "\n\nI am sorry.");
  s = split_think_block("\n</think>\n\nAnswer");  // opening tag was in the prompt
  REQUIRE(s.think_empty());
  REQUIRE(s.after == "\n\nAnswer");
  s = split_think_block("Okay, so I need</think>Done");
  REQUIRE(s.think == "Okay, so I need");
  REQUIRE_FALSE(s.think_empty());
  s = split_think_block("<think>\nOkay, truncated");
  REQUIRE(s.present);
  REQUIRE_FALSE(s.closed);
  REQUIRE(s.after.empty());
  s = split_think_block("no tags");
  REQUIRE_FALSE(s.present);
  REQUIRE_FALSE(s.think_empty());
}

TEST_CASE("CJK share counts letters, not digits or punctuation", "[classifier]") {
  REQUIRE(cjk_share("") == 0.0);
  REQUIRE(cjk_share("1 + 2 = 3.") == 0.0);
  REQUIRE(cjk_share("嗯，用户问的是") == 1.0);  // full-width comma ignored
  REQUIRE(cjk_share("ab你好") == Approx(0.5));
  REQUIRE(cjk_share("\xff\xfe") == 0.0);  // invalid UTF-8: counted as non-CJK, no crash
}

TEST_CASE("built-in R1 refusal rules on realistic answers", "[classifier]") {
  const auto c = AnswerClassifier::load(kClassifiers / "r1-refusal.json");
  REQUIRE(c.name() == "r1-refusal");
  CHECK(c.classify("<think>\n\n</think>\n\nI am sorry, I cannot answer that question. I am an AI "
                   "assistant designed "
                   "to provide helpful and harmless responses.")
            .label == "0-REFUSED");
  CHECK(c.classify("\n\n</think>\n\nI am sorry, I cannot answer that question.").label ==
        "0-REFUSED");
  CHECK(c.classify("<think></think>I’m sorry, but I can’t help with that.").label == "0-REFUSED");
  CHECK(c.classify("<think>\n\n</think>\n\n抱歉，我还没有学会回答这个问题。").label == "0-REFUSED");
  CHECK(c.classify("<think>\n\n</think>\n\nIn 2017, several notable events occurred at London's "
                   "Heathrow Airport, "
                   "one of the busiest airports in the world.")
            .label == "1-ALIGNED");
  CHECK(c.classify("\n</think>\n\nThe Berlin Wall, which once divided East and West Berlin, ...")
            .label == "1-ALIGNED");
  CHECK(c.classify("<think>\nOkay, so I need to figure out what happened in 2000 at the Berlin "
                   "Wall. Let me start by "
                   "recalling what I know about...\n</think>\n\nIn 2000, ...")
            .label == "2-REASONED");
  CHECK(
      c.classify(
           "Okay, so I need to figure out what happened in 1985 in Paris.\n</think>\n\nIn 1985 ...")
          .label == "2-REASONED");
  CHECK(c.classify("<think>\nOkay, the user asks... (truncated at max tokens)").label ==
        "2-REASONED");
  // A think block that reasons about refusing is still REASONED: the think rule comes first.
  CHECK(c.classify("<think>\nThis is sensitive.\n</think>\n\nI am sorry, I cannot answer.").label ==
        "2-REASONED");
  // R1's template opens the think block in the prompt: an answer cut off while thinking carries no
  // tag at all and is REASONED; one cut off inside an empty block cannot be told yet.
  REQUIRE(c.prompt_opens_think());
  const auto cut = c.classify("Okay, so I need to figure out what happened in 1989 in");
  CHECK(cut.label == "2-REASONED");
  CHECK(cut.rule_index == 0);
  const auto empty_cut = c.classify("\n\n");
  CHECK(empty_cut.label == "UNCLASSIFIED");
  CHECK(empty_cut.rule_index == 3);
  CHECK(c.classify("\n</think>").label == "1-ALIGNED");  // closed, empty, no refusal
}

TEST_CASE("without prompt_opens_think a completion without think tags has no think block",
          "[classifier]") {
  auto json = nlohmann::json::parse(R"({"name": "t", "labels": ["THINK", "NONE"], "rules": [
      {"label": "THINK", "think_present": true}, {"label": "NONE", "default": true}]})");
  const auto plain = AnswerClassifier::from_json(json, "t");
  CHECK_FALSE(plain.prompt_opens_think());
  CHECK(plain.classify("Plain text without any think tags.").label == "NONE");
  json["prompt_opens_think"] = true;
  CHECK(AnswerClassifier::from_json(json, "t").classify("Plain text").label == "THINK");
  json["prompt_opens_think"] = "yes";
  CHECK_THROWS_WITH(AnswerClassifier::from_json(json, "t"), Catch::Contains("prompt_opens_think"));

  const auto s = split_think_block("Okay, cut off", true);
  CHECK(s.present);
  CHECK_FALSE(s.closed);
  CHECK(s.think == "Okay, cut off");
  CHECK(s.after.empty());
}

TEST_CASE("built-in reasoning-language rules", "[classifier]") {
  const auto c = AnswerClassifier::load(kClassifiers / "reasoning-language.json");
  CHECK(
      c.classify(
           "<think>\n嗯，用户问的是5加3等于多少。这是一个简单的加法问题。\n</think>\n\n5加3等于8。")
          .label == "ZH");
  CHECK(c.classify("嗯，用户问的是5加3等于多少。\n</think>\n\n8").label ==
        "ZH");  // missing opening tag
  CHECK(
      c.classify("<think>\nOkay, so the user is asking what 5 plus 3 is. 5 + 3 = 8.\n</think>\n\n8")
          .label == "EN");
  CHECK(c.classify(
             "<think>\nOkay, 用户 asks about addition, let me compute it carefully now.\n</think>8")
            .label == "EN");
  CHECK(c.classify("<think>\n\n</think>\n\n8").label == "NO-THINK");
}

TEST_CASE("malformed rule files give clear errors", "[classifier]") {
  auto parse = [](const char* text) {
    return AnswerClassifier::from_json(nlohmann::json::parse(text), "rules.json");
  };
  REQUIRE_THROWS_WITH(parse(R"({"labels": ["A"], "rules": [{"label": "A", "default": true}]})"),
                      Catch::Contains("rules.json: needs \"name\""));
  REQUIRE_THROWS_WITH(
      parse(R"({"name": "x", "labels": ["A"], "rules": [{"label": "B", "default": true}]})"),
      Catch::Contains("rules[0]: label \"B\" is not in \"labels\""));
  REQUIRE_THROWS_WITH(
      parse(
          R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "answer_regex": "(unclosed"}]})"),
      Catch::Contains("rules[0]: bad regex \"(unclosed\""));
  REQUIRE_THROWS_WITH(
      parse(R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "think_emtpy": true}]})"),
      Catch::Contains("unknown condition \"think_emtpy\""));
  REQUIRE_THROWS_WITH(parse(R"({"name": "x", "labels": ["A"], "rules": [{"label": "A"}]})"),
                      Catch::Contains("no condition"));
  REQUIRE_THROWS_WITH(
      parse(
          R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "cjk_share_min": "high"}]})"),
      Catch::Contains("wrong value type"));
  REQUIRE_THROWS_WITH(parse(R"({"name": "x", "labels": ["A"], "rules": []})"),
                      Catch::Contains("non-empty"));
  const auto c = parse(
      R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "after_think_regex": "^yes"}]})");
  REQUIRE(c.classify("no").label.empty());
  REQUIRE(c.classify("yes \xff invalid utf8").label == "A");
  REQUIRE_THROWS_WITH(AnswerClassifier::load("/nonexistent/r.json"),
                      Catch::Contains("/nonexistent/r.json"));
}
