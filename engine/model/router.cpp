#include "engine/model/router.h"

#include "engine/model/gemv.h"

namespace mote {

Router::Router(const ModelConfig& c, const WeightLoader& loader, const std::string& prefix,
               at::Device device)
    : top_k_(c.num_experts_per_tok),
      n_group_(c.n_group),
      topk_group_(c.topk_group),
      method_(c.topk_method),
      scoring_(c.scoring_func),
      norm_topk_prob_(c.norm_topk_prob),
      scale_(c.routed_scaling_factor) {
  weight_ = loader.dense(prefix + ".weight", at::kFloat, device);
  if (method_ == TopkMethod::NoauxTc)
    bias_ = loader.dense(prefix + ".e_score_correction_bias", at::kFloat, device);
}

at::Tensor Router::logits(const at::Tensor& x) const {
  // The GEMV kernel where it applies: a row's logits do not depend on the other rows of the batch.
  at::Tensor xf = x.to(at::kFloat);
  if (xf.dim() == 2 && gemv_applicable(xf, weight_)) return gemv(xf, weight_);
  return at::linear(xf, weight_);
}

std::pair<at::Tensor, at::Tensor> Router::route(const at::Tensor& x) const {
  const int64_t N = x.size(0);
  at::Tensor scores = logits(x);  // [N, E]
  scores = scoring_ == ScoringFunc::Softmax ? scores.softmax(-1) : scores.sigmoid();
  at::Tensor original = scores;
  if (bias_.defined()) scores = scores + bias_;
  if (method_ != TopkMethod::Greedy && n_group_ > 1) {
    at::Tensor grouped = scores.view({N, n_group_, -1});  // [N, G, E/G]
    at::Tensor group_scores = method_ == TopkMethod::NoauxTc
                                  ? std::get<0>(grouped.topk(2, -1)).sum(-1)
                                  : std::get<0>(grouped.max(-1));       // [N, G]
    at::Tensor keep = std::get<1>(group_scores.topk(topk_group_, -1));  // [N, topk_group]
    at::Tensor drop =
        at::ones({N, n_group_}, x.options().dtype(at::kBool)).scatter_(1, keep, false);
    scores =
        grouped.masked_fill(drop.unsqueeze(-1), -std::numeric_limits<float>::infinity()).flatten(1);
  }
  at::Tensor ids = std::get<1>(scores.topk(top_k_, -1));  // [N, k]
  at::Tensor weights = original.gather(1, ids);
  if (norm_topk_prob_ && top_k_ > 1) weights = weights / weights.sum(-1, /*keepdim=*/true);
  return {ids, weights * scale_};
}

}  // namespace mote
