// Expert tuning: the MoTE arithmetic on hand-made router outputs, against an independent scalar
// implementation on a real model run, and the validation errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/npy.h"
#include "engine/error.h"
#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "test_support.h"

#include <numeric>
#include <set>

using namespace mote;

namespace {

ModelConfig tiny_config() {
  return ModelConfig::from_file(test::v3_tiny_dir() / "config.json");
}

at::Tensor ids_of(std::vector<int64_t> v) {
  return at::tensor(v, at::kLong).view({1, -1});
}
at::Tensor w_of(std::vector<float> v) {
  return at::tensor(v, at::kFloat).view({1, -1});
}

// The README's arithmetic for one token, written independently with scalars.
void reference_tuning(std::vector<int64_t>& ids, std::vector<float>& w,
                      const std::vector<int64_t>& suppress, const std::vector<int64_t>& stimulate) {
  const float S = std::accumulate(w.begin(), w.end(), 0.0f);
  const float M = *std::max_element(w.begin(), w.end());
  std::vector<bool> taken(ids.size(), false);
  for (int64_t e : stimulate) {
    size_t slot = ids.size();
    for (size_t j = 0; j < ids.size(); ++j)
      if (ids[j] == e) slot = j;
    if (slot == ids.size()) {
      float best = std::numeric_limits<float>::infinity();
      for (size_t j = 0; j < ids.size(); ++j)
        if (!taken[j] && w[j] < best) best = w[j], slot = j;
    }
    ids[slot] = e;
    w[slot] = M;
    taken[slot] = true;
  }
  for (size_t j = 0; j < ids.size(); ++j)
    if (std::find(suppress.begin(), suppress.end(), ids[j]) != suppress.end()) w[j] = 0;
  const float R = std::accumulate(w.begin(), w.end(), 0.0f);
  for (auto& x : w) x = R > 0 ? x * S / R : 0.0f;
}

}  // namespace

TEST_CASE("suppress zeroes the slot and renormalizes to the original sum", "[tuning]") {
  CompiledTuning t(TuningSpec{{{1, 5}}, {}}, tiny_config());
  auto [ids, w] = t.apply(0, ids_of({5, 2, 9, 11}), w_of({1.0f, 0.5f, 0.6f, 0.4f}));
  CHECK(at::equal(ids, ids_of({5, 2, 9, 11})));  // the slot keeps its id, with weight 0
  CHECK(at::allclose(w, w_of({0.0f, 0.5f * 2.5f / 1.5f, 0.6f * 2.5f / 1.5f, 0.4f * 2.5f / 1.5f})));
  // Other MoE layers are untouched.
  auto [ids2, w2] = t.apply(1, ids_of({5, 2, 9, 11}), w_of({1.0f, 0.5f, 0.6f, 0.4f}));
  CHECK(at::equal(w2, w_of({1.0f, 0.5f, 0.6f, 0.4f})));
}

TEST_CASE("suppressing every selected expert of a token leaves all weights zero", "[tuning]") {
  CompiledTuning t(TuningSpec{{{2, 1}, {2, 2}, {2, 3}, {2, 4}}, {}}, tiny_config());
  auto [ids, w] =
      t.apply(1, at::tensor({1, 2, 3, 4, 1, 2, 3, 7}, at::kLong).view({2, 4}),
              at::tensor({0.7f, 0.6f, 0.5f, 0.7f, 0.7f, 0.6f, 0.5f, 0.7f}).view({2, 4}));
  CHECK(at::equal(w[0], at::zeros({4})));
  CHECK(w[1][3].item<float>() == Approx(2.5f));  // only expert 7 survives and takes all of S
  CHECK_FALSE(at::isnan(w).any().item<bool>());
}

