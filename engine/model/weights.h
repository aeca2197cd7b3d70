#pragma once
// Weights held in checkpoint precision (FP8 stays 1 byte + block scales, BF16 2 bytes) and turned
// into the compute dtype at each use, plus the loader that validates a checkpoint against the
// config's weight layout before anything is built.
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "engine/checkpoint/safetensors.h"
#include "engine/model/config.h"

namespace mote {

struct LinearWeight {
  at::Tensor weight;     // [out, in]; kByte for FP8 E4M3, else kFloat/kBFloat16/kHalf
  at::Tensor scale_inv;  // FP8 only: [ceil(out/block_rows), ceil(in/block_cols)] float32
  int64_t block_rows = 128;
  int64_t block_cols = 128;

  bool is_fp8() const { return scale_inv.defined(); }
  int64_t out_features() const { return weight.size(0); }
  int64_t in_features() const { return weight.size(1); }
  int64_t bytes() const;  // resident bytes, scales included
  // The weight in `dtype`, dequantized or cast as needed (a view when nothing changes).
  at::Tensor materialize(at::ScalarType dtype) const;
};

// y = x @ W^T. x: [..., in] in the compute dtype; returns [..., out] in x's dtype.
at::Tensor linear(const at::Tensor& x, const LinearWeight& w);

// RMSNorm with fp32 math; returns x's dtype. weight: [dim] float32.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

struct EngineOptions {
  at::ScalarType compute_dtype = at::kFloat;  // kFloat (exact on CPU) or kBFloat16 (fast)
};

class WeightLoader {
 public:
  // Opens nothing; validates every tensor of weight_layout(config) (presence, shape, dtype, FP8
  // scales) and throws a CheckpointError naming the file and tensor on the first problem.
  WeightLoader(std::shared_ptr<Checkpoint> checkpoint, const ModelConfig& config);

  LinearWeight linear(const std::string& name, at::Device device) const;
  // Small tensors (norms, router, bias) converted to `dtype` on `device`: an owned copy from a
  // file; from an in-memory checkpoint the stored tensor itself when nothing needs converting.
  at::Tensor dense(const std::string& name, at::ScalarType dtype, at::Device device) const;
  // Embedding / lm_head kept in checkpoint dtype (they are large) on `device`.
  at::Tensor stored(const std::string& name, at::Device device) const;

 private:
  std::shared_ptr<Checkpoint> checkpoint_;
  ModelConfig config_;
};

}  // namespace mote
