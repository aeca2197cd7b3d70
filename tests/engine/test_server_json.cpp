// The server's torch-free pieces: request parsing/validation, stop strings, key checks.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/server/server_json.h"
#include "engine/server/server_security.h"
#include "engine/server/server_stop.h"

using namespace mote::server;
using nlohmann::json;

namespace {

mote::ModelGeometry geometry() {
  return {{1, 2, 3}, 16, 4};
}

int status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RequestError& e) {
    return e.status;
  }
  return 0;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const RequestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("chat request fields are parsed with their types", "[server]") {
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

TEST_CASE("malformed and out-of-range requests are 400 with the reason", "[server]") {
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

TEST_CASE("completion prompts and scans are validated", "[server]") {
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

TEST_CASE("stop strings are held back until they cannot match", "[server]") {
  StopMatcher m({"STOP", "xy"});
  CHECK(m.push("hello S") == "hello ");
  CHECK(m.push("T") == "");
  CHECK(m.push("ar") == "STar");
  CHECK(m.push(" x") == " ");
  CHECK(m.push("y and more") == "");
  CHECK(m.matched());
  StopMatcher n({"END"});
  CHECK(n.push("abcE") == "abc");
  CHECK(n.finish() == "E");
}

TEST_CASE("API keys are checked in full, bind policy needs a key off loopback", "[server]") {
  CHECK(constant_time_equal("secret", "secret"));
  CHECK_FALSE(constant_time_equal("secret", "secreT"));
  CHECK_FALSE(constant_time_equal("secret", "secret2"));
  CHECK_FALSE(constant_time_equal("", "x"));
  CHECK(authorized("Bearer k3y", "k3y"));
  CHECK(authorized("bearer k3y", "k3y"));
  CHECK_FALSE(authorized("Bearer k3", "k3y"));
  CHECK_FALSE(authorized("k3y", "k3y"));
  CHECK_FALSE(authorized("", "k3y"));
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("::1"));
  CHECK(is_loopback_host("localhost"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("192.168.1.2"));
  CHECK_THROWS_AS(check_bind_policy("0.0.0.0", std::nullopt), mote::UsageError);
  CHECK_NOTHROW(check_bind_policy("0.0.0.0", std::string("key")));
  CHECK_NOTHROW(check_bind_policy("127.0.0.1", std::nullopt));
}
