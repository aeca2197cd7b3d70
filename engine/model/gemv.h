#pragma once
// Batch-1 decode is a chain of matrix-vector products that must stream weights at memory speed.
// libtorch 1.13's CPU bf16 GEMV runs at ~1.3 GB/s on this class of machine (fp32 through OpenBLAS
// at ~5 GB/s), far below the ~22 GB/s bandwidth, so small-batch products of a contiguous bf16 or
// fp32 weight go through this AVX2 kernel instead (weights read once with software prefetch, fp32
// accumulation; each output row summed in one fixed order whatever the number of rows of x). On
// AVX-512 CPUs bf16 products skip it: libtorch's oneDNN GEMM reads bf16 faster there at every
// batch size (engine/model/weights.cpp).
#include <ATen/ATen.h>

namespace mote {

// Rows of x handled per pass over the weights; more rows take several passes. Each output is one
// row's dot product in one fixed order, so a row's result never depends on the other rows: the
// engine's batch invariance in fp32 rests on this (engine/model/weights.cpp).
constexpr int64_t kGemvMaxRows = 8;

// True when gemv() handles this product: CPU tensors, x [N, in], w [out, in]
// contiguous in kBFloat16 or kFloat, x in kFloat or kBFloat16, and no gradient to record (grad mode
// off, or neither tensor requires grad: training takes at::linear).
bool gemv_applicable(const at::Tensor& x, const at::Tensor& w);

// y = x @ w^T: [N, out] in x's dtype.
at::Tensor gemv(const at::Tensor& x, const at::Tensor& w);

// The same kernel on raw fp32 rows, on the calling thread only (for callers that parallelize
// over something else, e.g. the MoE over experts): x [N, in], y [N, out], both contiguous; w
// [out, in] contiguous kFloat or kBFloat16 (w_data points at its first element). Needs AVX2+FMA.
void gemv_serial(const float* x, int64_t N, const at::Tensor& w, float* y);

}  // namespace mote
