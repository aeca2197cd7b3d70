// POST /mote/v1/scan on a live server: one activation map per prompt, streamed as each finishes.
#include <catch2/catch.hpp>

#include <map>

#include "engine/model/generation.h"
#include "server_test_support.h"

using namespace mote;
using namespace mote::test;
using nlohmann::json;

namespace {

std::vector<std::string> scan_prompts(int n) {
  const std::vector<std::string> words = {"moon",     "robot", "paint", "France", "experts",
                                          "question", "story", "sea",   "router", "layer"};
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string p = "Tell me about the";
    for (int w = 0; w <= i % 7; ++w) p += " " + words[(i * 3 + w) % words.size()];
    out.push_back(p + "?");
  }
  return out;
}

struct ScanOutput {
  json start, done;
  std::map<int64_t, json> results;  // by index
  std::vector<int64_t> order;
};

ScanOutput run_scan(const LiveServer& s, const json& body) {
  auto r = post(s.url("/mote/v1/scan"), body);
  REQUIRE(r.status == 200);
  auto events = sse_data(r.body);
  REQUIRE(events.back() == "[DONE]");
  ScanOutput out;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json e = json::parse(events[i]);
    if (e["object"] == "mote.scan.start")
      out.start = e;
    else if (e["object"] == "mote.scan.done")
      out.done = e;
    else if (e["object"] == "mote.scan.result") {
      CHECK(out.results.count(e["index"].get<int64_t>()) == 0);
      out.results[e["index"].get<int64_t>()] = e;
      out.order.push_back(e["index"].get<int64_t>());
    } else {
      FAIL("unexpected event " << e.dump());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("scan of 50 prompts: one activation map each, batched equals one by one and the engine",
          "[server]") {
  LiveServer s;
  const auto prompts = scan_prompts(50);
  const json tuning = {{"suppress", {{2, 4}}}, {"stimulate", {{3, 9}}}};
  json body = {{"prompts", prompts}, {"batch_size", 8}, {"mote", {{"tuning", tuning}}}};
  const ScanOutput batched = run_scan(s, body);
  CHECK(batched.start["prompts"] == 50);
  CHECK(batched.start["moe_layers"] == json::array({1, 2, 3}));
  CHECK(batched.done["completed"] == 50);
  REQUIRE(batched.results.size() == 50);
  body["batch_size"] = 1;
  const ScanOutput single = run_scan(s, body);
  REQUIRE(single.results.size() == 50);

  auto bundle = tiny_bundle();
  Generator g(bundle->model);
  std::vector<std::vector<int64_t>> ids;
  for (const auto& p : prompts) ids.push_back(bundle->tokenizer->encode(p));
  const CompiledTuning compiled(TuningSpec::from_json(tuning), bundle->model->config());
  const auto direct = g.prefill_batch(ids, &compiled, 1);
  for (int64_t i = 0; i < 50; ++i) {
    const json& r = batched.results.at(i);
    const int64_t n = static_cast<int64_t>(ids[i].size());
    CHECK(r["prompt_tokens"] == n);
    CHECK(r["counts"] == single.results.at(i)["counts"]);
    const at::Tensor c = direct[i].routing.activation_counts(16, 0, n);
    for (int l = 0; l < 3; ++l)
      for (int e = 0; e < 16; ++e)
        CHECK(r["counts"][l][e] == static_cast<int64_t>(c[l][e].item<float>()));
    CHECK(r["counts"][1][4] == 0);  // suppressed: selected with weight 0, not counted
    CHECK(r["counts"][2][9] == n);  // stimulated: every token
  }
}

TEST_CASE("scan with chat prompts and a few generated tokens returns text", "[server]") {
  LiveServer s;
  json body = {{"prompts",
                {{{"messages", {{{"role", "user"}, {"content", "Hi there"}}}}}, "raw text prompt"}},
               {"max_tokens", 3},
               {"temperature", 0},
               {"weighted", true}};
  const ScanOutput out = run_scan(s, body);
  REQUIRE(out.results.size() == 2);
  for (const auto& [i, r] : out.results) {
    CHECK(r["text"].is_string());
    CHECK(r["completion_tokens"].get<int64_t>() >= 1);
    CHECK(r["weighted_counts"].size() == 3);
    int64_t total = 0;
    for (const auto& row : r["counts"])
      for (const auto& v : row) total += v.get<int64_t>();
    CHECK(total == r["prompt_tokens"].get<int64_t>() * 3 * 4);
  }
  // Limits and errors come before any streaming.
  CHECK(post(s.url("/mote/v1/scan"), {{"prompts", {"a", ""}}}).status == 400);
  CHECK(post(s.url("/mote/v1/scan"), {{"prompts", {"a"}}, {"batch_size", 0}}).status == 400);
  CHECK(post(s.url("/mote/v1/scan"),
             {{"prompts", {"a"}}, {"mote", {{"tuning", {{"suppress", {{0, 1}}}}}}}})
            .status == 400);
}
