#include "engine/model/weights.h"

#include "engine/error.h"
#include "engine/model/cpu_features.h"
#include "engine/model/fp8.h"
#include "engine/model/gemv.h"

#include <immintrin.h>

#include <cmath>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include "engine/model/weight_layout.h"

namespace mote {

int64_t LinearWeight::bytes() const {
  int64_t n = static_cast<int64_t>(weight.nbytes());
  if (scale_inv.defined()) n += static_cast<int64_t>(scale_inv.nbytes());
  return n;
}

at::Tensor LinearWeight::materialize(at::ScalarType dtype) const {
  if (is_fp8()) return dequantize_fp8_blocks(weight, scale_inv, block_rows, block_cols, dtype);
  return weight.scalar_type() == dtype ? weight : weight.to(dtype);
}

at::Tensor linear(const at::Tensor& x, const LinearWeight& w) {
  // bf16 on AVX-512 CPUs (cpu_features.h): libtorch's bf16 GEMM is oneDNN's, reads the stored
  // weight as is and beats both our GEMV and an fp32 copy through OpenBLAS at every batch size.
  // Measured with ../shared/refbench/compare.sh --layers 1 --quick --threads 2 (engine / DeepSeek's
  // reference, one run each): this path 1.13 decode, 1.04 prefill-128, 0.99 prefill-512; GEMV up
  // to 8 rows and oneDNN above 0.74 / 0.84 / 0.98 (the full-size figures for fp32 through
  // OpenBLAS: prefill 0.09-0.12).
  // Only for weights stored in bf16 (or FP8, dequantized per use anyway): an fp32 checkpoint run
  // in bf16 would pay a full bf16 copy of each weight per call, so it keeps the paths below.
  if (x.device().is_cpu() && x.scalar_type() == at::kBFloat16 && cpu_has_fast_bf16_gemm() &&
      (w.is_fp8() || w.weight.scalar_type() == at::kBFloat16))
    return at::linear(x, w.materialize(at::kBFloat16));
  // Few rows (decode): stream the stored weight once through the GEMV kernel, converting on the
  // fly, instead of materializing a converted copy. fp32 products take it at any row count: each
  // row is summed in one fixed order there, so a sequence's numbers are the same alone or batched
  // with others (OpenBLAS's blocking changes with the row count). The price is prefill speed on
  // large fp32 models; fp32 is the exact mode, bf16 the fast one.
  const int64_t rows = x.numel() / x.size(-1);
  if (!w.is_fp8() && (rows <= kGemvMaxRows || x.scalar_type() == at::kFloat)) {
    at::Tensor x2 = x.reshape({-1, x.size(-1)});
    if (gemv_applicable(x2, w.weight)) {
      auto shape = x.sizes().vec();
      shape.back() = w.out_features();
      return gemv(x2, w.weight).view(shape);
    }
  }
  // Without AVX-512 libtorch's bf16 GEMM is a slow reference loop: compute bf16 products in fp32
  // there (with AVX-512, one thread, [128, 2048] x [1408, 2048]: oneDNN 656 GFLOP/s, this 148).
  if (x.device().is_cpu() && x.scalar_type() == at::kBFloat16)
    return at::linear(x.to(at::kFloat), w.materialize(at::kFloat)).to(at::kBFloat16);
  return at::linear(x, w.materialize(x.scalar_type()));
}

namespace {

// Sum of squares of n floats in one fixed order (8 lanes, then the tail).
__attribute__((target("avx2,fma"))) float sum_of_squares(const float* x, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float s = 0;
  for (float l : lanes) s += l;
  for (; i < n; ++i) s += x[i] * x[i];
  return s;
}

}  // namespace

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  // fp32 inference on the CPU: one pass per row instead of six tensor ops (a small model's
  // step is dominated by op dispatch); each row in one fixed order, so batch-invariant.
  if (x.scalar_type() == at::kFloat && x.device().is_cpu() && weight.device().is_cpu() &&
      weight.scalar_type() == at::kFloat && weight.is_contiguous() && cpu_has_avx2_fma() &&
      !(at::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad()))) {
    at::Tensor xc = x.contiguous();
    at::Tensor y = at::empty_like(xc);
    const int64_t D = x.size(-1), rows = D == 0 ? 0 : xc.numel() / D;
    const float* in = xc.data_ptr<float>();
    const float* w = weight.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const float feps = static_cast<float>(eps);
    at::parallel_for(0, rows, std::max<int64_t>(1, (64 << 10) / std::max<int64_t>(1, D)),
                     [&](int64_t b, int64_t e) {
                       for (int64_t r = b; r < e; ++r) {
                         const float* xr = in + r * D;
                         const float inv =
                             1.0f / std::sqrt(sum_of_squares(xr, D) / static_cast<float>(D) + feps);
                         for (int64_t i = 0; i < D; ++i) out[r * D + i] = xr[i] * inv * w[i];
                       }
                     });
    return y;
  }
  at::Tensor xf = x.to(at::kFloat);
  at::Tensor y = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return (y * weight).to(x.scalar_type());
}

