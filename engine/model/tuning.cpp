#include "engine/model/tuning.h"

#include <limits>

namespace mote {

CompiledTuning::CompiledTuning(const TuningSpec& spec, const ModelConfig& config) {
  if (spec.empty()) return;
  spec.validate(config.geometry());
  layers_.resize(config.moe_layers().size());
  for (const auto& a : spec.suppress)
    layers_[config.moe_layer_index(a.layer)].suppress.push_back(a.expert);
  for (const auto& a : spec.stimulate)
    layers_[config.moe_layer_index(a.layer)].stimulate.push_back(a.expert);
  for (auto& layer : layers_) {
    if (layer.suppress.empty()) continue;
    layer.suppress_mask = at::zeros({config.n_routed_experts}, at::kBool);
    for (int64_t e : layer.suppress) layer.suppress_mask[e] = true;
  }
}

std::shared_ptr<const CompiledTuning> CompiledTuning::shared(const TuningSpec& spec,
                                                             const ModelConfig& config) {
  if (spec.empty()) return nullptr;
  return std::make_shared<const CompiledTuning>(spec, config);
}

bool CompiledTuning::touches(int64_t moe_index) const {
  if (moe_index < 0 || moe_index >= static_cast<int64_t>(layers_.size())) return false;
  const auto& l = layers_[moe_index];
  return !l.suppress.empty() || !l.stimulate.empty();
}

std::pair<at::Tensor, at::Tensor> CompiledTuning::apply(int64_t moe_index, const at::Tensor& ids,
                                                        const at::Tensor& weights) const {
  if (!touches(moe_index)) return {ids, weights};
  const LayerTuning& layer = layers_[moe_index];
  at::Tensor S = weights.sum(-1, /*keepdim=*/true);               // [N, 1]
  at::Tensor M = std::get<0>(weights.max(-1, /*keepdim=*/true));  // [N, 1]
  at::Tensor new_ids = ids.clone();
  at::Tensor w = weights.clone();
  if (!layer.stimulate.empty()) {
    // Slots already holding a stimulated expert must not be taken by the next one.
    at::Tensor taken = at::zeros_like(ids, at::kBool);
    for (int64_t e : layer.stimulate) {
      at::Tensor hit = new_ids.eq(e);                       // [N, k]
      at::Tensor selected = hit.any(-1, /*keepdim=*/true);  // [N, 1]
      // First slot of smallest (current) weight among those not taken.
      at::Tensor candidates = w.masked_fill(taken, std::numeric_limits<float>::infinity());
      at::Tensor slot = std::get<1>(candidates.min(-1, /*keepdim=*/true));  // [N, 1]
      at::Tensor replace = at::zeros_like(hit).scatter_(1, slot, true);
      at::Tensor target = at::where(selected, hit, replace);  // [N, k]
      new_ids.masked_fill_(target, e);
      w = at::where(target, M.expand_as(w), w);
      taken |= target;
    }
  }
  if (!layer.suppress.empty()) {
    at::Tensor mask = layer.suppress_mask.to(ids.device()).index({new_ids});  // [N, k]
    w = w.masked_fill(mask, 0.0f);
  }
  at::Tensor R = w.sum(-1, /*keepdim=*/true);
  w = at::where(R > 0, w * (S / R), at::zeros_like(w));
  return {new_ids, w};
}

}  // namespace mote
