#include "engine/model/config.h"

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote {
namespace {

using nlohmann::json;

const json& required(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    throw ConfigError(std::string("config.json: missing required key '") + key + "'");
  return *it;
}

// Every integer in a config is a size or a count. Bounding them keeps products such as
// num_attention_heads * qk_head_dim (tensor shapes) far from int64 overflow on hostile input.
constexpr int64_t kMaxConfigInt = int64_t{1} << 31;

int64_t checked_int(const json& v, const char* key) {
  if (!v.is_number_integer())
    throw ConfigError(std::string("config.json: '") + key + "' must be an integer");
  if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(kMaxConfigInt)
                             : v.get<int64_t>() > kMaxConfigInt)
    throw ConfigError(std::string("config.json: '") + key + "' is implausibly large");
  int64_t x = v.get<int64_t>();
  if (x < 0) throw ConfigError(std::string("config.json: '") + key + "' must not be negative");
  return x;
}

int64_t required_int(const json& j, const char* key) {
  return checked_int(required(j, key), key);
}

int64_t optional_int(const json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return checked_int(*it, key);
}

double optional_number(const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number())
    throw ConfigError(std::string("config.json: '") + key + "' must be a number");
  return it->get<double>();
}

bool optional_bool(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw ConfigError(std::string("config.json: '") + key + "' must be a boolean");
  return it->get<bool>();
}

std::string optional_string(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_string())
    throw ConfigError(std::string("config.json: '") + key + "' must be a string");
  return it->get<std::string>();
}

void require_positive(int64_t v, const char* key) {
  if (v <= 0) throw ConfigError(std::string("config.json: '") + key + "' must be positive");
}

}  // namespace

std::vector<int64_t> ModelConfig::moe_layers() const {
  std::vector<int64_t> layers;
  for (int64_t l = 0; l < num_hidden_layers; ++l)
    if (is_moe_layer(l)) layers.push_back(l);
  return layers;
}

int64_t ModelConfig::moe_layer_index(int64_t layer) const {
  if (layer < 0 || layer >= num_hidden_layers || !is_moe_layer(layer)) return -1;
  int64_t index = 0;
  for (int64_t l = 0; l < layer; ++l) index += is_moe_layer(l) ? 1 : 0;
  return index;
}

ModelGeometry ModelConfig::geometry() const {
  ModelGeometry geometry;
  for (int64_t layer : moe_layers()) geometry.moe_layers.push_back(static_cast<int>(layer));
  geometry.n_experts = static_cast<int>(n_routed_experts);
  geometry.top_k = static_cast<int>(num_experts_per_tok);
  return geometry;
}

double ModelConfig::softmax_scale() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(qk_head_dim()));
  if (yarn && yarn->factor > 1.0) {
    double m = 0.1 * yarn->mscale_all_dim * std::log(yarn->factor) + 1.0;
    scale *= m * m;
  }
  return scale;
}

