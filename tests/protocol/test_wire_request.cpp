// The request bodies on the wire: the server's parser (types, limits, the tuning's one rule set,
// each refusal an InvalidRequest naming the field) and the client's to_json(), which the parser
// reads back unchanged.
#include <catch2/catch.hpp>

#include <functional>

#include <nlohmann/json.hpp>

#include "protocol/tuning_spec.h"
#include "protocol/wire_request.h"

using namespace mote;
using nlohmann::json;

namespace {

ModelGeometry geometry() {
  return {{1, 2, 3}, 16, 4};
}

// The HTTP status the server answers: 400 for every refused body, 0 when it parses.
int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidRequest&) {
    return 400;
  }
  return 0;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidRequest& e) {
    return e.what();
  }
  return "";
}

std::string code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InvalidRequest& e) {
    return e.code;
  }
  return "";
}

}  // namespace

TEST_CASE("chat request fields are parsed with their types", "[protocol]") {
  const RequestLimits limits;
  const auto r = parse_chat_request(
      R"({"model": "m", "messages": [{"role": "system", "content": "s"},
          {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
          "max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "seed": -1, "stop": ["x", "yz"], "stream": true,
          "stream_options": {"include_usage": true},
          "mote": {"tuning": {"suppress": [[1, 3]], "stimulate": [[2, 15]]}, "capture": "ids+weights"}})",
      limits, geometry());
  CHECK(r.chat);
  REQUIRE(r.messages.size() == 2);
  CHECK(r.messages[1].content == "ab");
  CHECK(*r.max_tokens == 7);
  CHECK(*r.sampling.temperature == 0.5);
  CHECK(*r.sampling.seed == ~uint64_t{0});
  CHECK(r.stop == std::vector<std::string>{"x", "yz"});
  CHECK(r.stream);
  CHECK(r.include_usage);
  CHECK(r.mote.present);
  CHECK(r.mote.capture == mote::CaptureMode::IdsAndWeights);
  CHECK(r.mote.tuning == mote::TuningSpec{{{1, 3}}, {{2, 15}}});
}

TEST_CASE("malformed and out-of-range requests are 400 with the reason", "[protocol]") {
  const RequestLimits limits;
  const auto g = geometry();
  auto chat = [&](const std::string& body) {
    return [&, body] { parse_chat_request(body, limits, g); };
  };
  const std::string msgs = R"("messages": [{"role": "user", "content": "hi"}])";
  CHECK(status_of(chat("{")) == 400);
  CHECK(status_of(chat("[]")) == 400);
  CHECK(status_of(chat("{}")) == 400);
  CHECK(status_of(chat("{\"messages\": \"hi\"}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"max_tokens\": \"5\"}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"max_tokens\": 1e300}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"max_tokens\": 1e400}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"max_tokens\": 99999999999999999999999}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"max_tokens\": 0}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"temperature\": -1}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"top_p\": 0}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"n\": 2}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"captur\": \"ids\"}}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"capture\": \"all\"}}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[0, 1]]}}}")) == 400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[1, -1]]}}}")) ==
        400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[1, 16]]}}}")) ==
        400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[1, 1e30]]}}}")) ==
        400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[1, 2, 3]]}}}")) ==
        400);
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"boost\": []}}}")) == 400);
  CHECK(status_of(
            chat("{" + msgs +
                 ", \"mote\": {\"tuning\": {\"suppress\": [[1, 2]], \"stimulate\": [[1, 2]]}}}")) ==
        400);
  CHECK(status_of(chat(
            "{" + msgs +
            ", \"mote\": {\"tuning\": {\"stimulate\": [[1,0],[1,1],[1,2],[1,3],[1,4]]}}}")) == 400);
  CHECK(message_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[7, 1]]}}}"))
            .find("[7, 1]") != std::string::npos);
  // A duplicate is a 400 whose message is the project's one rule's, word for word what the CLI
  // and the workbench show (protocol/tuning_spec.h).
  const std::string duplicate = R"({"suppress": [[1, 1], [1, 1]]})";
  CHECK(status_of(chat("{" + msgs + ", \"mote\": {\"tuning\": " + duplicate + "}}")) == 400);
  std::string expected;
  try {
    mote::TuningSpec::parse(duplicate).validate(g);
  } catch (const mote::TuningError& e) {
    expected = e.what();
  }
  CHECK(expected == "tuning: suppress [1, 1] is listed twice");
  CHECK(message_of(chat("{" + msgs + ", \"mote\": {\"tuning\": " + duplicate + "}}")) == expected);
  CHECK(status_of(chat("{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}")) == 400);
  CHECK(status_of(chat(
            std::string("{\"messages\": [{\"role\": \"user\", \"content\": \"\xff\"}]}"))) == 400);
  CHECK(status_of(chat(std::string(10000, '[') + std::string(10000, ']'))) == 400);
  CHECK(message_of(chat(std::string(100, '['))).find("nests deeper") != std::string::npos);
}

