// Logprobs (chat and completions formats, echo, scoring with max_tokens 0), tunings served as
// model ids, and /tokenize + /detokenize, on a live loopback server over the tiny model.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/model/generation.h"
#include "server_test_support.h"

using namespace mote;
using namespace mote::test;
using nlohmann::json;

namespace {

// What mote-engine trace computes: one prefill of `ids`, log-softmax of the logits after each.
at::Tensor reference_logprobs(const std::vector<int64_t>& ids, const CompiledTuning* tuning) {
  auto model = tiny_bundle()->model;
  KVCache cache = model->new_cache();
  ForwardOptions o;
  o.all_logits = true;
  o.tuning = tuning;
  at::Tensor tokens = at::tensor(ids, at::TensorOptions().dtype(at::kLong)).reshape({1, -1});
  return model->forward(tokens, cache, o)[0].log_softmax(-1);  // [T, V]
}

std::vector<int64_t> prompt_ids(const std::string& text) {
  return tiny_bundle()->tokenizer->encode(text);
}

// lm-evaluation-harness's local-completions loglikelihood request, as it sends it.
json lm_eval_body(const std::vector<int64_t>& ids, int max_tokens) {
  return {{"model", "v3-tiny"}, {"prompt", ids}, {"max_tokens", max_tokens},
          {"logprobs", 1},      {"echo", true},  {"temperature", 0},
          {"seed", 1234}};
}

const json kTuning = {{"suppress", {{1, 3}, {2, 7}, {3, 0}}}, {"stimulate", {{2, 11}}}};

}  // namespace

TEST_CASE("lm-eval's loglikelihood request: token_logprobs are log-softmax of the logits",
          "[server][logprobs]") {
  LiveServer s;
  const auto ids = prompt_ids("The capital of France is Paris, and the capital of Spain is");
  const at::Tensor ref = reference_logprobs(ids, nullptr);
  for (const int max_tokens : {1, 0}) {
    auto r = post(s.url("/v1/completions"), lm_eval_body(ids, max_tokens));
    REQUIRE(r.status == 200);
    const json j = r.json();
    const json& lp = j["choices"][0]["logprobs"];
    const size_t n = ids.size() + static_cast<size_t>(max_tokens);
    REQUIRE(lp["tokens"].size() == n);
    REQUIRE(lp["token_logprobs"].size() == n);
    CHECK(lp["token_logprobs"][0].is_null());
    CHECK(lp["top_logprobs"][0].is_null());
    CHECK(j["usage"]["completion_tokens"] == max_tokens);
    double sum = 0, ref_sum = 0;
    for (size_t t = 1; t < ids.size(); ++t) {
      const double got = lp["token_logprobs"][t].get<double>();
      const double want = ref[static_cast<int64_t>(t) - 1][ids[t]].item<double>();
      CHECK(got == Approx(want).margin(1e-4));
      sum += got;
      ref_sum += want;
      // logprobs 1: the most likely token, and the chosen one when it is not that one.
      const json& top = lp["top_logprobs"][t];
      CHECK((top.size() == 1 || top.size() == 2));
      const auto best = ref[static_cast<int64_t>(t) - 1].max().item<double>();
      double top_max = -1e30;
      for (const auto& [tok, v] : top.items()) top_max = std::max(top_max, v.get<double>());
      CHECK(top_max == Approx(best).margin(1e-4));
      CHECK(top.contains(lp["tokens"][t].get<std::string>()));
    }
    CHECK(sum == Approx(ref_sum).margin(1e-3));
    // The echo: the prompt's text first, the offsets count code points of the token texts.
    const std::string prompt_text = tiny_bundle()->tokenizer->decode(ids);
    const std::string text = j["choices"][0]["text"];
    CHECK(text.rfind(prompt_text, 0) == 0);
    CHECK(lp["text_offset"][0] == 0);
    CHECK(lp["text_offset"][1] == lp["tokens"][0].get<std::string>().size());
    if (max_tokens == 1) {  // the generated token: greedy, so the argmax after the prompt
      const at::Tensor last =
          reference_logprobs(ids, nullptr)[static_cast<int64_t>(ids.size()) - 1];
      CHECK(lp["token_logprobs"][ids.size()].get<double>() ==
            Approx(last.max().item<double>()).margin(1e-4));
    }
  }
}

