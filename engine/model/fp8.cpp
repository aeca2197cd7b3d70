#include "engine/model/fp8.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include <ATen/Parallel.h>

#include "engine/error.h"

namespace mote {
namespace {

// E4M3FN: code = s eeee mmm. e == 0: subnormal m/8 * 2^-6; otherwise (1 + m/8) * 2^(e-7);
// eeee mmm == 1111 111 is NaN (there are no infinities, so 1111 110 = 448 is the maximum).
float decode_e4m3(uint8_t bits) {
  const int sign = bits >> 7;
  const int exponent = (bits >> 3) & 0xF;
  const int mantissa = bits & 0x7;
  float magnitude;
  if (exponent == 0xF && mantissa == 0x7) {
    magnitude = std::numeric_limits<float>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);  // m/8 * 2^-6
  } else {
    magnitude = std::ldexp(static_cast<float>(8 + mantissa), exponent - 10);  // (8+m)/8 * 2^(e-7)
  }
  return sign ? -magnitude : magnitude;
}

const std::array<float, 256>& lut() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int i = 0; i < 256; ++i) t[i] = decode_e4m3(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

std::string shape_string(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

// Rows per at::parallel_for chunk: about 64 KiB of output elements per task.
int64_t row_grain(int64_t cols) {
  return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(cols, 1));
}

// The CPU fast path: one pass over q, LUT decode, multiply by the block scale, store as T.
template <typename T>
void dequantize_cpu(const uint8_t* q, const float* scale, T* out, int64_t rows, int64_t cols,
                    int64_t block_rows, int64_t block_cols) {
  const float* table = lut().data();
  const int64_t scale_cols = ceil_div(cols, block_cols);
  at::parallel_for(0, rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const uint8_t* q_row = q + i * cols;
      const float* s_row = scale + (i / block_rows) * scale_cols;
      T* o_row = out + i * cols;
      for (int64_t jb = 0; jb < scale_cols; ++jb) {
        const float s = s_row[jb];
        const int64_t j_end = std::min(cols, (jb + 1) * block_cols);
        for (int64_t j = jb * block_cols; j < j_end; ++j)
          o_row[j] = static_cast<T>(table[q_row[j]] * s);
      }
    }
  });
}

}  // namespace

float e4m3_to_float(uint8_t bits) {
  return lut()[bits];
}

const float* e4m3_table() {
  return lut().data();
}

uint8_t float_to_e4m3(float value) {
  if (std::isnan(value)) return 0x7F;
  const uint32_t f = std::bit_cast<uint32_t>(value);
  const uint8_t sign = static_cast<uint8_t>((f >> 24) & 0x80);
  const float a = std::fabs(value);
  // Saturate (also infinities). Everything in [448, 464) would round to 448 anyway.
  if (a >= kE4m3Max) return sign | 0x7E;
  uint8_t code;
  if (a < 0x1p-6f) {
    // Subnormal range: the grid is multiples of 2^-9. a * 512 is exact (power-of-two scaling of a
    // normal float into [0, 8)), and nearbyint rounds half to even in the default rounding mode.
    // A result of 8 is code 0x08, the smallest normal 2^-6: the encoding carries over naturally.
    code = static_cast<uint8_t>(std::nearbyint(a * 512.0f));
  } else {
    // Normal: keep the top 3 of float's 23 mantissa bits, rounding the other 20 half to even;
    // a carry out of the mantissa increments the exponent, again by plain addition.
    const uint32_t bits = std::bit_cast<uint32_t>(a);
    const int32_t exponent = static_cast<int32_t>(bits >> 23) - 127;  // in [-6, 8]
    uint32_t mantissa = bits & 0x7FFFFF;
    uint32_t kept = mantissa >> 20;
    const uint32_t rest = mantissa & 0xFFFFF;
    const uint32_t half = 0x80000;
    uint32_t biased = static_cast<uint32_t>(exponent + 7) << 3 | kept;
    if (rest > half || (rest == half && (kept & 1))) ++biased;
    // a < 448 rounds at most to 448 = 0x7E; never reaches the NaN code.
    code = static_cast<uint8_t>(std::min<uint32_t>(biased, 0x7E));
  }
  return sign | code;
}

std::vector<int64_t> fp8_scale_shape(int64_t out, int64_t in, int64_t block_rows,
                                     int64_t block_cols) {
  return {ceil_div(out, block_rows), ceil_div(in, block_cols)};
}