TEST_CASE("completion prompts and scans are validated", "[protocol]") {
  const RequestLimits limits;
  const auto g = geometry();
  CHECK(parse_completion_request(R"({"prompt": "abc"})", limits, g).prompt == "abc");
  CHECK(*parse_completion_request(R"({"prompt": [1, 2, 3]})", limits, g).prompt_ids ==
        std::vector<int64_t>{1, 2, 3});
  CHECK(status_of([&] { parse_completion_request(R"({"prompt": [1, -2]})", limits, g); }) == 400);
  CHECK(status_of([&] { parse_completion_request(R"({"prompt": ["a", "b"]})", limits, g); }) ==
        400);
  const auto s = parse_scan_request(
      R"({"prompts": ["a", {"text": "b"}, {"messages": [{"role": "user", "content": "c"}]}], "batch_size": 4,
          "mote": {"tuning": {"suppress": [[3, 0]]}}})",
      limits, g);
  REQUIRE(s.prompts.size() == 3);
  CHECK(s.prompts[2].chat);
  CHECK(s.batch_size == 4);
  CHECK(status_of([&] { parse_scan_request(R"({"prompts": []})", limits, g); }) == 400);
  CHECK(status_of([&] { parse_scan_request(R"({"prompts": [""]})", limits, g); }) == 400);
  CHECK(status_of([&] {
          parse_scan_request(R"({"prompts": ["a"], "mote": {"capture": "ids"}})", limits, g);
        }) == 400);
  CHECK(status_of([&] { parse_scan_request(R"({"prompts": ["a"], "extra": 1})", limits, g); }) ==
        400);
  RequestLimits small;
  small.max_scan_prompts = 2;
  CHECK(status_of([&] { parse_scan_request(R"({"prompts": ["a", "b", "c"]})", small, g); }) == 400);
}

TEST_CASE("refusals carry a machine-readable code", "[protocol]") {
  const RequestLimits limits;
  const auto g = geometry();
  const std::string msgs = R"("messages": [{"role": "user", "content": "hi"}])";
  auto chat = [&](const std::string& body) {
    return [&, body] { parse_chat_request(body, limits, g); };
  };
  CHECK(code_of(chat("{")) == "invalid_json");
  CHECK(code_of(chat("{\"messages\": 1}")) == "invalid_type");
  CHECK(code_of(chat("{" + msgs + ", \"mote\": {\"tuning\": {\"suppress\": [[9, 1]]}}}")) ==
        "invalid_expert");
  CHECK(code_of(chat("{" + msgs + ", \"mote\": {\"x\": 1}}")) == "unknown_field");
  CHECK(code_of(chat("{" + msgs + ", \"logprobs\": 1}")) == "invalid_type");
  CHECK(code_of(chat("{" + msgs + ", \"top_logprobs\": 2}")) == "invalid_value");
  CHECK(code_of(chat("{" + msgs + ", \"logprobs\": true, \"top_logprobs\": 21}")) ==
        "invalid_value");
  CHECK(code_of(chat("{" + msgs + ", \"echo\": true}")) == "unsupported");
  CHECK(code_of(chat("{" + msgs + ", \"max_tokens\": 0}")) == "invalid_value");
  CHECK(code_of(chat(std::string(100, '['))) == "too_deep");
}

