#pragma once
// FP8 E4M3FN (DeepSeek-V3/R1's released weight format): 1 sign, 4 exponent (bias 7), 3 mantissa
// bits, subnormals, no infinities, 0x7F/0xFF NaN, max 448. Weights are stored 1 byte each with a
// float32 scale per 128x128 block ("weight_scale_inv"): W = e4m3(q) * scale_inv[i/128, j/128].
#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

namespace mote {

inline constexpr float kE4m3Max = 448.0f;

float e4m3_to_float(uint8_t bits);
// The 256 decoded values, indexed by code (NaN for 0x7F/0xFF).
const float* e4m3_table();
// Round-to-nearest-even, saturating to +-448; NaN maps to 0x7F.
uint8_t float_to_e4m3(float value);

// Shape of the block-scale tensor of an [out, in] weight: [ceil(out/block_rows),
// ceil(in/block_cols)].
std::vector<int64_t> fp8_scale_shape(int64_t out, int64_t in, int64_t block_rows,
                                     int64_t block_cols);

// q: kByte [out, in]; scale_inv: kFloat [ceil(out/block_rows), ceil(in/block_cols)].
// Returns [out, in] in `dtype` on q's device. Edge blocks (partial rows/columns) included.
// Products are formed in float32 and then converted to `dtype`, on every device.
// CheckpointError on mismatched shapes or dtypes.
at::Tensor dequantize_fp8_blocks(const at::Tensor& q, const at::Tensor& scale_inv,
                                 int64_t block_rows, int64_t block_cols, at::ScalarType dtype);

// Inverse, for building FP8 checkpoints: per block, scale_inv = max|W| / 448 (1 for all-zero
// blocks), q = e4m3(W / scale_inv). Returns {q kByte [out,in], scale_inv kFloat}.
std::pair<at::Tensor, at::Tensor> quantize_fp8_blocks(const at::Tensor& weight, int64_t block_rows,
                                                      int64_t block_cols);

}  // namespace mote
