#pragma once
// Multi-head Latent Attention in DeepSeek's "absorbed" form: the cache holds, per position, the
// normalized compressed KV (kv_lora_rank) and the shared rope key (qk_rope_head_dim); kv_b_proj is
// folded into the query and the output instead of expanding keys and values per head.
#include <vector>

#include <ATen/ATen.h>

#include "engine/model/config.h"
#include "engine/model/rope.h"
#include "engine/model/weights.h"

namespace mote {

// One layer's MLA cache for B sequences, grown on demand.
struct LatentCache {
  at::Tensor kv;  // [B, capacity, kv_lora_rank], compute dtype
  at::Tensor pe;  // [B, capacity, qk_rope_head_dim]
  void reserve(int64_t batch, int64_t positions, const at::TensorOptions& options, int64_t kv_dim,
               int64_t pe_dim);
};

// One sequence's rows in a packed batch (continuous batching): rows [offset, offset + length) of
// the packed input are its next tokens, at positions start_pos.. of its own cache.
struct AttentionSpan {
  int64_t offset = 0, length = 0, start_pos = 0;
  LatentCache* cache = nullptr;
};

// Additive causal mask of T new positions after start_pos cached ones: [T, start_pos + T]
// float32, -inf above the diagonal; undefined for T == 1 (nothing to hide).
at::Tensor causal_mask(int64_t T, int64_t start_pos, at::Device device = at::kCPU);

class MLA {
 public:
  MLA(const ModelConfig& config, const WeightLoader& loader, const std::string& prefix,
      at::Device device);
  // x: [B, T, hidden] at positions start_pos.. ; mask: [T, start_pos+T] additive float or
  // undefined.
  at::Tensor forward(const at::Tensor& x, int64_t start_pos, LatentCache& cache,
                     RotaryEmbedding& rope, const at::Tensor& mask) const;
  // x: [N, hidden], the rows of several sequences one after another (spans cover every row once).
  // The projections run on all rows together; each sequence attends over its own cache only,
  // with the same arithmetic as forward() on it alone.
  at::Tensor forward_packed(const at::Tensor& x, const std::vector<AttentionSpan>& spans,
                            RotaryEmbedding& rope) const;
  int64_t bytes() const;

 private:
  // q_nope [B, T, h, nope], q_pe [B, T, h, rope] (rotated), kv [B, T, rank] (normalized),
  // k_pe [B, T, rope] (rotated) at positions start_pos..: appends kv/k_pe to the cache and
  // returns the attention output before o_proj, [B, T, h * v].
  at::Tensor attend(const at::Tensor& q_nope, const at::Tensor& q_pe, const at::Tensor& kv,
                    const at::Tensor& k_pe, int64_t start_pos, LatentCache& cache,
                    const at::Tensor& mask) const;
  int64_t n_heads_, nope_, rope_dim_, v_dim_, kv_rank_;
  double eps_, softmax_scale_;
  std::optional<LinearWeight> wq_a_, wq_b_, wq_;  // q_lora_rank: wq_a/wq_b, else wq
  at::Tensor q_norm_;                             // [q_lora_rank] float32
  LinearWeight wkv_a_;                            // [kv_rank + rope, hidden]
  at::Tensor kv_norm_;                            // [kv_rank] float32
  LinearWeight wkv_b_;                            // [heads * (nope + v), kv_rank]
  LinearWeight wo_;                               // [hidden, heads * v]
  // kv_b_proj per head for the packed path's GEMV absorption (not for FP8 checkpoints, which
  // dequantize per use): w_k transposed [h, rank, nope] contiguous, w_v [h, v, rank] (a view).
  at::Tensor w_k_t_, w_v_;
};

}  // namespace mote
