#pragma once
// Every tensor a DeepSeek-V2/V3 checkpoint must provide for inference, by Hugging Face name, with
// the shape the config implies. The loader validates against it; tools that write checkpoints
// (random test models, FP8 quantization, the benchmark) generate from it. MTP layers (index >=
// num_hidden_layers) are not listed: inference ignores them.
#include <string>
#include <vector>

#include "engine/model/config.h"

namespace mote {

enum class WeightKind {
  Linear,      // [out, in] projection; FP8 releases store it as F8_E4M3 + "<name>_scale_inv"
  Embedding,   // [vocab, hidden] (embed_tokens, lm_head): never quantized
  Norm,        // RMSNorm scale
  Router,      // mlp.gate.weight [n_routed_experts, hidden]: never quantized
  RouterBias,  // mlp.gate.e_score_correction_bias [n_routed_experts], F32 in releases
};

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;
  WeightKind kind;
};

std::vector<WeightSpec> weight_layout(const ModelConfig& config);

// Name of the block scale companion of an FP8 weight.
inline std::string scale_inv_name(const std::string& weight_name) {
  return weight_name + "_scale_inv";
}

}  // namespace mote
