#pragma once
// Routing capture: which routed experts every processed token selected in every MoE layer, with
// their final weights before and after tuning. Recorded only when a caller passes a capture.
#include <vector>

#include <ATen/ATen.h>

namespace mote {

// Routing of N consecutive processed tokens of one sequence.
struct RoutingTrace {
  at::Tensor ids;             // [n_moe, N, k] int64, after tuning
  at::Tensor weights;         // [n_moe, N, k] float32, after tuning
  at::Tensor ids_before;      // [n_moe, N, k] int64, router's own choice
  at::Tensor weights_before;  // [n_moe, N, k] float32
  int64_t n_prompt = 0;       // the first n_prompt tokens are prompt tokens, the rest generated

  bool defined() const { return ids.defined(); }
  int64_t tokens() const { return ids.defined() ? ids.size(1) : 0; }
  // Tokens [begin, begin+count) of this trace (n_prompt adjusted).
  RoutingTrace slice(int64_t begin, int64_t count) const;
  // Concatenation along the token axis.
  static RoutingTrace concat(const std::vector<RoutingTrace>& parts);
  // Counts per (MoE layer, expert) over tokens [begin, end) with non-zero weight after tuning:
  // [n_moe, n_experts] float32 (optionally router-weight-weighted).
  at::Tensor activation_counts(int64_t n_experts, int64_t begin, int64_t end,
                               bool weighted = false) const;
};

// Collects one forward call's routing. The model appends each MoE layer's [B*T, k] tensors in
// layer order; take() stacks them into per-sequence traces.
class RoutingCapture {
 public:
  void record(const at::Tensor& ids_before, const at::Tensor& weights_before, const at::Tensor& ids,
              const at::Tensor& weights);
  // Per sequence b of the call ([B, T] tokens): RoutingTrace of its T tokens, on the CPU.
  std::vector<RoutingTrace> take(int64_t batch, int64_t tokens, int64_t n_prompt_per_sequence);

 private:
  std::vector<at::Tensor> ids_before_, weights_before_, ids_, weights_;
};

}  // namespace mote
