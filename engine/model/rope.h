#pragma once
// Rotary position embedding with DeepSeek's YaRN frequency interpolation, applied to adjacent
// dimension pairs (2i, 2i+1) as in DeepSeek-V3's apply_rotary_emb (not the NeoX half split).
#include <ATen/ATen.h>

#include "engine/model/config.h"

namespace mote {

class RotaryEmbedding {
 public:
  RotaryEmbedding(const ModelConfig& config, at::Device device);

  // x: [B, T, heads, rope_dim] for positions start_pos..start_pos+T-1; returns x's dtype.
  at::Tensor apply(const at::Tensor& x, int64_t start_pos);
  // x: [N, heads, rope_dim], row i at position positions[i] ([N] int64): packed sequences.
  at::Tensor apply_rows(const at::Tensor& x, const at::Tensor& positions);
  const at::Tensor& inv_freq() const { return inv_freq_; }  // [rope_dim/2] float32

 private:
  void ensure_positions(int64_t end_pos);
  at::Tensor inv_freq_;   // [rope_dim/2]
  at::Tensor cos_, sin_;  // [cached_positions, rope_dim/2] float32
  int64_t max_positions_;
};

}  // namespace mote
