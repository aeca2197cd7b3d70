// weight_layout against real and generated checkpoints: the R1-format test checkpoint holds
// exactly the layout's tensors (plus its MTP layer), and write_random_checkpoint produces exactly
// the layout for V2-Lite- and V3-shaped configs.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/checkpoint_tools.h"
#include "engine/checkpoint/safetensors.h"
#include "engine/error.h"
#include "engine/model/config.h"
#include "engine/model/weight_layout.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kTiny = fs::path(MOTE_TEST_DATA_DIR) / "v3-tiny";

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mote-wl-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// V2-Lite's shape scaled down: q_proj (no q LoRA), softmax + greedy routing, 2 shared experts.
json v2_lite_small() {
  return {{"model_type", "deepseek_v2"},
          {"vocab_size", 256},
          {"hidden_size", 64},
          {"intermediate_size", 128},
          {"moe_intermediate_size", 32},
          {"num_hidden_layers", 3},
          {"num_attention_heads", 4},
          {"first_k_dense_replace", 1},
          {"n_routed_experts", 8},
          {"num_experts_per_tok", 2},
          {"n_shared_experts", 2},
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
          {"max_position_embeddings", 4096},
          {"rope_scaling",
           {{"type", "yarn"},
            {"factor", 40},
            {"original_max_position_embeddings", 4096},
            {"beta_fast", 32},
            {"beta_slow", 1},
            {"mscale", 0.707},
            {"mscale_all_dim", 0.707}}},
          {"bos_token_id", 0},
          {"eos_token_id", 1},
          {"torch_dtype", "bfloat16"}};
}

// V3's shape scaled down: q LoRA, sigmoid + noaux_tc over groups, one shared expert.
json v3_small() {
  json j = v2_lite_small();
  j["model_type"] = "deepseek_v3";
  j["q_lora_rank"] = 48;
  j["n_routed_experts"] = 16;
  j["num_experts_per_tok"] = 4;
  j["n_shared_experts"] = 1;
  j["n_group"] = 4;
  j["topk_group"] = 2;
  j["topk_method"] = "noaux_tc";
  j["scoring_func"] = "sigmoid";
  j["norm_topk_prob"] = true;
  j["routed_scaling_factor"] = 2.5;
  j["num_nextn_predict_layers"] = 1;
  return j;
}

// Every layout tensor present with its shape, nothing else; dtypes as written.
void check_matches_layout(const mote::Checkpoint& ckpt, const mote::ModelConfig& config,
                          mote::DType dtype) {
  const auto layout = mote::weight_layout(config);
  std::set<std::string> names;
  for (const auto& w : layout) {
    INFO(w.name);
    names.insert(w.name);
    const auto expected_dtype = w.kind == mote::WeightKind::RouterBias ? mote::DType::F32 : dtype;
    CHECK_NOTHROW(ckpt.tensor(w.name, w.shape, {expected_dtype}));
  }
  CHECK(ckpt.names().size() == names.size());
  for (const auto& n : ckpt.names()) CHECK(names.count(n) == 1);
}

}  // namespace

TEST_CASE("weight_layout: v3-tiny holds exactly the layout plus its MTP layer", "[weight_layout]") {
  const auto config = mote::ModelConfig::from_file(kTiny / "config.json");
  const auto ckpt = mote::Checkpoint::open(kTiny);
  const auto layout = mote::weight_layout(config);

  std::set<std::string> in_layout;
  for (const auto& w : layout) {
    INFO(w.name);
    in_layout.insert(w.name);
    REQUIRE(ckpt->contains(w.name));
    CHECK(ckpt->entry(w.name).shape == w.shape);
    CHECK(ckpt->entry(w.name).dtype ==
          (w.kind == mote::WeightKind::RouterBias ? mote::DType::F32 : mote::DType::BF16));
  }
  CHECK(in_layout.size() == layout.size());  // no duplicate names in the layout

  // The rest is model.layers.4.*, R1's MTP layer (num_hidden_layers = 4).
  const std::string mtp = "model.layers." + std::to_string(config.num_hidden_layers) + ".";
  int extra = 0;
  for (const auto& name : ckpt->names()) {
    if (in_layout.count(name)) continue;
    INFO(name);
    CHECK(name.rfind(mtp, 0) == 0);
    ++extra;
  }
  CHECK(extra > 0);

  // Spot checks of the shapes the layout derives (hidden 160, 4 heads, q_lora 136, kv_lora 64,
  // qk 32+16, v 32, 16 experts of width 64).
  CHECK(ckpt->entry("model.layers.0.self_attn.q_b_proj.weight").shape ==
        std::vector<int64_t>{4 * 48, 136});
  CHECK(ckpt->entry("model.layers.0.self_attn.kv_a_proj_with_mqa.weight").shape ==
        std::vector<int64_t>{64 + 16, 160});
  CHECK(ckpt->entry("model.layers.0.self_attn.kv_b_proj.weight").shape ==
        std::vector<int64_t>{4 * (32 + 32), 64});
  CHECK(ckpt->entry("model.layers.1.mlp.experts.15.down_proj.weight").shape ==
        std::vector<int64_t>{160, 64});
  CHECK(!ckpt->contains("model.layers.0.mlp.gate.weight"));
  CHECK(ckpt->contains("model.layers.1.mlp.shared_experts.up_proj.weight"));
}