namespace {

std::vector<int64_t> fp8_scale_shape(const std::vector<int64_t>& shape, const Fp8Quantization& q) {
  return {(shape[0] + q.block_rows - 1) / q.block_rows,
          (shape[1] + q.block_cols - 1) / q.block_cols};
}

}  // namespace

WeightLoader::WeightLoader(std::shared_ptr<Checkpoint> checkpoint, const ModelConfig& config)
    : checkpoint_(std::move(checkpoint)), config_(config) {
  const std::vector<DType> floats = {DType::F32, DType::BF16, DType::F16};
  for (const WeightSpec& spec : weight_layout(config_)) {
    if (spec.kind == WeightKind::Linear && checkpoint_->contains(spec.name) &&
        checkpoint_->entry(spec.name).dtype == DType::F8_E4M3) {
      checkpoint_->tensor(spec.name, spec.shape, {DType::F8_E4M3});
      const std::string where =
          checkpoint_->file_of(spec.name).string() + ": tensor '" + spec.name + "'";
      if (!config_.fp8)
        throw CheckpointError(where + " is F8_E4M3 but config.json has no fp8 quantization_config");
      if (!checkpoint_->contains(scale_inv_name(spec.name)))
        throw CheckpointError(where + " is F8_E4M3 but its scale '" + scale_inv_name(spec.name) +
                              "' is missing");
      checkpoint_->tensor(scale_inv_name(spec.name), fp8_scale_shape(spec.shape, *config_.fp8),
                          {DType::F32});
      continue;
    }
    checkpoint_->tensor(spec.name, spec.shape, floats);
  }
}

LinearWeight WeightLoader::linear(const std::string& name, at::Device device) const {
  LinearWeight w;
  w.weight = checkpoint_->tensor(name).to(device);
  if (checkpoint_->entry(name).dtype == DType::F8_E4M3) {
    w.scale_inv = checkpoint_->tensor(scale_inv_name(name)).to(device);
    w.block_rows = config_.fp8->block_rows;
    w.block_cols = config_.fp8->block_cols;
  }
  return w;
}

at::Tensor WeightLoader::dense(const std::string& name, at::ScalarType dtype,
                               at::Device device) const {
  // From a file: a copy, so the result owns its memory and does not pin the mapping's pages. In
  // memory: the tensor itself when dtype and device already match (a trainer's parameter must stay
  // the tensor the model computes with).
  return checkpoint_->tensor(name).to(device, dtype, /*non_blocking=*/false,
                                      /*copy=*/!checkpoint_->in_memory());
}

at::Tensor WeightLoader::stored(const std::string& name, at::Device device) const {
  return checkpoint_->tensor(name).to(device);
}

}  // namespace mote
