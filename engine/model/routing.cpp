#include "engine/model/routing.h"

#include <algorithm>

namespace mote {

RoutingTrace RoutingTrace::slice(int64_t begin, int64_t count) const {
  RoutingTrace t;
  t.ids = ids.narrow(1, begin, count);
  t.weights = weights.narrow(1, begin, count);
  t.ids_before = ids_before.narrow(1, begin, count);
  t.weights_before = weights_before.narrow(1, begin, count);
  t.n_prompt = std::clamp<int64_t>(n_prompt - begin, 0, count);
  return t;
}

RoutingTrace RoutingTrace::concat(const std::vector<RoutingTrace>& parts) {
  RoutingTrace t;
  std::vector<at::Tensor> a, b, c, d;
  int64_t total = 0;
  for (const auto& p : parts) {
    if (!p.defined()) continue;
    a.push_back(p.ids);
    b.push_back(p.weights);
    c.push_back(p.ids_before);
    d.push_back(p.weights_before);
    // Prompt tokens form a prefix: a part's prompt tokens count while all before it were prompt.
    if (total == t.n_prompt) t.n_prompt += p.n_prompt;
    total += p.tokens();
  }
  if (a.empty()) return t;
  t.ids = at::cat(a, 1);
  t.weights = at::cat(b, 1);
  t.ids_before = at::cat(c, 1);
  t.weights_before = at::cat(d, 1);
  return t;
}

at::Tensor RoutingTrace::activation_counts(int64_t n_experts, int64_t begin, int64_t end,
                                           bool weighted) const {
  const int64_t n_moe = ids.size(0);
  at::Tensor counts = at::zeros({n_moe, n_experts}, at::kFloat);
  if (end <= begin) return counts;
  at::Tensor sel_ids = ids.narrow(1, begin, end - begin).reshape({n_moe, -1});
  at::Tensor sel_w = weights.narrow(1, begin, end - begin).reshape({n_moe, -1});
  // The project's counting rule (protocol/expert_counting.h): a slot counts when its final
  // router weight is non-zero, so a suppressed expert (kept in its slot with weight 0) does not.
  at::Tensor value = weighted ? sel_w.to(at::kFloat) : (sel_w != 0).to(at::kFloat);
  return counts.scatter_add_(1, sel_ids, value);
}

void RoutingCapture::record(const at::Tensor& ids_before, const at::Tensor& weights_before,
                            const at::Tensor& ids, const at::Tensor& weights) {
  // Detached: a capture during training records values, never a path for gradients.
  ids_before_.push_back(ids_before.detach().to(at::kCPU));
  weights_before_.push_back(weights_before.detach().to(at::kCPU, at::kFloat));
  ids_.push_back(ids.detach().to(at::kCPU));
  weights_.push_back(weights.detach().to(at::kCPU, at::kFloat));
}

std::vector<RoutingTrace> RoutingCapture::take(int64_t batch, int64_t tokens, int64_t n_prompt) {
  std::vector<RoutingTrace> out(batch);
  if (ids_.empty()) return out;
  // [n_moe, B*T, k] -> [n_moe, B, T, k]
  auto stack = [&](std::vector<at::Tensor>& v) {
    at::Tensor s = at::stack(v, 0);
    v.clear();
    return s.view({s.size(0), batch, tokens, s.size(2)});
  };
  at::Tensor ib = stack(ids_before_), wb = stack(weights_before_), i = stack(ids_),
             w = stack(weights_);
  for (int64_t b = 0; b < batch; ++b) {
    out[b].ids_before = ib.select(1, b).contiguous();
    out[b].weights_before = wb.select(1, b).contiguous();
    out[b].ids = i.select(1, b).contiguous();
    out[b].weights = w.select(1, b).contiguous();
    out[b].n_prompt = n_prompt;
  }
  return out;
}

}  // namespace mote
