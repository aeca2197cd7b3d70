// The same model code on other checkpoint shapes and precisions: R1's FP8 format, a
// DeepSeek-V2-Lite-shaped model (softmax router, no q compression, 2 shared experts), bf16
// compute, and KV-cache consistency.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/checkpoint_tools.h"
#include "engine/checkpoint/npy.h"
#include "engine/error.h"
#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "test_support.h"

using namespace mote;

namespace {

struct Run {
  at::Tensor logits;  // [T, V]
  RoutingTrace routing;
};

Run prefill(Transformer& model, const at::Tensor& tokens) {
  KVCache cache = model.new_cache();
  RoutingCapture capture;
  ForwardOptions o;
  o.capture = &capture;
  o.all_logits = true;
  Run r;
  r.logits = model.forward(tokens.view({1, -1}), cache, o).select(0, 0);
  r.routing = capture.take(1, tokens.size(0), tokens.size(0))[0];
  return r;
}

// Lossy comparisons (FP8 quantization, bf16 activations) on a random model: routing flips make the
// worst position jump, so compare the whole logit field by correlation and mean error.
void check_close(const at::Tensor& a, const at::Tensor& b, double min_corr, double max_mean_err) {
  at::Tensor x = a.flatten().to(at::kDouble), y = b.flatten().to(at::kDouble);
  x = x - x.mean();
  y = y - y.mean();
  const double corr = (x * y).sum().item<double>() /
                      std::sqrt((x * x).sum().item<double>() * (y * y).sum().item<double>());
  const double mean_err = (a - b).abs().mean().item<double>() / b.std().item<double>();
  INFO("correlation " << corr << ", mean |error| / std " << mean_err);
  CHECK(corr > min_corr);
  CHECK(mean_err < max_mean_err);
}

at::Tensor seq2() {
  return read_npy(test::v3_tiny_dir() / "inputs/seq2_tokens.npy");
}

nlohmann::json v2_lite_tiny_config() {
  return {{"model_type", "deepseek_v2"},
          {"vocab_size", 300},
          {"hidden_size", 64},
          {"intermediate_size", 128},
          {"moe_intermediate_size", 32},
          {"num_hidden_layers", 3},
          {"num_attention_heads", 4},
          {"n_routed_experts", 8},
          {"n_shared_experts", 2},
          {"num_experts_per_tok", 2},
          {"first_k_dense_replace", 1},
          {"moe_layer_freq", 1},
          {"n_group", 1},
          {"topk_group", 1},
          {"topk_method", "greedy"},
          {"scoring_func", "softmax"},
          {"norm_topk_prob", false},
          {"routed_scaling_factor", 1.0},
          {"q_lora_rank", nullptr},
          {"kv_lora_rank", 32},
          {"qk_nope_head_dim", 16},
          {"qk_rope_head_dim", 8},
          {"v_head_dim", 16},
          {"rms_norm_eps", 1e-6},
          {"rope_theta", 10000},
          {"max_position_embeddings", 2048},
          {"rope_scaling",
           {{"type", "yarn"},
            {"factor", 40},
            {"original_max_position_embeddings", 256},
            {"beta_fast", 32},
            {"beta_slow", 1},
            {"mscale", 0.707},
            {"mscale_all_dim", 0.707}}},
          {"bos_token_id", 0},
          {"eos_token_id", 1},
          {"tie_word_embeddings", false}};
}

// Greedy generation, then one prefill over prompt + generated tokens: the cached decode must give
// the same logits and routing as processing everything at once.
void check_cache_consistency(const std::shared_ptr<Transformer>& model, std::vector<int64_t> prompt,
                             double tolerance) {
  Generator gen(model);
  GenerationRequest req;
  req.prompt = prompt;
  req.max_tokens = 6;
  req.capture = CaptureMode::IdsAndWeights;
  GenerationResult r = gen.generate(req, {}, true);
  std::vector<int64_t> all = prompt;
  all.insert(all.end(), r.tokens.begin(), r.tokens.end() - 1);
  Run full = prefill(*model, at::tensor(all, at::kLong));
  const int64_t P = static_cast<int64_t>(prompt.size());
  at::Tensor expected = full.logits.narrow(0, P - 1, static_cast<int64_t>(r.tokens.size()));
  CHECK((r.step_logits - expected).abs().max().item<double>() < tolerance);
  CHECK(at::equal(std::get<0>(r.routing.ids.sort(-1)), std::get<0>(full.routing.ids.sort(-1))));
}

}  // namespace

