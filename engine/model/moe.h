#pragma once
// Feed-forward blocks: the SwiGLU MLP (dense layers, each routed expert, the shared experts) and
// the MoE layer that routes tokens to experts, applies the tuning and records routing.
#include <vector>

#include <ATen/ATen.h>

#include "engine/model/router.h"
#include "engine/model/routing.h"
#include "engine/model/tuning.h"
#include "engine/model/weights.h"

namespace mote {

// down(silu(gate(x)) * up(x))
class MLP {
 public:
  MLP(const WeightLoader& loader, const std::string& prefix, at::Device device);
  at::Tensor forward(const at::Tensor& x) const;  // [N, hidden] -> [N, hidden]
  int64_t bytes() const { return gate_.bytes() + up_.bytes() + down_.bytes(); }
  // fp32 rows on the calling thread, no tensor allocation: x [n, hidden] -> y [n, hidden] (both
  // contiguous); `scratch` holds 2 * n * intermediate floats. Only where fused_applicable().
  void forward_serial(const float* x, int64_t n, float* y, float* scratch) const;
  bool fused_applicable() const;
  int64_t intermediate() const { return gate_.out_features(); }

 private:
  LinearWeight gate_, up_, down_;
};

// Rows [offset, offset + length) of a packed batch run with `tuning` (null: untuned).
struct RowTuning {
  int64_t offset = 0, length = 0;
  const CompiledTuning* tuning = nullptr;
};

struct MoEContext {
  int64_t moe_index = 0;                   // position among the model's MoE layers
  const CompiledTuning* tuning = nullptr;  // null: untuned
  RoutingCapture* capture = nullptr;       // null: no capture
  // Packed batches of several sequences: a tuning per sequence's rows, instead of `tuning`.
  const std::vector<RowTuning>* row_tunings = nullptr;
};

class MoE {
 public:
  MoE(const ModelConfig& config, const WeightLoader& loader, const std::string& prefix,
      at::Device device);
  // x: [N, hidden] -> [N, hidden]
  at::Tensor forward(const at::Tensor& x, const MoEContext& ctx) const;
  const Router& router() const { return router_; }
  int64_t expert_bytes() const { return experts_.empty() ? 0 : experts_.front().bytes(); }
  int64_t shared_bytes() const { return shared_ ? shared_->bytes() : 0; }

 private:
  Router router_;
  std::vector<MLP> experts_;
  std::optional<MLP> shared_;
  bool fused_ = false;  // every expert's weights suit MLP::forward_serial
};

}  // namespace mote
