#include "engine/model/sampler.h"

#include <ATen/CPUGeneratorImpl.h>

#include "engine/error.h"

namespace mote {

Sampler::Sampler(const SamplingParams& params)
    : params_(params), generator_(at::make_generator<at::CPUGeneratorImpl>(params.seed)) {
  if (!(params_.temperature >= 0)) throw Error("temperature must be >= 0");
  if (!(params_.top_p > 0 && params_.top_p <= 1)) throw Error("top_p must be in (0, 1]");
  if (params_.top_k < 0) throw Error("top_k must be >= 0");
}

int64_t Sampler::next(const at::Tensor& logits_in) {
  at::Tensor logits = logits_in.to(at::kCPU, at::kFloat).reshape({-1});
  if (params_.temperature == 0.0) return logits.argmax().item<int64_t>();
  at::Tensor scaled = logits / params_.temperature;
  const int64_t V = scaled.size(0);
  int64_t k = params_.top_k > 0 ? std::min(params_.top_k, V) : V;
  auto [values, ids] = scaled.topk(k);  // descending
  at::Tensor probs = values.softmax(-1);
  if (params_.top_p < 1.0) {
    // Keep the smallest prefix whose mass reaches top_p (the first token always stays).
    at::Tensor before = probs.cumsum(0) - probs;
    probs = probs.masked_fill(before >= params_.top_p, 0.0f);
    probs = probs / probs.sum();
  }
  at::Tensor pick = at::multinomial(probs, 1, /*replacement=*/false, generator_);
  return ids[pick.item<int64_t>()].item<int64_t>();
}

}  // namespace mote