at::Tensor dequantize_fp8_blocks(const at::Tensor& q, const at::Tensor& scale_inv,
                                 int64_t block_rows, int64_t block_cols, at::ScalarType dtype) {
  if (block_rows <= 0 || block_cols <= 0)
    throw CheckpointError("dequantize_fp8_blocks: block size must be positive");
  if (q.dim() != 2 || q.scalar_type() != at::kByte)
    throw CheckpointError("dequantize_fp8_blocks: FP8 weight must be a 2-D byte tensor, got " +
                          std::string(c10::toString(q.scalar_type())) + " " +
                          shape_string(q.sizes()));
  const int64_t rows = q.size(0), cols = q.size(1);
  const std::vector<int64_t> expected = fp8_scale_shape(rows, cols, block_rows, block_cols);
  if (scale_inv.dim() != 2 || scale_inv.sizes() != at::IntArrayRef(expected) ||
      !at::isFloatingType(scale_inv.scalar_type()))
    throw CheckpointError("dequantize_fp8_blocks: scale_inv of a " + shape_string(q.sizes()) +
                          " weight must be floating " + shape_string(expected) + ", got " +
                          std::string(c10::toString(scale_inv.scalar_type())) + " " +
                          shape_string(scale_inv.sizes()));
  const at::Tensor scale = scale_inv.to(q.device(), at::kFloat).contiguous();

  if (q.device().is_cpu() &&
      (dtype == at::kFloat || dtype == at::kBFloat16 || dtype == at::kHalf)) {
    const at::Tensor qc = q.contiguous();
    at::Tensor out = at::empty({rows, cols}, q.options().dtype(dtype));
    const uint8_t* qp = qc.data_ptr<uint8_t>();
    const float* sp = scale.data_ptr<float>();
    if (dtype == at::kFloat)
      dequantize_cpu(qp, sp, out.data_ptr<float>(), rows, cols, block_rows, block_cols);
    else if (dtype == at::kBFloat16)
      dequantize_cpu(qp, sp, out.data_ptr<at::BFloat16>(), rows, cols, block_rows, block_cols);
    else
      dequantize_cpu(qp, sp, out.data_ptr<at::Half>(), rows, cols, block_rows, block_cols);
    return out;
  }

  // Device-agnostic path: decode through a LUT on q's device, expand the [R, C] scales to the
  // block grid ([R*br, C*bc]), crop the edge blocks to [rows, cols], multiply in float32.
  const at::Tensor table =
      at::from_blob(const_cast<float*>(lut().data()), {256}, at::kFloat).to(q.device());
  const at::Tensor values = table.index_select(0, q.reshape({-1}).to(at::kLong)).view({rows, cols});
  const at::Tensor expanded = scale.repeat_interleave(block_rows, 0)
                                  .repeat_interleave(block_cols, 1)
                                  .slice(0, 0, rows)
                                  .slice(1, 0, cols);
  return (values * expanded).to(dtype);
}

std::pair<at::Tensor, at::Tensor> quantize_fp8_blocks(const at::Tensor& weight, int64_t block_rows,
                                                      int64_t block_cols) {
  if (block_rows <= 0 || block_cols <= 0)
    throw Error("quantize_fp8_blocks: block size must be positive");
  if (weight.dim() != 2 || !at::isFloatingType(weight.scalar_type()))
    throw Error("quantize_fp8_blocks: weight must be a 2-D floating tensor, got " +
                shape_string(weight.sizes()));
  const at::Tensor w = weight.to(at::kCPU, at::kFloat).contiguous();
  if (!at::isfinite(w).all().item<bool>())
    throw Error("quantize_fp8_blocks: weight has non-finite values");
  const int64_t rows = w.size(0), cols = w.size(1);
  const std::vector<int64_t> scale_shape = fp8_scale_shape(rows, cols, block_rows, block_cols);
  at::Tensor q = at::empty({rows, cols}, at::TensorOptions().dtype(at::kByte));
  at::Tensor scale = at::empty(scale_shape, at::TensorOptions().dtype(at::kFloat));
  const float* wp = w.data_ptr<float>();
  uint8_t* qp = q.data_ptr<uint8_t>();
  float* sp = scale.data_ptr<float>();
  const int64_t scale_cols = scale_shape[1];

  // One task per row of blocks: amax per block, then q = e4m3(w / scale) (division, as the
  // reference weight_quant kernel does, so the amax element lands on 448).
  at::parallel_for(0, scale_shape[0], 1, [&](int64_t rb_begin, int64_t rb_end) {
    for (int64_t rb = rb_begin; rb < rb_end; ++rb) {
      const int64_t i0 = rb * block_rows, i1 = std::min(rows, i0 + block_rows);
      for (int64_t cb = 0; cb < scale_cols; ++cb) {
        const int64_t j0 = cb * block_cols, j1 = std::min(cols, j0 + block_cols);
        float amax = 0.0f;
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = j0; j < j1; ++j) amax = std::max(amax, std::fabs(wp[i * cols + j]));
        float s = amax / kE4m3Max;
        // All-zero block (or amax so tiny the scale underflows): any scale reproduces it; use 1.
        if (s == 0.0f) s = 1.0f;
        sp[rb * scale_cols + cb] = s;
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = j0; j < j1; ++j) qp[i * cols + j] = float_to_e4m3(wp[i * cols + j] / s);
      }
    }
  });
  return {q.to(weight.device()), scale.to(weight.device())};
}

}  // namespace mote