TEST_CASE("what the client writes is what the server reads", "[protocol]") {
  const RequestLimits limits;
  const auto g = geometry();

  GenerateRequest chat;
  chat.model = "m";
  chat.messages = {{"system", "be brief"}, {"user", "Hi \xc3\xa9"}};
  chat.max_tokens = 12;
  chat.sampling = {0.7, 0.95, 40, ~std::uint64_t{0} - 5};  // a seed above INT64_MAX
  chat.stop = {"\n\n", "END"};
  chat.stream = true;
  chat.include_usage = true;
  chat.mote.present = true;
  chat.mote.tuning = TuningSpec{{{1, 3}, {2, 0}}, {{3, 15}}};
  chat.mote.capture = CaptureMode::IdsAndWeights;
  chat.logprobs = 5;
  const json chat_body = chat.to_json();
  CHECK(chat_body.at("logprobs") == true);
  CHECK(chat_body.at("top_logprobs") == 5);
  CHECK(chat_body.at("seed") == -6);  // signed on the wire, as OpenAI's seeds are
  CHECK(parse_chat_request(chat_body.dump(), limits, g) == chat);

  GenerateRequest text;
  text.chat = false;
  text.prompt = "Once upon a time";
  CHECK_FALSE(text.to_json().contains("mote"));
  CHECK_FALSE(text.to_json().contains("temperature"));
  CHECK(parse_completion_request(text.to_json().dump(), limits, g) == text);
  GenerateRequest ids = text;
  ids.prompt.clear();
  ids.prompt_ids = std::vector<std::int64_t>{0, 5, 17};
  ids.sampling.temperature = 0.0;
  CHECK(parse_completion_request(ids.to_json().dump(), limits, g) == ids);
  // lm-evaluation-harness's loglikelihood request: echo, logprobs 1, and max_tokens 0 scores.
  ids.logprobs = 1;
  ids.echo = true;
  ids.max_tokens = 0;
  CHECK(ids.to_json().at("logprobs") == 1);
  CHECK(parse_completion_request(ids.to_json().dump(), limits, g) == ids);
  CHECK_THROWS_AS(parse_completion_request(R"({"prompt": "a", "max_tokens": 0})", limits, g),
                  InvalidRequest);
  CHECK_FALSE(
      parse_completion_request(R"({"prompt": "a", "logprobs": false})", limits, g).logprobs);
  CHECK_THROWS_AS(parse_completion_request(R"({"prompt": "a", "logprobs": 21})", limits, g),
                  InvalidRequest);

  TokenizeRequest tok;
  tok.prompt = "What is 2 plus 3?";
  CHECK(parse_tokenize_request(tok.to_json().dump(), limits) == tok);
  tok.prompt.reset();
  tok.messages = {{"user", "hi"}};
  tok.add_generation_prompt = false;
  CHECK(parse_tokenize_request(tok.to_json().dump(), limits) == tok);
  CHECK_THROWS_AS(parse_tokenize_request(R"({"prompt": "a", "messages": []})", limits),
                  InvalidRequest);
  DetokenizeRequest detok;
  detok.tokens = {3, 4, 5};
  CHECK(parse_detokenize_request(detok.to_json().dump(), limits) == detok);
  CHECK_THROWS_AS(parse_detokenize_request(R"({"tokens": [-1]})", limits), InvalidRequest);
  TuningRegistration reg{"top10", TuningSpec{{{1, 3}}, {}}};
  CHECK(parse_tuning_registration(reg.to_json().dump(), limits, g) == reg);
  CHECK_THROWS_AS(
      parse_tuning_registration(R"({"name": "x", "tuning": {"suppress": [[9, 1]]}})", limits, g),
      InvalidRequest);

  ScanRequest scan;
  ScanPrompt raw;
  raw.chat = false;
  raw.text = "What is 2 plus 3?";
  ScanPrompt turn;
  turn.messages = {{"user", "Where is the Louvre?"}};
  turn.add_generation_prompt = false;
  scan.prompts = {raw, turn};
  scan.batch_size = 4;
  scan.weighted = true;
  scan.max_tokens = 16;
  scan.sampling.seed = 7;
  scan.mote.present = true;
  scan.mote.tuning = TuningSpec{{{2, 2}}, {}};
  CHECK_FALSE(scan.to_json().at("mote").contains("capture"));  // a scan captures counts only
  CHECK(parse_scan_request(scan.to_json().dump(), limits, g) == scan);
}
