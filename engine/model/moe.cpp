#include "engine/model/moe.h"

#include <algorithm>
#include <cmath>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include "engine/model/cpu_features.h"
#include "engine/model/gemv.h"

namespace mote {

MLP::MLP(const WeightLoader& loader, const std::string& prefix, at::Device device)
    : gate_(loader.linear(prefix + ".gate_proj.weight", device)),
      up_(loader.linear(prefix + ".up_proj.weight", device)),
      down_(loader.linear(prefix + ".down_proj.weight", device)) {}

at::Tensor MLP::forward(const at::Tensor& x) const {
  return linear(at::silu(linear(x, gate_)) * linear(x, up_), down_);
}

bool MLP::fused_applicable() const {
  if (!cpu_has_avx2_fma()) return false;
  for (const LinearWeight* w : {&gate_, &up_, &down_})
    if (w->is_fp8() || !w->weight.device().is_cpu() || !w->weight.is_contiguous() ||
        (w->weight.scalar_type() != at::kFloat && w->weight.scalar_type() != at::kBFloat16))
      return false;
  return true;
}

void MLP::forward_serial(const float* x, int64_t n, float* y, float* scratch) const {
  const int64_t inter = intermediate();
  float* g = scratch;
  float* u = scratch + n * inter;
  gemv_serial(x, n, gate_.weight, g);
  gemv_serial(x, n, up_.weight, u);
  for (int64_t i = 0; i < n * inter; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
  gemv_serial(g, n, down_.weight, y);
}

MoE::MoE(const ModelConfig& c, const WeightLoader& loader, const std::string& prefix,
         at::Device device)
    : router_(c, loader, prefix + ".gate", device) {
  experts_.reserve(c.n_routed_experts);
  for (int64_t e = 0; e < c.n_routed_experts; ++e)
    experts_.emplace_back(loader, prefix + ".experts." + std::to_string(e), device);
  if (c.n_shared_experts > 0) shared_.emplace(loader, prefix + ".shared_experts", device);
  fused_ = !experts_.empty() && device.is_cpu();
  for (const MLP& e : experts_) fused_ = fused_ && e.fused_applicable();
}

at::Tensor MoE::forward(const at::Tensor& x, const MoEContext& ctx) const {
  auto [ids, weights] = router_.route(x);  // [N, k] int64, float32
  at::Tensor tuned_ids = ids, tuned_weights = weights;
  if (ctx.tuning)
    std::tie(tuned_ids, tuned_weights) = ctx.tuning->apply(ctx.moe_index, ids, weights);
  if (ctx.row_tunings) {
    // Rows that share a tuning are tuned in one call (gathered, tuned, scattered back); the
    // arithmetic is row by row, so each sequence's rows get what they get alone.
    std::vector<std::pair<const CompiledTuning*, std::vector<int64_t>>> groups;
    for (const RowTuning& r : *ctx.row_tunings) {
      if (!r.tuning || !r.tuning->touches(ctx.moe_index)) continue;
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& g) { return g.first == r.tuning; });
      if (it == groups.end()) it = groups.insert(groups.end(), {r.tuning, {}});
      for (int64_t i = 0; i < r.length; ++i) it->second.push_back(r.offset + i);
    }
    if (!groups.empty()) {
      tuned_ids = ids.clone();
      tuned_weights = weights.clone();
    }
    for (const auto& [tuning, rows] : groups) {
      at::Tensor index = at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(ids.device());
      auto [i, w] =
          tuning->apply(ctx.moe_index, ids.index_select(0, index), weights.index_select(0, index));
      tuned_ids.index_copy_(0, index, i);
      tuned_weights.index_copy_(0, index, w);
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

  // All (token, slot) pairs ordered by expert, gathered once; each expert runs on its contiguous
  // slice, and one index_add_ sums the weighted outputs into the tokens' rows, a token's experts in
  // ascending order (as they are alone: the order does not depend on the other rows).
  std::vector<int64_t> order, count(experts_.size(), 0);
  order.reserve(static_cast<size_t>(N * k));
  for (size_t e = 0; e < experts_.size(); ++e) {
    order.insert(order.end(), rows[e].begin(), rows[e].end());
    count[e] = static_cast<int64_t>(rows[e].size());
  }
  at::Tensor y = at::zeros_like(x);
  if (!order.empty()) {
    at::Tensor slots = at::tensor(order, at::TensorOptions().dtype(at::kLong)).to(x.device());
    at::Tensor tokens = at::floor_divide(slots, k);
    at::Tensor xs = x.index_select(0, tokens);  // [P, hidden]
    at::Tensor w_pairs =
        tuned_weights.reshape({-1}).index_select(0, slots).unsqueeze(1).to(x.scalar_type());
    at::Tensor ys;  // [P, hidden]
    if (fused_ && x.scalar_type() == at::kFloat &&
        !(at::GradMode::is_enabled() && x.requires_grad())) {
      // fp32: the experts in parallel, each on one thread over its rows (no per-expert tensor
      // ops: on small models their dispatch cost more than the arithmetic).
      xs = xs.contiguous();
      ys = at::empty_like(xs);
      std::vector<int64_t> active, begin;
      int64_t offset = 0;
      for (size_t e = 0; e < experts_.size(); ++e) {
        if (count[e] == 0) continue;
        active.push_back(static_cast<int64_t>(e));
        begin.push_back(offset);
        offset += count[e];
      }
      const int64_t hidden = x.size(1);
      at::parallel_for(0, static_cast<int64_t>(active.size()), 1, [&](int64_t b, int64_t end) {
        std::vector<float> scratch;
        for (int64_t i = b; i < end; ++i) {
          const MLP& mlp = experts_[static_cast<size_t>(active[i])];
          const int64_t n = count[static_cast<size_t>(active[i])];
          scratch.resize(static_cast<size_t>(2 * n * mlp.intermediate()));
          mlp.forward_serial(xs.data_ptr<float>() + begin[i] * hidden, n,
                             ys.data_ptr<float>() + begin[i] * hidden, scratch.data());
        }
      });
    } else {
      std::vector<at::Tensor> outs;
      int64_t offset = 0;
      for (size_t e = 0; e < experts_.size(); ++e) {
        if (count[e] == 0) continue;
        outs.push_back(experts_[e].forward(xs.narrow(0, offset, count[e])));  // [n, hidden]
        offset += count[e];
      }
      ys = at::cat(outs, 0);
    }
    y.index_add_(0, tokens, ys * w_pairs);
  }
  if (shared_) y = y + shared_->forward(x);
  return y;
}

}  // namespace mote