TEST_CASE("an R1-format FP8 checkpoint matches the run on its dequantized weights",
          "[fp8][model]") {
  test::TempDir tmp("mote-fp8");
  quantize_checkpoint_fp8(test::v3_tiny_dir(), tmp / "fp8", tmp / "dequantized");
  auto fp8 = Transformer::load(tmp / "fp8");
  auto deq = Transformer::load(tmp / "dequantized");
  // FP8 weights stay 1 byte each in memory: the dequantized F32 model reads ~4x the bytes.
  CHECK(fp8->active_weight_bytes() * 2 < deq->active_weight_bytes());

  Run a = prefill(*fp8, seq2()), b = prefill(*deq, seq2());
  CHECK((a.logits - b.logits).abs().max().item<double>() < 1e-4);
  CHECK(at::equal(std::get<0>(a.routing.ids.sort(-1)), std::get<0>(b.routing.ids.sort(-1))));
  CHECK((std::get<0>(a.routing.weights.sort(-1)) - std::get<0>(b.routing.weights.sort(-1)))
            .abs()
            .max()
            .item<double>() < 1e-5);

  Generator ga(fp8), gb(deq);
  GenerationRequest req;
  req.prompt = {5, 17, 300, 42, 7, 99, 256};
  req.max_tokens = 12;
  CHECK(ga.generate(req).tokens == gb.generate(req).tokens);

  // Quantization is lossy but close: the FP8 model still resembles the BF16 original.
  auto original = Transformer::load(test::v3_tiny_dir());
  Run o = prefill(*original, seq2());
  check_close(a.logits, o.logits, 0.9, 0.35);  // measured: 0.95, 0.22

  SECTION("bf16 compute on FP8 weights runs and stays close") {
    EngineOptions bf16;
    bf16.compute_dtype = at::kBFloat16;
    auto fp8_bf16 = Transformer::load(tmp / "fp8", bf16);
    Run c = prefill(*fp8_bf16, seq2());
    check_close(c.logits, a.logits, 0.95, 0.3);
  }
  SECTION("a scale that does not fit its weight is reported") {
    std::filesystem::copy(tmp / "fp8", tmp / "broken", std::filesystem::copy_options::recursive);
    auto cfg = nlohmann::json::parse(std::ifstream(tmp / "fp8" / "config.json"));
    cfg["quantization_config"]["weight_block_size"] = {64, 64};
    std::ofstream(tmp / "broken" / "config.json") << cfg.dump();
    CHECK_THROWS_WITH(Transformer::load(tmp / "broken"),
                      Catch::Contains("_scale_inv") && Catch::Contains("shape"));
  }
}

TEST_CASE("a DeepSeek-V2-Lite-shaped checkpoint runs through the same code", "[model][v2]") {
  test::TempDir tmp("mote-v2lite");
  write_random_checkpoint(tmp.path(), v2_lite_tiny_config(), 3, at::kFloat);
  auto model = Transformer::load(tmp.path());
  const ModelConfig& c = model->config();
  REQUIRE(c.family == ModelFamily::DeepSeekV2);
  REQUIRE_FALSE(c.q_lora_rank.has_value());
  at::Tensor tokens = at::arange(3, 40, at::kLong);
  Run r = prefill(*model, tokens);
  CHECK(r.logits.sizes() == at::IntArrayRef({37, 300}));
  CHECK(at::isfinite(r.logits).all().item<bool>());
  CHECK(r.routing.ids.sizes() == at::IntArrayRef({2, 37, 2}));
  // Softmax router without norm_topk_prob: weights are probabilities of 8 experts, not
  // renormalized.
  at::Tensor sums = r.routing.weights.sum(-1);
  CHECK((sums > 0).all().item<bool>());
  CHECK((sums < 1).all().item<bool>());
  CHECK((r.routing.weights.select(-1, 0) >= r.routing.weights.select(-1, 1)).all().item<bool>());
  check_cache_consistency(model, {3, 9, 27, 81, 243, 100, 5}, 1e-4);

  SECTION("tuning applies to the softmax router too") {
    TuningSpec spec{{{1, static_cast<int>(r.routing.ids[0][0][0].item<int64_t>())}}, {{2, 7}}};
    CompiledTuning tuning(spec, c);
    KVCache cache = model->new_cache();
    RoutingCapture cap;
    ForwardOptions o;
    o.capture = &cap;
    o.tuning = &tuning;
    model->forward(tokens.view({1, -1}), cache, o);
    RoutingTrace t = cap.take(1, 37, 37)[0];
    // MoE index 0 is layer 1 (suppressed expert), MoE index 1 is layer 2 (stimulated expert 7).
    const int64_t suppressed = spec.suppress[0].expert;
    CHECK(
        (t.ids.select(0, 0).eq(suppressed) & t.weights.select(0, 0).ne(0)).sum().item<int64_t>() ==
        0);
    CHECK(t.ids.select(0, 0).eq(suppressed).any().item<bool>());  // the slot stays, with weight 0
    CHECK(t.ids.select(0, 1).eq(7).any(-1).all().item<bool>());   // stimulated in every token
    CHECK((t.weights.sum(-1) - t.weights_before.sum(-1)).abs().max().item<double>() < 1e-5);
  }
}