TEST_CASE("stimulating an already selected expert raises it to the maximum weight", "[tuning]") {
  CompiledTuning t(TuningSpec{{}, {{3, 9}}}, tiny_config());
  auto [ids, w] = t.apply(2, ids_of({5, 2, 9, 11}), w_of({1.0f, 0.5f, 0.6f, 0.4f}));
  CHECK(at::equal(ids, ids_of({5, 2, 9, 11})));
  const float S = 2.5f, sum = 1.0f + 0.5f + 1.0f + 0.4f;
  CHECK(at::allclose(w, w_of({1.0f * S / sum, 0.5f * S / sum, 1.0f * S / sum, 0.4f * S / sum})));
}

TEST_CASE("stimulating an unselected expert replaces the first smallest slot", "[tuning]") {
  CompiledTuning t(TuningSpec{{}, {{1, 15}}}, tiny_config());
  auto [ids, w] = t.apply(0, ids_of({5, 2, 9, 11}), w_of({1.0f, 0.4f, 0.7f, 0.4f}));
  CHECK(at::equal(ids, ids_of({5, 15, 9, 11})));
  const float S = 2.5f, sum = 1.0f + 1.0f + 0.7f + 0.4f;
  CHECK(at::allclose(w, w_of({1.0f * S / sum, 1.0f * S / sum, 0.7f * S / sum, 0.4f * S / sum})));
  SECTION("two stimulated experts take two different slots") {
    CompiledTuning t2(TuningSpec{{}, {{1, 15}, {1, 14}}}, tiny_config());
    auto [ids2, w2] = t2.apply(0, ids_of({5, 2, 9, 11}), w_of({1.0f, 0.4f, 0.7f, 0.4f}));
    CHECK(at::equal(ids2, ids_of({5, 15, 9, 14})));
  }
}

TEST_CASE("tuning on a real model run equals the scalar arithmetic, dropped groups included",
          "[tuning]") {
  auto model = Transformer::load(test::v3_tiny_dir());
  const ModelConfig& c = model->config();
  at::Tensor tokens = read_npy(test::v3_tiny_dir() / "inputs/seq2_tokens.npy");
  const int64_t T = tokens.size(0);

  // Untuned run: in MoE layer 1, pick for token 0 an expert from a group the router dropped (its
  // selection spans n_group - topk_group fewer groups), and the busiest expert to suppress.
  KVCache cache0 = model->new_cache();
  RoutingCapture cap0;
  ForwardOptions o0;
  o0.capture = &cap0;
  model->forward(tokens.view({1, T}), cache0, o0);
  RoutingTrace base = cap0.take(1, T, T)[0];
  const int64_t group_size = c.n_routed_experts / c.n_group;
  std::set<int64_t> kept_groups;
  for (int64_t j = 0; j < c.num_experts_per_tok; ++j)
    kept_groups.insert(base.ids[0][0][j].item<int64_t>() / group_size);
  REQUIRE(static_cast<int64_t>(kept_groups.size()) == c.topk_group);
  int64_t unused = 0;
  while (kept_groups.count(unused / group_size)) ++unused;
  const int64_t busiest =
      base.activation_counts(c.n_routed_experts, 0, T)[0].argmax().item<int64_t>();
  REQUIRE(busiest != unused);

  TuningSpec spec{{{1, static_cast<int>(busiest)}, {3, 0}},
                  {{1, static_cast<int>(unused)}, {2, 7}}};
  CompiledTuning tuning(spec, c);
  KVCache cache = model->new_cache();
  RoutingCapture cap;
  ForwardOptions o;
  o.capture = &cap;
  o.tuning = &tuning;
  at::Tensor tuned_logits = model->forward(tokens.view({1, T}), cache, o);
  RoutingTrace r = cap.take(1, T, T)[0];

  const auto moe_layers = c.moe_layers();
  for (int64_t m = 0; m < r.ids.size(0); ++m) {
    std::vector<int64_t> sup, stim;
    for (auto& a : spec.suppress)
      if (a.layer == moe_layers[m]) sup.push_back(a.expert);
    for (auto& a : spec.stimulate)
      if (a.layer == moe_layers[m]) stim.push_back(a.expert);
    for (int64_t t = 0; t < T; ++t) {
      at::Tensor bi = r.ids_before[m][t].contiguous(), bw = r.weights_before[m][t].contiguous();
      std::vector<int64_t> ids(bi.data_ptr<int64_t>(), bi.data_ptr<int64_t>() + bi.numel());
      std::vector<float> w(bw.data_ptr<float>(), bw.data_ptr<float>() + bw.numel());
      reference_tuning(ids, w, sup, stim);
      CHECK(at::equal(r.ids[m][t], at::tensor(ids, at::kLong)));
      CHECK(at::allclose(r.weights[m][t], at::tensor(w, at::kFloat), 1e-6, 1e-6));
      for (int64_t e : stim) CHECK((r.ids[m][t] == e).any().item<bool>());
      for (int64_t e : sup)
        CHECK(r.weights[m][t].masked_select(r.ids[m][t] == e).abs().sum().item<float>() == 0);
    }
  }
  // The tuned run's logits differ from the untuned run (the tuning has an effect).
  KVCache cache1 = model->new_cache();
  at::Tensor plain = model->forward(tokens.view({1, T}), cache1, {});
  CHECK((tuned_logits - plain).abs().max().item<float>() > 1e-3);
}