ModelConfig ModelConfig::from_json(const json& j) {
  if (!j.is_object()) throw ConfigError("config.json: top level must be an object");
  ModelConfig c;
  c.model_type = required(j, "model_type").is_string()
                     ? j["model_type"].get<std::string>()
                     : throw ConfigError("config.json: 'model_type' must be a string");
  // Kimi-K2 ships its own model_type but DeepseekV3ForCausalLM's architecture.
  if (c.model_type == "deepseek_v3" || c.model_type == "kimi_k2") {
    c.family = ModelFamily::DeepSeekV3;
  } else if (c.model_type == "deepseek_v2") {
    c.family = ModelFamily::DeepSeekV2;
  } else {
    throw ConfigError("config.json: unsupported model_type '" + c.model_type +
                      "' (supported: deepseek_v3, deepseek_v2, kimi_k2)");
  }
  const bool v3 = c.family == ModelFamily::DeepSeekV3;

  c.vocab_size = required_int(j, "vocab_size");
  c.hidden_size = required_int(j, "hidden_size");
  c.intermediate_size = required_int(j, "intermediate_size");
  c.num_hidden_layers = required_int(j, "num_hidden_layers");
  c.num_attention_heads = required_int(j, "num_attention_heads");
  c.num_nextn_predict_layers = optional_int(j, "num_nextn_predict_layers", 0);
  c.rms_norm_eps = optional_number(j, "rms_norm_eps", 1e-6);
  if (!(c.rms_norm_eps > 0)) throw ConfigError("config.json: 'rms_norm_eps' must be positive");
  c.tie_word_embeddings = optional_bool(j, "tie_word_embeddings", false);
  require_positive(c.vocab_size, "vocab_size");
  require_positive(c.hidden_size, "hidden_size");
  require_positive(c.num_hidden_layers, "num_hidden_layers");
  require_positive(c.num_attention_heads, "num_attention_heads");

  c.n_routed_experts = optional_int(j, "n_routed_experts", 0);
  if (c.n_routed_experts > 0) {
    c.moe_intermediate_size = required_int(j, "moe_intermediate_size");
    c.num_experts_per_tok = required_int(j, "num_experts_per_tok");
    require_positive(c.moe_intermediate_size, "moe_intermediate_size");
    require_positive(c.num_experts_per_tok, "num_experts_per_tok");
    if (c.num_experts_per_tok > c.n_routed_experts)
      throw ConfigError("config.json: 'num_experts_per_tok' exceeds 'n_routed_experts'");
  }
  c.n_shared_experts = optional_int(j, "n_shared_experts", 0);
  c.first_k_dense_replace = optional_int(j, "first_k_dense_replace", 0);
  c.moe_layer_freq = optional_int(j, "moe_layer_freq", 1);
  require_positive(c.moe_layer_freq, "moe_layer_freq");
  c.n_group = optional_int(j, "n_group", 1);
  c.topk_group = optional_int(j, "topk_group", 1);
  if (c.n_group <= 0) c.n_group = 1;  // V2-Lite writes n_group: 1; some configs write null
  if (c.topk_group <= 0) c.topk_group = 1;
  if (c.n_routed_experts > 0 && c.n_routed_experts % c.n_group != 0)
    throw ConfigError("config.json: 'n_routed_experts' is not divisible by 'n_group'");
  if (c.topk_group > c.n_group) throw ConfigError("config.json: 'topk_group' exceeds 'n_group'");
  // Hidden-size-like dimensions must stay small enough that weight shapes (products of two or
  // three of them) fit comfortably in int64.
  for (auto [value, key] : {std::pair{c.vocab_size, "vocab_size"},
                            {c.hidden_size, "hidden_size"},
                            {c.intermediate_size, "intermediate_size"},
                            {c.moe_intermediate_size, "moe_intermediate_size"},
                            {c.num_hidden_layers, "num_hidden_layers"},
                            {c.num_attention_heads, "num_attention_heads"},
                            {c.n_routed_experts, "n_routed_experts"},
                            {c.n_shared_experts, "n_shared_experts"}})
    if (value > (int64_t{1} << 24))
      throw ConfigError(std::string("config.json: '") + key + "' is implausibly large");

  std::string topk_method = optional_string(j, "topk_method", v3 ? "noaux_tc" : "greedy");
  if (topk_method == "greedy")
    c.topk_method = TopkMethod::Greedy;
  else if (topk_method == "group_limited_greedy")
    c.topk_method = TopkMethod::GroupLimitedGreedy;
  else if (topk_method == "noaux_tc")
    c.topk_method = TopkMethod::NoauxTc;
  else
    throw ConfigError("config.json: unsupported 'topk_method' '" + topk_method + "'");

  std::string scoring = optional_string(j, "scoring_func", v3 ? "sigmoid" : "softmax");
  if (scoring == "softmax")
    c.scoring_func = ScoringFunc::Softmax;
  else if (scoring == "sigmoid")
    c.scoring_func = ScoringFunc::Sigmoid;
  else
    throw ConfigError("config.json: unsupported 'scoring_func' '" + scoring + "'");
  if (c.n_routed_experts > 0 && c.topk_method != TopkMethod::Greedy) {
    // Group-limited selection must leave at least k experts to choose from, and noaux_tc scores a
    // group by the sum of its top-2 experts.
    const int64_t per_group = c.n_routed_experts / c.n_group;
    if (per_group * c.topk_group < c.num_experts_per_tok)
      throw ConfigError("config.json: 'topk_group' groups of " + std::to_string(per_group) +
                        " experts cannot supply 'num_experts_per_tok' = " +
                        std::to_string(c.num_experts_per_tok));
    if (c.topk_method == TopkMethod::NoauxTc && per_group < 2 && c.n_group > 1)
      throw ConfigError("config.json: noaux_tc needs at least 2 experts per group ('n_group')");
  }
  c.norm_topk_prob = optional_bool(j, "norm_topk_prob", false);
  c.routed_scaling_factor = optional_number(j, "routed_scaling_factor", 1.0);

  if (auto it = j.find("q_lora_rank"); it != j.end() && !it->is_null()) {
    c.q_lora_rank = required_int(j, "q_lora_rank");
    require_positive(*c.q_lora_rank, "q_lora_rank");
  }
  c.kv_lora_rank = required_int(j, "kv_lora_rank");
  c.qk_nope_head_dim = required_int(j, "qk_nope_head_dim");
  c.qk_rope_head_dim = required_int(j, "qk_rope_head_dim");
  c.v_head_dim = required_int(j, "v_head_dim");
  require_positive(c.kv_lora_rank, "kv_lora_rank");
  require_positive(c.qk_rope_head_dim, "qk_rope_head_dim");
  require_positive(c.v_head_dim, "v_head_dim");
  if (c.qk_rope_head_dim % 2 != 0)
    throw ConfigError("config.json: 'qk_rope_head_dim' must be even");

  c.rope_theta = optional_number(j, "rope_theta", 10000.0);
  c.max_position_embeddings = optional_int(j, "max_position_embeddings", 4096);
  // Configs re-saved by transformers >= 5 carry "rope_parameters" (with rope_theta inside and
  // rope_type "default" for plain RoPE) instead of "rope_scaling".
  const char* rope_key = "rope_scaling";
  auto rope_it = j.find("rope_scaling");
  if ((rope_it == j.end() || rope_it->is_null()) && j.contains("rope_parameters")) {
    rope_key = "rope_parameters";
    rope_it = j.find("rope_parameters");
    if (rope_it->is_object()) c.rope_theta = optional_number(*rope_it, "rope_theta", c.rope_theta);
  }
  if (rope_it != j.end() && !rope_it->is_null()) {
    const json& rs = *rope_it;
    if (!rs.is_object())
      throw ConfigError(std::string("config.json: '") + rope_key + "' must be an object");
    std::string type = optional_string(rs, "type", optional_string(rs, "rope_type", ""));
    if (type != "yarn" && type != "default")
      throw ConfigError(std::string("config.json: unsupported ") + rope_key + " type '" + type +
                        "' (only yarn)");
  }
  if (rope_it != j.end() && !rope_it->is_null() &&
      optional_string(*rope_it, "type", optional_string(*rope_it, "rope_type", "")) == "yarn") {
    const json& rs = *rope_it;
    YarnRope y;
    y.factor = optional_number(rs, "factor", 1.0);
    if (!(y.factor > 0)) throw ConfigError("config.json: rope scaling 'factor' must be positive");
    y.original_max_position_embeddings =
        optional_int(rs, "original_max_position_embeddings", c.max_position_embeddings);
    y.beta_fast = optional_number(rs, "beta_fast", 32.0);
    y.beta_slow = optional_number(rs, "beta_slow", 1.0);
    y.mscale = optional_number(rs, "mscale", 1.0);
    y.mscale_all_dim = optional_number(rs, "mscale_all_dim", 0.0);
    c.yarn = y;
  }

  if (auto it = j.find("quantization_config"); it != j.end() && !it->is_null()) {
    const json& q = *it;
    std::string method = q.is_object() ? optional_string(q, "quant_method", "") : "";
    if (method != "fp8")
      throw ConfigError("config.json: unsupported quantization_config.quant_method '" + method +
                        "' (only fp8)");
    std::string fmt = optional_string(q, "fmt", "e4m3");
    if (fmt != "e4m3")
      throw ConfigError("config.json: unsupported quantization_config.fmt '" + fmt + "'");
    Fp8Quantization f;
    if (auto bs = q.find("weight_block_size"); bs != q.end()) {
      if (!bs->is_array() || bs->size() != 2 || !(*bs)[0].is_number_integer() ||
          !(*bs)[1].is_number_integer() || (*bs)[0].get<int64_t>() <= 0 ||
          (*bs)[1].get<int64_t>() <= 0)
        throw ConfigError("config.json: 'weight_block_size' must be two positive integers");
      f.block_rows = (*bs)[0].get<int64_t>();
      f.block_cols = (*bs)[1].get<int64_t>();
    }
    c.fp8 = f;
  }

  c.torch_dtype = optional_string(j, "torch_dtype", optional_string(j, "dtype", "bfloat16"));
  if (auto it = j.find("bos_token_id"); it != j.end() && it->is_number_integer())
    c.bos_token_id = it->get<int64_t>();
  if (auto it = j.find("eos_token_id"); it != j.end()) {
    if (it->is_number_integer())
      c.eos_token_ids.push_back(it->get<int64_t>());
    else if (it->is_array())
      for (const auto& e : *it)
        if (e.is_number_integer()) c.eos_token_ids.push_back(e.get<int64_t>());
  }
  return c;
}

