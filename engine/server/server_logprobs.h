#pragma once
// The logprobs a request asked for (protocol/wire_logprobs.h): log-softmax of the fp32 logits the
// sampler sees, before temperature, top-k and top-p, so they are the model's own distribution
// whatever the sampling. One writer per reply: it also counts the text offsets of the
// completions format.
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "engine/tokenizer/tokenizer.h"
#include "protocol/wire_logprobs.h"

namespace mote::server {

class LogprobWriter {
 public:
  // top: alternatives per token (0..kMaxTopLogprobs); completions: the legacy format, whose
  // alternatives also hold the chosen token (OpenAI's top_logprobs then have up to top + 1).
  LogprobWriter(const Tokenizer& tokenizer, int64_t top, bool completions);
  // An echoed prompt: ids [T] and the logits after each of its tokens [T, V]. The first entry has
  // no logprob (nothing predicts it); entry t is token t's logprob after tokens 0..t-1.
  std::vector<TokenLogprob> prompt(const std::vector<int64_t>& ids, const at::Tensor& logits);
  // A generated token chosen from logits [V].
  TokenLogprob next(const at::Tensor& logits, int64_t token);

 private:
  TokenLogprob entry(const at::Tensor& row_logprobs, const at::Tensor& top_ids,
                     const at::Tensor& top_values, int64_t token, bool scored);
  TopLogprob alternative(int64_t id, double logprob) const;
  const Tokenizer& tokenizer_;
  int64_t top_;
  bool completions_;
  int64_t offset_ = 0;  // code points of the token texts so far
};

}  // namespace mote::server