TEST_CASE("weight_layout: random checkpoints match the layout", "[weight_layout]") {
  TempDir tmp;
  SECTION("V2-Lite-shaped") {
    const json cfg = v2_lite_small();
    mote::write_random_checkpoint(tmp.path, cfg, 42, at::kBFloat16);
    const auto config = mote::ModelConfig::from_file(tmp.path / "config.json");
    CHECK(!config.q_lora_rank);
    const auto ckpt = mote::Checkpoint::open(tmp.path);
    check_matches_layout(*ckpt, config, mote::DType::BF16);
    CHECK(ckpt->contains("model.layers.0.self_attn.q_proj.weight"));
    CHECK(!ckpt->contains("model.layers.1.mlp.gate.e_score_correction_bias"));  // greedy: no bias
    CHECK(ckpt->entry("model.layers.2.mlp.shared_experts.gate_proj.weight").shape ==
          std::vector<int64_t>{2 * 32, 64});
  }
  SECTION("V3-shaped, float32") {
    mote::write_random_checkpoint(tmp.path, v3_small(), 7, at::kFloat);
    const auto config = mote::ModelConfig::from_file(tmp.path / "config.json");
    const auto ckpt = mote::Checkpoint::open(tmp.path);
    check_matches_layout(*ckpt, config, mote::DType::F32);
    CHECK(ckpt->contains("model.layers.1.self_attn.q_a_layernorm.weight"));

    // Initialization scales: norms ~1, projections ~1/sqrt(in), router ~0.5/sqrt(H), small bias.
    const auto std_of = [&](const char* name) { return ckpt->tensor(name).std().item<double>(); };
    CHECK(ckpt->tensor("model.norm.weight").mean().item<double>() == Approx(1.0).margin(0.05));
    CHECK(std_of("model.layers.0.mlp.down_proj.weight") ==
          Approx(1 / std::sqrt(128.0)).epsilon(0.1));
    CHECK(std_of("model.layers.0.self_attn.q_a_proj.weight") ==
          Approx(1 / std::sqrt(64.0)).epsilon(0.1));
    CHECK(std_of("model.embed_tokens.weight") == Approx(1.0).epsilon(0.05));
    CHECK(std_of("lm_head.weight") == Approx(1 / std::sqrt(64.0)).epsilon(0.05));
    CHECK(std_of("model.layers.1.mlp.gate.weight") == Approx(0.5 / std::sqrt(64.0)).epsilon(0.15));
    CHECK(std_of("model.layers.1.mlp.gate.e_score_correction_bias") < 0.2);
    // Distinct tensors get distinct draws.
    CHECK(!at::equal(ckpt->tensor("model.layers.1.mlp.experts.0.up_proj.weight"),
                     ckpt->tensor("model.layers.1.mlp.experts.1.up_proj.weight")));
  }
  SECTION("deterministic for a seed") {
    mote::write_random_checkpoint(tmp.path / "a", v3_small(), 3, at::kBFloat16);
    mote::write_random_checkpoint(tmp.path / "b", v3_small(), 3, at::kBFloat16);
    mote::write_random_checkpoint(tmp.path / "c", v3_small(), 4, at::kBFloat16);
    const auto a = read_bytes(tmp.path / "a" / "model.safetensors");
    CHECK(a == read_bytes(tmp.path / "b" / "model.safetensors"));
    CHECK(a != read_bytes(tmp.path / "c" / "model.safetensors"));
  }
  SECTION("bad config") {
    json cfg = v3_small();
    cfg.erase("hidden_size");
    CHECK_THROWS_AS(mote::write_random_checkpoint(tmp.path, cfg, 1, at::kBFloat16),
                    mote::ConfigError);
    CHECK_THROWS_AS(mote::write_random_checkpoint(tmp.path, v3_small(), 1, at::kInt), mote::Error);
  }
}
