#pragma once
// ModelConfig: the Hugging Face config.json of a DeepSeek-V2/V3-family checkpoint, flattened into
// the few numbers the model code needs (after DeepSeek-V3's inference/model.py ModelArgs).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/model_geometry.h"

namespace mote {

enum class ModelFamily { DeepSeekV2, DeepSeekV3 };
enum class ScoringFunc { Softmax, Sigmoid };
// greedy: plain top-k (V2-Lite); group_limited_greedy: V2's groups scored by their max;
// noaux_tc: V3's groups scored by the sum of their top-2 biased scores.
enum class TopkMethod { Greedy, GroupLimitedGreedy, NoauxTc };

struct YarnRope {
  double factor = 1.0;
  int64_t original_max_position_embeddings = 4096;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 1.0;
  double mscale_all_dim = 0.0;
};

struct Fp8Quantization {
  int64_t block_rows = 128;
  int64_t block_cols = 128;
};

struct ModelConfig {
  std::string model_type;  // as written in config.json
  ModelFamily family = ModelFamily::DeepSeekV3;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;      // dense MLP width (layers < first_k_dense_replace)
  int64_t moe_intermediate_size = 0;  // one routed expert's width
  int64_t num_hidden_layers = 0;      // MTP layers (num_nextn_predict_layers) come after these
  int64_t num_attention_heads = 0;
  int64_t num_nextn_predict_layers = 0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;

  // MoE
  int64_t n_routed_experts = 0;
  int64_t n_shared_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  TopkMethod topk_method = TopkMethod::Greedy;
  ScoringFunc scoring_func = ScoringFunc::Softmax;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;

  // MLA
  std::optional<int64_t> q_lora_rank;  // null: q_proj straight from hidden (V2-Lite)
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;

  // RoPE
  double rope_theta = 10000.0;
  int64_t max_position_embeddings = 4096;
  std::optional<YarnRope> yarn;  // absent: plain RoPE

  std::optional<Fp8Quantization> fp8;  // quantization_config of an FP8 release
  std::string torch_dtype;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  bool is_moe_layer(int64_t layer) const {
    return n_routed_experts > 0 && layer >= first_k_dense_replace && layer % moe_layer_freq == 0;
  }
  std::vector<int64_t> moe_layers() const;       // model layer indices of the MoE layers, ascending
  int64_t moe_layer_index(int64_t layer) const;  // position in moe_layers(), -1 if dense
  // What sessions, the GUI and the tuning rules see of this model: MoE layers, experts, top-k.
  ModelGeometry geometry() const;
  // Softmax scale of MLA: qk_head_dim^-0.5, times mscale^2 under YaRN with factor > 1.
  double softmax_scale() const;

  static ModelConfig from_json(const nlohmann::json& json);
  // The inverse of from_json for every field held here, as a Hugging Face config.json with the
  // keys in the order of DeepSeek's releases. It also writes the keys whose values the engine's
  // model code fixes, so that the result is a complete DeepSeek config: architectures (from the
  // family), num_key_value_heads (= num_attention_heads: MLA has one key/value head per query
  // head), hidden_act "silu" (SwiGLU), attention_bias false and attention_dropout 0.
  // rope_scaling is null without YaRN; bos_token_id, eos_token_id (a number for one id, a list
  // for several) and quantization_config appear only when set.
  nlohmann::ordered_json to_json() const;
  static ModelConfig from_file(const std::filesystem::path& config_json);
};

}  // namespace mote