TEST_CASE("chat logprobs: every generated token, OpenAI's shape, streamed the same",
          "[server][logprobs]") {
  LiveServer s;
  json body = {
      {"model", "v3-tiny"}, {"messages", {{{"role", "user"}, {"content", "Tell me a story"}}}},
      {"max_tokens", 8},    {"temperature", 0.9},
      {"seed", 7},          {"logprobs", true},
      {"top_logprobs", 3}};
  auto r = post(s.url("/v1/chat/completions"), body);
  REQUIRE(r.status == 200);
  const json j = r.json();
  const json& content = j["choices"][0]["logprobs"]["content"];
  CHECK(j["choices"][0]["logprobs"]["refusal"].is_null());
  REQUIRE(content.size() >= 1);
  CHECK(content.size() <= 8);
  // Sampled at temperature 0.9, yet the logprobs are the model's own distribution: each chosen
  // token's logprob is log-softmax of the logits the engine produced for that step.
  auto b = tiny_bundle();
  Generator g(b->model);
  GenerationRequest req;
  req.prompt = b->tokenizer->encode(b->chat_template->render({{"user", "Tell me a story"}}, true));
  req.max_tokens = 8;
  req.sampling.temperature = 0.9;
  req.sampling.top_p = b->defaults.top_p;
  req.sampling.top_k = b->defaults.top_k;
  req.sampling.seed = 7;
  req.stop_token_ids = {1};
  auto direct = g.generate(req, {}, /*keep_step_logits=*/true);
  std::string joined;
  for (size_t t = 0; t < content.size(); ++t) {
    const json& e = content[t];
    const at::Tensor step = direct.step_logits[static_cast<int64_t>(t)].log_softmax(-1);
    CHECK(e["logprob"].get<double>() == Approx(step[direct.tokens[t]].item<double>()).margin(1e-5));
    REQUIRE(e["top_logprobs"].size() == 3);
    CHECK(e["top_logprobs"][0]["logprob"].get<double>() ==
          Approx(step.max().item<double>()).margin(1e-5));
    CHECK(e["top_logprobs"][0]["logprob"] >= e["top_logprobs"][1]["logprob"]);
    std::string bytes;
    for (const json& v : e["bytes"]) bytes.push_back(static_cast<char>(v.get<int>()));
    CHECK(bytes == b->tokenizer->token_bytes(direct.tokens[t]));
    joined += e["token"].get<std::string>();
  }
  CHECK(joined == j["choices"][0]["message"]["content"]);

  body["stream"] = true;
  auto streamed = post(s.url("/v1/chat/completions"), body);
  REQUIRE(streamed.status == 200);
  json all = json::array();
  for (const std::string& e : sse_data(streamed.body)) {
    if (e == "[DONE]") break;
    const json chunk = json::parse(e);
    if (chunk["choices"].empty()) continue;
    const json& l = chunk["choices"][0]["logprobs"];
    if (!l.is_null())
      for (const json& x : l["content"]) all.push_back(x);
  }
  CHECK(all == content);

  body.erase("stream");
  body.erase("logprobs");
  CHECK(post(s.url("/v1/chat/completions"), body).status == 400);  // top_logprobs alone
}

