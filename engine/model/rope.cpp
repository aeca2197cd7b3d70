#include "engine/model/rope.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"

namespace mote {
namespace {

// Dimension index at which `rotations` full turns fit in the original context (YaRN).
double correction_dim(double rotations, int64_t dim, double base, double original_len) {
  return dim * std::log(original_len / (rotations * 2 * M_PI)) / (2 * std::log(base));
}

}  // namespace

RotaryEmbedding::RotaryEmbedding(const ModelConfig& c, at::Device device)
    : max_positions_(c.max_position_embeddings) {
  const int64_t dim = c.qk_rope_head_dim;
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  // Computed in float32 like the reference so angles round identically.
  at::Tensor freqs =
      1.0 / at::pow(c.rope_theta, at::arange(0, dim, 2, f32) / static_cast<double>(dim));
  if (c.yarn && c.yarn->factor > 1.0) {
    const YarnRope& y = *c.yarn;
    const double orig = static_cast<double>(y.original_max_position_embeddings);
    double low =
        std::max<double>(std::floor(correction_dim(y.beta_fast, dim, c.rope_theta, orig)), 0);
    double high =
        std::min<double>(std::ceil(correction_dim(y.beta_slow, dim, c.rope_theta, orig)), dim - 1);
    if (low == high) high += 0.001;
    at::Tensor ramp = at::clamp((at::arange(dim / 2, f32) - low) / (high - low), 0, 1);
    freqs = freqs / y.factor * ramp + freqs * (1 - ramp);
  }
  inv_freq_ = freqs.to(device);
}

void RotaryEmbedding::ensure_positions(int64_t end_pos) {
  if (end_pos > max_positions_)
    throw Error("sequence of " + std::to_string(end_pos) +
                " positions exceeds max_position_embeddings " + std::to_string(max_positions_));
  if (cos_.defined() && cos_.size(0) >= end_pos) return;
  // The whole table at once: a position's angle is then computed once, by the same (vector or
  // scalar tail) code path, whatever lengths were seen first, so batched and solo sequences share
  // it exactly. R1: 163,840 positions x 32 floats x 2 = 42 MB.
  const int64_t n = max_positions_;
  at::Tensor t = at::arange(n, inv_freq_.options());
  at::Tensor angles = at::outer(t, inv_freq_);  // [n, dim/2]
  cos_ = angles.cos();
  sin_ = angles.sin();
}

at::Tensor RotaryEmbedding::apply(const at::Tensor& x, int64_t start_pos) {
  const int64_t T = x.size(1);
  ensure_positions(start_pos + T);
  // [1, T, 1, dim/2]
  at::Tensor cos = cos_.narrow(0, start_pos, T).unsqueeze(0).unsqueeze(2);
  at::Tensor sin = sin_.narrow(0, start_pos, T).unsqueeze(0).unsqueeze(2);
  at::Tensor xf = x.to(at::kFloat).unflatten(-1, {x.size(-1) / 2, 2});  // [B, T, h, dim/2, 2]
  at::Tensor x0 = xf.select(-1, 0), x1 = xf.select(-1, 1);
  at::Tensor y = at::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, -1).flatten(-2);
  return y.to(x.scalar_type());
}

}  // namespace mote

namespace mote {

at::Tensor RotaryEmbedding::apply_rows(const at::Tensor& x, const at::Tensor& positions) {
  const int64_t N = x.size(0);
  if (N == 0) return x;
  ensure_positions(positions.max().item<int64_t>() + 1);
  at::Tensor pos = positions.to(cos_.device());
  // [N, 1, dim/2]
  at::Tensor cos = cos_.index_select(0, pos).unsqueeze(1);
  at::Tensor sin = sin_.index_select(0, pos).unsqueeze(1);
  at::Tensor xf = x.to(at::kFloat).unflatten(-1, {x.size(-1) / 2, 2});  // [N, h, dim/2, 2]
  at::Tensor x0 = xf.select(-1, 0), x1 = xf.select(-1, 1);
  at::Tensor y = at::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, -1).flatten(-2);
  return y.to(x.scalar_type());
}

}  // namespace mote
