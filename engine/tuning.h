#pragma once
// MoTE expert tuning: suppress (weight 0, renormalize) or stimulate (force into the top-k with the
// maximum weight, renormalize) individual routed experts, addressed as (model layer, expert).
// The arithmetic is DeepSeek-router-exact; see shared/ref/deepseek/README.md, "Expert tuning".
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

#include "engine/config.h"

namespace mote {

struct ExpertAddress {
  int64_t layer = 0;   // model layer index (checkpoint tensor names)
  int64_t expert = 0;  // routed expert index
  auto operator<=>(const ExpertAddress&) const = default;
};

struct TuningSpec {
  std::vector<ExpertAddress> suppress;
  std::vector<ExpertAddress> stimulate;

  bool empty() const { return suppress.empty() && stimulate.empty(); }
  // {"suppress": [[layer, expert], ...], "stimulate": [...]}; both keys optional, nothing else
  // allowed. TuningError on malformed input.
  static TuningSpec from_json(const nlohmann::json& json);
  static TuningSpec from_file(const std::string& path);
  nlohmann::json to_json() const;
};

// A TuningSpec checked against a model and indexed per MoE layer for the router.
class CompiledTuning {
 public:
  CompiledTuning() = default;
  // TuningError when an address is not a MoE layer / routed expert of `config`, an expert is in
  // both lists, or a layer stimulates more experts than num_experts_per_tok.
  CompiledTuning(const TuningSpec& spec, const ModelConfig& config);

  bool empty() const { return layers_.empty(); }
  bool touches(int64_t moe_index) const;
  // ids: [N, k] int64, weights: [N, k] float32 (router output after normalization and scaling).
  // Returns the tuned {ids, weights}; inputs untouched.
  std::pair<at::Tensor, at::Tensor> apply(int64_t moe_index, const at::Tensor& ids,
                                          const at::Tensor& weights) const;

 private:
  struct LayerTuning {
    std::vector<int64_t> suppress;
    std::vector<int64_t> stimulate;
    at::Tensor suppress_mask;  // [n_routed_experts] bool
  };
  std::vector<LayerTuning> layers_;  // per MoE layer index; empty when nothing is tuned
};

}  // namespace mote
