#pragma once
// The MoE gate (DeepSeek-V3 model.py `Gate`): scores every routed expert and picks the top-k.
// V3: sigmoid + e_score_correction_bias + group limit by the sum of each group's top-2 (noaux_tc).
// V2: softmax, plain top-k (greedy) or groups by their max (group_limited_greedy).
#include <utility>

#include <ATen/ATen.h>

#include "engine/model/config.h"
#include "engine/model/weights.h"

namespace mote {

class Router {
 public:
  Router(const ModelConfig& config, const WeightLoader& loader, const std::string& prefix,
         at::Device device);

  // x: [N, hidden]. Returns {ids [N, k] int64, weights [N, k] float32}; ids in descending
  // (biased) score order, weights normalized as configured and times routed_scaling_factor.
  std::pair<at::Tensor, at::Tensor> route(const at::Tensor& x) const;
  // Raw router logits x @ W^T in float32: [N, n_routed_experts].
  at::Tensor logits(const at::Tensor& x) const;

 private:
  at::Tensor weight_;  // [E, hidden] float32 (the router runs in fp32)
  at::Tensor bias_;    // [E] float32, noaux_tc only
  int64_t top_k_, n_group_, topk_group_;
  TopkMethod method_;
  ScoringFunc scoring_;
  bool norm_topk_prob_;
  double scale_;
};

}  // namespace mote