TEST_CASE("tunings are model ids: listed, scored like the mote field, conflicts refused",
          "[server][logprobs]") {
  server::ServerOptions o = LiveServer::quiet();
  o.tunings["top3"] = TuningSpec::from_json(kTuning);
  LiveServer s(o);
  auto models = http("GET", s.url("/v1/models")).json();
  REQUIRE(models["data"].size() == 2);
  CHECK(models["data"][1]["id"] == "v3-tiny:top3");
  CHECK(models["data"][1]["mote"]["tuning"] == kTuning);

  const auto ids = prompt_ids("Explain how a transformer works, step by step");
  json named = lm_eval_body(ids, 4);
  named["model"] = "v3-tiny:top3";
  json field = lm_eval_body(ids, 4);
  field["mote"] = {{"tuning", kTuning}};
  const json a = post(s.url("/v1/completions"), named).json();
  const json f = post(s.url("/v1/completions"), field).json();
  CHECK(a["model"] == "v3-tiny:top3");
  CHECK(a["choices"][0]["text"] == f["choices"][0]["text"]);
  CHECK(a["choices"][0]["logprobs"] == f["choices"][0]["logprobs"]);
  // ... and it is the tuned model: its logprobs are the tuned forward's, not the base model's.
  const auto bundle = tiny_bundle();
  const auto compiled =
      CompiledTuning::shared(TuningSpec::from_json(kTuning), bundle->model->config());
  const at::Tensor tuned = reference_logprobs(ids, compiled.get());
  const at::Tensor base = reference_logprobs(ids, nullptr);
  double tuned_diff = 0, base_diff = 0;
  for (size_t t = 1; t < ids.size(); ++t) {
    const double got = a["choices"][0]["logprobs"]["token_logprobs"][t].get<double>();
    tuned_diff = std::max(tuned_diff, std::abs(got - tuned[t - 1][ids[t]].item<double>()));
    base_diff = std::max(base_diff, std::abs(got - base[t - 1][ids[t]].item<double>()));
  }
  CHECK(tuned_diff < 1e-4);
  CHECK(base_diff > 1e-3);

  // The same tuning in both places is fine; another one is a conflict.
  named["mote"] = {{"tuning", kTuning}};
  CHECK(post(s.url("/v1/completions"), named).status == 200);
  named["mote"] = {{"tuning", {{"suppress", {{1, 2}}}}}};
  auto conflict = post(s.url("/v1/completions"), named);
  CHECK(conflict.status == 400);
  CHECK(conflict.json()["error"]["code"] == "tuning_conflict");
  for (const char* unknown : {"gpt-4", "v3-tiny:nope", "v3-tiny:", "v3-tinyx"}) {
    json body = lm_eval_body(ids, 1);
    body["model"] = unknown;
    auto missing = post(s.url("/v1/completions"), body);
    CHECK(missing.status == 404);
    CHECK(missing.json()["error"]["code"] == "model_not_found");
  }

  // Added at run time; a name keeps its meaning.
  auto added =
      post(s.url("/mote/v1/tunings"), {{"name", "late"}, {"tuning", {{"stimulate", {{3, 5}}}}}});
  REQUIRE(added.status == 200);
  CHECK(added.json()["id"] == "v3-tiny:late");
  CHECK(http("GET", s.url("/v1/models")).json()["data"].size() == 3);
  CHECK(post(s.url("/mote/v1/tunings"), {{"name", "late"}, {"tuning", {{"stimulate", {{3, 5}}}}}})
            .status == 200);
  CHECK(post(s.url("/mote/v1/tunings"), {{"name", "late"}, {"tuning", {{"suppress", {{3, 5}}}}}})
            .status == 409);
  CHECK(post(s.url("/mote/v1/tunings"), {{"name", "bad name"}, {"tuning", kTuning}}).status == 400);
  auto out_of_range =
      post(s.url("/mote/v1/tunings"), {{"name", "x"}, {"tuning", {{"suppress", {{9, 1}}}}}});
  CHECK(out_of_range.status == 400);
  CHECK(out_of_range.json()["error"]["code"] == "invalid_expert");
  CHECK(http("GET", s.url("/mote/v1/tunings")).json()["data"].size() == 2);
  json late = lm_eval_body(ids, 1);
  late["model"] = "v3-tiny:late";
  CHECK(post(s.url("/v1/completions"), late).status == 200);
}

TEST_CASE("/tokenize and /detokenize in vLLM's shapes", "[server][logprobs]") {
  LiveServer s;
  const std::string text = "What is 2 plus 3? ünïcode 漢字";
  auto t = post(s.url("/tokenize"), {{"model", "v3-tiny"}, {"prompt", text}});
  REQUIRE(t.status == 200);
  const json tj = t.json();
  CHECK(tj["tokens"].get<std::vector<int64_t>>() == prompt_ids(text));
  CHECK(tj["count"] == tj["tokens"].size());
  CHECK(tj["max_model_len"] == tiny_bundle()->model->config().max_position_embeddings);
  auto chat = post(s.url("/tokenize"), {{"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  REQUIRE(chat.status == 200);
  const auto b = tiny_bundle();
  CHECK(chat.json()["tokens"].get<std::vector<int64_t>>() ==
        b->tokenizer->encode(b->chat_template->render({{"user", "hi"}}, true)));
  auto d = post(s.url("/detokenize"), {{"tokens", tj["tokens"]}});
  REQUIRE(d.status == 200);
  CHECK(d.json()["prompt"] == text);
  CHECK(post(s.url("/detokenize"), {{"tokens", {100000}}}).status == 400);
  CHECK(post(s.url("/tokenize"), {{"prompt", "x"}, {"model", "other"}}).status == 404);
  CHECK(post(s.url("/tokenize"), {{"prompt", 1}}).status == 400);
}
