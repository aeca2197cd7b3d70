#pragma once
// Next-token choice from logits: greedy at temperature 0, else temperature / top-k / top-p
// (nucleus) sampling from a seeded generator, so a (seed, settings) pair reproduces a completion.
#include <cstdint>

#include <ATen/ATen.h>
#include <ATen/core/Generator.h>

namespace mote {

struct SamplingParams {
  double temperature = 0.0;  // 0: greedy
  double top_p = 1.0;        // (0, 1]
  int64_t top_k = 0;         // 0: all
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  // logits: [V] float32 -> token id
  int64_t next(const at::Tensor& logits);

 private:
  SamplingParams params_;
  at::Generator generator_;
};

}  // namespace mote
