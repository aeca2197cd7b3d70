#pragma once
// GET /mote/v1/model on the wire: what a client learns about the model an engine serves. The
// engine fills and writes it; the client reads it (WireError naming the field when it cannot).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/model_geometry.h"

namespace mote {

struct ModelInfo {
  std::string id;
  std::string model_type;  // config.json's model_type ("deepseek_v3", ...)
  int n_layers = 0;        // all transformer layers, dense and MoE
  ModelGeometry geometry;  // MoE layers, routed experts per layer, top-k
  int n_shared_experts = 0;
  std::int64_t vocab_size = 0, hidden_size = 0, max_position_embeddings = 0;
  std::string checkpoint_dtype;  // "bfloat16", "float8_e4m3fn", ...
  std::string dtype;             // compute dtype: "bf16" or "fp32"
  std::vector<std::string> devices;
  nlohmann::json device_map;                 // the engine's description of where layers run
  std::optional<std::string> chat_template;  // built-in template name, if any
  nlohmann::json generation_defaults;        // temperature, top_p, top_k, eos_token_ids
  nlohmann::json limits;  // max_prompt_tokens, max_tokens, max_scan_prompts, max_scan_batch, ...
  nlohmann::json raw;     // from_json: the whole answer (fields added by newer engines included)

  nlohmann::json to_json() const;
  // Requires id, layers, moe_layers, experts_per_layer and top_k (a valid geometry); the rest
  // is optional so older engines still answer.
  static ModelInfo from_json(const nlohmann::json& json);
};

}  // namespace mote
