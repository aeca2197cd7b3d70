#pragma once
// Token log-probabilities on the wire, in OpenAI's two formats. The server computes them as the
// log-softmax of the fp32 logits the sampler sees (before temperature, top-k or top-p), only when
// a request asks (docs/server-api.md, "Logprobs"):
//   chat         choices[i].logprobs = {"content": [{"token", "logprob", "bytes": [int...],
//                "top_logprobs": [{"token", "logprob", "bytes"}...]}...], "refusal": null}
//   completions  choices[i].logprobs = {"tokens": [...], "token_logprobs": [... (null for the
//                first prompt token of an echo)], "top_logprobs": [{token: logprob} | null...],
//                "text_offset": [...]}
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace mote {

struct TopLogprob {
  std::string token;  // the token's text (U+FFFD where it holds part of a UTF-8 character)
  double logprob = 0;
  std::string bytes;  // the raw bytes the token decodes to (chat format only)
  friend bool operator==(const TopLogprob&, const TopLogprob&) = default;
};

struct TokenLogprob {
  std::string token;
  std::string bytes;
  // Null only for an echoed prompt's first token: nothing before it predicts it.
  std::optional<double> logprob;
  std::vector<TopLogprob> top;   // most likely first; completions add the chosen token to them
  std::int64_t text_offset = 0;  // completions: code points of the reply's text before the token
  friend bool operator==(const TokenLogprob&, const TokenLogprob&) = default;
};

struct Logprobs {
  std::vector<TokenLogprob> tokens;

  nlohmann::json to_chat_json() const;
  nlohmann::json to_completion_json() const;
  // A malformed object is a WireError naming the field. The completions format carries no bytes
  // and its top_logprobs dicts come back sorted by logprob, most likely first.
  static Logprobs from_chat_json(const nlohmann::json& json);
  static Logprobs from_completion_json(const nlohmann::json& json);
  friend bool operator==(const Logprobs&, const Logprobs&) = default;
};

// The most top alternatives a request may ask for (OpenAI's chat limit; vLLM's too).
inline constexpr std::int64_t kMaxTopLogprobs = 20;

}  // namespace mote
