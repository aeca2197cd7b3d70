// A completion's reply on the wire: the chunks and the plain reply the server writes read back
// unchanged on the client's side, in OpenAI's shapes, and malformed replies are WireErrors that
// name the field.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "protocol/wire_completion.h"
#include "protocol/wire_error.h"

using namespace mote;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const ModelGeometry kGeometry{{1, 3}, 4, 2};

MoteHeader header() {
  return {kGeometry, CaptureMode::IdsAndWeights, TuningSpec{{{1, 2}}, {{3, 0}}},
          ~std::uint64_t{0} - 1};
}

RoutingRow row(int position, bool is_prompt) {
  RoutingRow r;
  r.position = position;
  r.is_prompt = is_prompt;
  r.token = 10 + position;
  r.ids = {0, 1, 3, 0};
  r.weights = {0.5f, 0.25f, 0.75f, 0.125f};  // exact in 5 significant digits
  return r;
}

ActivationMap counts() {
  ActivationMap m(2, 4);
  m.at(0, 1) = 2;
  m.at(1, 3) = 1;
  return m;
}

CompletionChunk base(bool chat) {
  CompletionChunk c;
  c.chat = chat;
  c.id = chat ? "chatcmpl-1" : "cmpl-1";
  c.created = 1764800000;
  c.model = "v3-tiny";
  return c;
}

}  // namespace

TEST_CASE("a chat stream's chunks read back as written, in OpenAI's shapes", "[protocol]") {
  CompletionChunk role = base(true);
  role.choice = CompletionChunk::Choice{true, "", std::nullopt};
  role.mote = MoteReply{header(), std::nullopt, std::nullopt};
  const json role_json = role.to_json();
  CHECK(role_json.at("object") == "chat.completion.chunk");
  CHECK(role_json.at("choices")[0].at("delta") == json{{"role", "assistant"}, {"content", ""}});
  CHECK(role_json.at("mote").at("seed") == ~std::uint64_t{0} - 1);
  CHECK(role_json.at("mote").at("moe_layers") == json{1, 3});
  CHECK(CompletionChunk::from_json(role_json, true, nullptr) == role);

  CompletionChunk token = base(true);
  token.choice = CompletionChunk::Choice{false, "Hel", std::nullopt};
  token.mote =
      MoteReply{std::nullopt, std::vector<RoutingRow>{row(0, true), row(1, false)}, counts()};
  CHECK(CompletionChunk::from_json(token.to_json(), true, &kGeometry) == token);
  // Counts need a geometry: the stream's header, or their own chunk's.
  CHECK_THROWS_WITH(CompletionChunk::from_json(token.to_json(), true, nullptr),
                    Contains("prompt_counts came before the header"));

  CompletionChunk last = base(true);
  last.choice = CompletionChunk::Choice{false, "", "stop"};
  last.usage = Usage{5, 3};
  const json last_json = last.to_json();
  CHECK(last_json.at("choices")[0].at("delta") == json::object());
  CHECK(last_json.at("usage").at("total_tokens") == 8);
  CHECK(CompletionChunk::from_json(last_json, true, &kGeometry) == last);

  CompletionChunk usage = base(true);
  usage.usage = Usage{5, 3};
  CHECK(usage.to_json().at("choices") == json::array());
  CHECK(CompletionChunk::from_json(usage.to_json(), true, &kGeometry) == usage);
}

TEST_CASE("a text completion's header rides on its first token's chunk", "[protocol]") {
  CompletionChunk first = base(false);
  first.choice = CompletionChunk::Choice{false, "Once", std::nullopt};
  first.mote = MoteReply{header(), std::vector<RoutingRow>{row(0, true)}, counts()};
  const json j = first.to_json();
  CHECK(j.at("object") == "text_completion");
  CHECK(j.at("choices")[0].at("text") == "Once");
  CHECK(j.at("choices")[0].at("logprobs").is_null());
  CHECK(CompletionChunk::from_json(j, false, nullptr) == first);
}

TEST_CASE("the plain reply reads back as written", "[protocol]") {
  for (const bool chat : {true, false}) {
    CompletionReply reply;
    reply.chat = chat;
    reply.id = "x";
    reply.model = "m";
    reply.created = 7;
    reply.text = "Paris.";
    reply.finish_reason = "length";
    reply.usage = {4, 2};
    reply.mote = MoteReply{header(), std::vector<RoutingRow>{row(0, true), row(1, true)}, counts()};
    const json j = reply.to_json();
    CHECK(j.at("object") == (chat ? "chat.completion" : "text_completion"));
    if (chat) CHECK(j.at("choices")[0].at("message").at("content") == "Paris.");
    CHECK(CompletionReply::from_json(j, chat) == reply);
  }
}

