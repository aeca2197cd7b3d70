#include "engine/model/moe.h"

namespace mote {

MLP::MLP(const WeightLoader& loader, const std::string& prefix, at::Device device)
    : gate_(loader.linear(prefix + ".gate_proj.weight", device)),
      up_(loader.linear(prefix + ".up_proj.weight", device)),
      down_(loader.linear(prefix + ".down_proj.weight", device)) {}

at::Tensor MLP::forward(const at::Tensor& x) const {
  return linear(at::silu(linear(x, gate_)) * linear(x, up_), down_);
}

MoE::MoE(const ModelConfig& c, const WeightLoader& loader, const std::string& prefix,
         at::Device device)
    : router_(c, loader, prefix + ".gate", device) {
  experts_.reserve(c.n_routed_experts);
  for (int64_t e = 0; e < c.n_routed_experts; ++e)
    experts_.emplace_back(loader, prefix + ".experts." + std::to_string(e), device);
  if (c.n_shared_experts > 0) shared_.emplace(loader, prefix + ".shared_experts", device);
}

at::Tensor MoE::forward(const at::Tensor& x, const MoEContext& ctx) const {
  auto [ids, weights] = router_.route(x);  // [N, k] int64, float32
  at::Tensor tuned_ids = ids, tuned_weights = weights;
  if (ctx.tuning)
    std::tie(tuned_ids, tuned_weights) = ctx.tuning->apply(ctx.moe_index, ids, weights);
  if (ctx.row_tunings) {
    // The tuning arithmetic is row by row, so each sequence's rows get what they get alone.
    bool cloned = false;
    for (const RowTuning& r : *ctx.row_tunings) {
      if (!r.tuning || !r.tuning->touches(ctx.moe_index)) continue;
      if (!cloned) {
        tuned_ids = ids.clone();
        tuned_weights = weights.clone();
        cloned = true;
      }
      auto [i, w] = r.tuning->apply(ctx.moe_index, ids.narrow(0, r.offset, r.length),
                                    weights.narrow(0, r.offset, r.length));
      tuned_ids.narrow(0, r.offset, r.length).copy_(i);
      tuned_weights.narrow(0, r.offset, r.length).copy_(w);
    }
  }
  if (ctx.capture) ctx.capture->record(ids, weights, tuned_ids, tuned_weights);

  // Group (token, slot) pairs by expert on the host; slots with weight 0 (suppressed) are skipped:
  // their contribution is exactly zero.
  const int64_t N = x.size(0), k = tuned_ids.size(1);
  at::Tensor ids_cpu = tuned_ids.to(at::kCPU).contiguous();
  at::Tensor w_cpu = tuned_weights.to(at::kCPU).contiguous();
  const int64_t* id = ids_cpu.data_ptr<int64_t>();
  const float* w = w_cpu.data_ptr<float>();
  std::vector<std::vector<int64_t>> rows(experts_.size());
  for (int64_t i = 0; i < N * k; ++i)
    if (w[i] != 0.0f) rows[id[i]].push_back(i);

  at::Tensor y = at::zeros_like(x);
  at::Tensor flat_w = tuned_weights.reshape({-1});
  for (size_t e = 0; e < experts_.size(); ++e) {
    if (rows[e].empty()) continue;
    at::Tensor slots = at::tensor(rows[e], at::TensorOptions().dtype(at::kLong)).to(x.device());
    at::Tensor tokens = at::floor_divide(slots, k);
    at::Tensor out = experts_[e].forward(x.index_select(0, tokens));  // [n, hidden]
    out = out * flat_w.index_select(0, slots).unsqueeze(1).to(x.scalar_type());
    y.index_add_(0, tokens, out);
  }
  if (shared_) y = y + shared_->forward(x);
  return y;
}

}  // namespace mote