TEST_CASE("the KV cache reproduces a full prefill on v3-tiny", "[model]") {
  check_cache_consistency(Transformer::load(test::v3_tiny_dir()), {10, 20, 30, 40, 50}, 1e-4);
}

TEST_CASE("bf16 compute tracks fp32 on v3-tiny", "[model]") {
  EngineOptions bf16;
  bf16.compute_dtype = at::kBFloat16;
  Run a = prefill(*Transformer::load(test::v3_tiny_dir(), bf16), seq2());
  Run b = prefill(*Transformer::load(test::v3_tiny_dir()), seq2());
  check_close(a.logits, b.logits, 0.95, 0.3);
}

TEST_CASE("bad checkpoints are reported by name, nothing crashes", "[model]") {
  test::TempDir tmp("mote-badckpt");
  CHECK_THROWS_WITH(Transformer::load(tmp / "missing"), Catch::Contains("not a model directory"));
  std::filesystem::copy(test::v3_tiny_dir() / "config.json", tmp / "config.json");
  CHECK_THROWS_WITH(Transformer::load(tmp.path()), Catch::Contains("no model.safetensors"));
  // A checkpoint whose config asks for more experts than it stores.
  auto cfg = nlohmann::json::parse(std::ifstream(test::v3_tiny_dir() / "config.json"));
  cfg["n_routed_experts"] = 32;
  std::ofstream(tmp / "config.json") << cfg.dump();
  std::filesystem::create_symlink(test::v3_tiny_dir() / "model.safetensors",
                                  tmp / "model.safetensors");
  CHECK_THROWS_WITH(Transformer::load(tmp.path()),
                    Catch::Contains("model.safetensors") &&
                        (Catch::Contains("shape") || Catch::Contains("missing tensor")));
}

TEST_CASE("batched right-padded prefill equals one prefill per prompt", "[model][batch]") {
  auto model = Transformer::load(test::v3_tiny_dir());
  Generator gen(model);
  std::vector<std::vector<int64_t>> prompts = {
      {5, 6, 7}, {10, 20, 30, 40, 50, 60, 70, 80}, {99}, {4, 3, 2, 1, 0, 11}};
  TuningSpec tuning{{{2, 3}}, {{3, 9}}};
  std::vector<size_t> seen;
  CompiledTuning compiled(tuning, model->config());
  auto batched = gen.prefill_batch(prompts, &compiled, 3, [&](size_t i, const PrefillResult&) {
    seen.push_back(i);
    return true;
  });
  CHECK(seen.size() == prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    KVCache cache = model->new_cache();
    RoutingCapture cap;
    ForwardOptions o;
    o.capture = &cap;
    o.tuning = &compiled;
    const int64_t T = static_cast<int64_t>(prompts[i].size());
    at::Tensor logits =
        model->forward(at::tensor(prompts[i], at::kLong).view({1, -1}), cache, o)[0];
    RoutingTrace single = cap.take(1, T, T)[0];
    CHECK((batched[i].last_logits - logits).abs().max().item<double>() < 1e-4);
    CHECK(batched[i].routing.tokens() == T);
    CHECK(batched[i].routing.n_prompt == T);
    CHECK(
        at::equal(std::get<0>(batched[i].routing.ids.sort(-1)), std::get<0>(single.ids.sort(-1))));
    CHECK(at::allclose(batched[i].routing.activation_counts(16, 0, T),
                       single.activation_counts(16, 0, T)));
  }
}