nlohmann::ordered_json ModelConfig::to_json() const {
  nlohmann::ordered_json j;
  j["architectures"] = {family == ModelFamily::DeepSeekV2 ? "DeepseekV2ForCausalLM"
                                                          : "DeepseekV3ForCausalLM"};
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["moe_intermediate_size"] = moe_intermediate_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_nextn_predict_layers"] = num_nextn_predict_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["num_key_value_heads"] = num_attention_heads;
  j["n_routed_experts"] = n_routed_experts;
  j["n_shared_experts"] = n_shared_experts;
  j["num_experts_per_tok"] = num_experts_per_tok;
  j["first_k_dense_replace"] = first_k_dense_replace;
  j["moe_layer_freq"] = moe_layer_freq;
  j["n_group"] = n_group;
  j["topk_group"] = topk_group;
  j["topk_method"] = topk_method == TopkMethod::NoauxTc              ? "noaux_tc"
                     : topk_method == TopkMethod::GroupLimitedGreedy ? "group_limited_greedy"
                                                                     : "greedy";
  j["scoring_func"] = scoring_func == ScoringFunc::Sigmoid ? "sigmoid" : "softmax";
  j["norm_topk_prob"] = norm_topk_prob;
  j["routed_scaling_factor"] = routed_scaling_factor;
  j["q_lora_rank"] = q_lora_rank ? nlohmann::ordered_json(*q_lora_rank) : nullptr;
  j["kv_lora_rank"] = kv_lora_rank;
  j["qk_nope_head_dim"] = qk_nope_head_dim;
  j["qk_rope_head_dim"] = qk_rope_head_dim;
  j["v_head_dim"] = v_head_dim;
  j["hidden_act"] = "silu";
  j["max_position_embeddings"] = max_position_embeddings;
  j["rope_theta"] = rope_theta;
  if (yarn) {
    j["rope_scaling"] = {
        {"type", "yarn"},
        {"factor", yarn->factor},
        {"original_max_position_embeddings", yarn->original_max_position_embeddings},
        {"beta_fast", yarn->beta_fast},
        {"beta_slow", yarn->beta_slow},
        {"mscale", yarn->mscale},
        {"mscale_all_dim", yarn->mscale_all_dim}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  j["rms_norm_eps"] = rms_norm_eps;
  j["attention_bias"] = false;
  j["attention_dropout"] = 0.0;
  j["tie_word_embeddings"] = tie_word_embeddings;
  if (bos_token_id) j["bos_token_id"] = *bos_token_id;
  if (eos_token_ids.size() == 1)
    j["eos_token_id"] = eos_token_ids.front();
  else if (!eos_token_ids.empty())
    j["eos_token_id"] = eos_token_ids;
  if (fp8) {
    j["quantization_config"] = {{"quant_method", "fp8"},
                                {"fmt", "e4m3"},
                                {"weight_block_size", {fp8->block_rows, fp8->block_cols}}};
  }
  j["torch_dtype"] = torch_dtype;
  return j;
}

ModelConfig ModelConfig::from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot open " + path.string());
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw ConfigError(path.string() + ": invalid JSON: " + e.what());
  }
  try {
    return from_json(j);
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    if (msg.rfind("config.json:", 0) == 0) msg = path.string() + msg.substr(11);
    throw ConfigError(msg);
  }
}

}  // namespace mote