TEST_CASE("malformed replies are WireErrors naming the field", "[protocol]") {
  auto chunk = [](const std::string& text) {
    return [text] { CompletionChunk::from_json(json::parse(text), true, &kGeometry); };
  };
  CHECK_THROWS_AS(chunk("[]")(), WireError);
  CHECK_THROWS_WITH(chunk(R"({"choices": 3})")(), Contains("choices"));
  CHECK_THROWS_WITH(chunk(R"({"choices": [7]})")(), Contains("choices[0]"));
  CHECK_THROWS_WITH(chunk(R"({"choices": [{"delta": {"content": 5}}]})")(),
                    Contains("delta.content"));
  CHECK_THROWS_WITH(chunk(R"({"usage": {"prompt_tokens": 1}})")(), Contains("usage lacks"));
  CHECK_THROWS_WITH(chunk(R"({"mote": {"moe_layers": [1], "n_experts": 4, "top_k": 2}})")(),
                    Contains("mote.seed"));
  CHECK_THROWS_WITH(
      chunk(R"({"mote": {"moe_layers": [1], "n_experts": 1, "top_k": 2, "seed": 1}})")(),
      Contains("header"));
  CHECK_THROWS_WITH(chunk(R"({"mote": {"routing": {}}})")(), Contains("mote.routing"));
  CHECK_THROWS_WITH(chunk(R"({"mote": {"prompt_counts": [[1, 2]]}})")(),
                    Contains("activation map"));
  CHECK_THROWS_WITH(CompletionReply::from_json(json::parse(R"({"choices": []})"), true),
                    Contains("no choices"));
  CHECK_THROWS_WITH(CompletionReply::from_json(
                        json::parse(R"({"choices": [{"message": {"content": "a"}}]})"), true),
                    Contains("finish_reason"));
}

TEST_CASE("logprobs in OpenAI's chat and completions formats read back as written", "[protocol]") {
  Logprobs l;
  TokenLogprob first;  // an echoed prompt's first token: no logprob, no alternatives
  first.token = "Once";
  first.bytes = "Once";
  TokenLogprob second;
  second.token = " up";
  second.bytes = " up";
  second.logprob = -0.25;
  second.text_offset = 4;
  second.top = {{" up", -0.25, " up"}, {"\xef\xbf\xbd", -1.5, "\xe6"}};
  l.tokens = {first, second};

  const json text = l.to_completion_json();
  CHECK(text.at("tokens") == json{"Once", " up"});
  CHECK(text.at("token_logprobs")[0].is_null());
  CHECK(text.at("token_logprobs")[1] == -0.25);
  CHECK(text.at("top_logprobs")[0].is_null());
  CHECK(text.at("top_logprobs")[1] == json{{" up", -0.25}, {"\xef\xbf\xbd", -1.5}});
  CHECK(text.at("text_offset") == json{0, 4});
  Logprobs text_back = l;  // the completions format carries no bytes
  for (auto& t : text_back.tokens) {
    t.bytes.clear();
    for (auto& a : t.top) a.bytes.clear();
  }
  CHECK(Logprobs::from_completion_json(text) == text_back);

  Logprobs chat = l;
  for (auto& t : chat.tokens) t.text_offset = 0;  // not in the chat format
  const json c = chat.to_chat_json();
  CHECK(c.at("refusal").is_null());
  CHECK(c.at("content")[1].at("bytes") == json{32, 117, 112});
  CHECK(c.at("content")[1].at("top_logprobs")[1].at("bytes") == json{230});
  CHECK(Logprobs::from_chat_json(c) == chat);

  CompletionChunk chunk = base(true);
  chunk.choice = CompletionChunk::Choice{false, " up", std::nullopt, chat};
  CHECK(CompletionChunk::from_json(chunk.to_json(), true, nullptr) == chunk);

  json broken = text;
  broken["text_offset"] = json{0};
  CHECK_THROWS_AS(Logprobs::from_completion_json(broken), WireError);
  CHECK_THROWS_AS(Logprobs::from_chat_json(json{{"content", {{{"token", 1}}}}}), WireError);
}
