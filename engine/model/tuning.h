#pragma once
// MoTE expert tuning: suppress (weight 0, renormalize) or stimulate (force into the top-k with the
// maximum weight, renormalize) individual routed experts, addressed as (model layer, expert).
// The arithmetic is DeepSeek-router-exact; see shared/ref/deepseek/README.md, "Expert tuning".
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include "engine/model/config.h"
#include "protocol/tuning_spec.h"

namespace mote {

// A TuningSpec checked against a model and indexed per MoE layer for the router.
class CompiledTuning {
 public:
  CompiledTuning() = default;
  // TuningError unless spec.validate(config.geometry()) passes: the project's one rule set.
  CompiledTuning(const TuningSpec& spec, const ModelConfig& config);
  // Compiled once per request and shared by everything that runs it; null when `spec` is empty.
  static std::shared_ptr<const CompiledTuning> shared(const TuningSpec& spec,
                                                      const ModelConfig& config);

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