TEST_CASE("invalid tunings are errors, not silent fixes", "[tuning]") {
  const ModelConfig c = tiny_config();
  auto compile = [&](const char* text) {
    return CompiledTuning(TuningSpec::from_json(nlohmann::json::parse(text)), c);
  };
  CHECK_THROWS_WITH(compile(R"({"suppress": [[0, 1]]})"),
                    Catch::Contains("layer 0") && Catch::Contains("not a MoE layer"));
  CHECK_THROWS_WITH(compile(R"({"suppress": [[4, 1]]})"),
                    Catch::Contains("not a MoE layer"));  // MTP layer
  CHECK_THROWS_WITH(compile(R"({"suppress": [[-1, 1]]})"), Catch::Contains("not a MoE layer"));
  CHECK_THROWS_WITH(compile(R"({"stimulate": [[1, 16]]})"),
                    Catch::Contains("expert out of range 0..15"));
  CHECK_THROWS_WITH(compile(R"({"stimulate": [[1, -3]]})"), Catch::Contains("expert out of range"));
  CHECK_THROWS_WITH(compile(R"({"suppress": [[2, 3]], "stimulate": [[2, 3]]})"),
                    Catch::Contains("both suppressed and stimulated"));
  CHECK_THROWS_WITH(compile(R"({"stimulate": [[1,0],[1,1],[1,2],[1,3],[1,4]]})"),
                    Catch::Contains("layer 1 stimulates more than 4 experts"));
  CHECK_THROWS_AS(compile(R"({"suppress": [[1]]})"), TuningError);
  CHECK_THROWS_AS(compile(R"({"suppress": [[1, 2.5]]})"), TuningError);
  CHECK_THROWS_AS(compile(R"({"suppress": [[1, 18446744073709551615]]})"), TuningError);
  CHECK_THROWS_AS(compile(R"({"suppress": {"1": 2}})"), TuningError);
  CHECK_THROWS_WITH(compile(R"({"supress": []})"), Catch::Contains("unknown key \"supress\""));
  CHECK_THROWS_AS(compile(R"([1, 2])"), TuningError);
  // One rule set for the whole project (protocol/tuning_spec.h): a duplicate is an error here
  // exactly as in the server, the CLI and the workbench.
  CHECK_THROWS_WITH(compile(R"({"suppress": [[1, 0], [1, 0]], "stimulate": []})"),
                    Catch::Equals("tuning: suppress [1, 0] is listed twice"));
  CHECK_THROWS_WITH(compile(R"({"stimulate": [[2, 5], [2, 5]]})"),
                    Catch::Equals("tuning: stimulate [2, 5] is listed twice"));
  CHECK(
      TuningSpec::from_json(nlohmann::json::parse(R"({"suppress": [[3, 15]]})")).to_json().dump() ==
      R"({"stimulate":[],"suppress":[[3,15]]})");
}
