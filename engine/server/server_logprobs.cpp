#include "engine/server/server_logprobs.h"

#include <algorithm>

namespace mote::server {
namespace {

int64_t code_points(const std::string& s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace

LogprobWriter::LogprobWriter(const Tokenizer& tokenizer, int64_t top, bool completions)
    : tokenizer_(tokenizer), top_(top), completions_(completions) {}

TopLogprob LogprobWriter::alternative(int64_t id, double logprob) const {
  TopLogprob a;
  // Special tokens keep their text here (the reply's text skips them); an id past the
  // tokenizer's vocabulary (embedding padding) has no text at all.
  a.token = tokenizer_.decode({id}, /*skip_special_tokens=*/false);
  a.bytes = tokenizer_.has_token(id) ? tokenizer_.token_bytes(id) : std::string();
  a.logprob = logprob;
  return a;
}

TokenLogprob LogprobWriter::entry(const at::Tensor& row, const at::Tensor& top_ids,
                                  const at::Tensor& top_values, int64_t token, bool scored) {
  const TopLogprob chosen = alternative(token, scored ? row[token].item<double>() : 0.0);
  TokenLogprob t;
  t.token = chosen.token;
  t.bytes = chosen.bytes;
  t.text_offset = offset_;
  offset_ += code_points(t.token);
  if (!scored) return t;
  t.logprob = chosen.logprob;
  bool has_chosen = false;
  for (int64_t k = 0; k < top_ids.size(0); ++k) {
    const int64_t id = top_ids[k].item<int64_t>();
    has_chosen |= id == token;
    t.top.push_back(alternative(id, top_values[k].item<double>()));
  }
  if (completions_ && !has_chosen) t.top.push_back(chosen);
  return t;
}

std::vector<TokenLogprob> LogprobWriter::prompt(const std::vector<int64_t>& ids,
                                                const at::Tensor& logits) {
  const auto T = static_cast<int64_t>(ids.size());
  // Position t's logprobs come from the logits after token t - 1: rows 0..T-2.
  at::Tensor lp = logits.to(at::kFloat).slice(0, 0, std::max<int64_t>(T - 1, 0)).log_softmax(-1);
  at::Tensor values, top_ids;
  if (T > 1) std::tie(values, top_ids) = lp.topk(std::min(top_, lp.size(1)), -1);
  std::vector<TokenLogprob> out;
  out.push_back(entry({}, {}, {}, ids[0], /*scored=*/false));
  for (int64_t t = 1; t < T; ++t)
    out.push_back(entry(lp[t - 1], top_ids[t - 1], values[t - 1], ids[t], /*scored=*/true));
  return out;
}

TokenLogprob LogprobWriter::next(const at::Tensor& logits, int64_t token) {
  at::Tensor lp = logits.to(at::kFloat).reshape({-1}).log_softmax(-1);  // [V]
  auto [values, ids] = lp.topk(std::min(top_, lp.size(0)));
  return entry(lp, ids, values, token, /*scored=*/true);
}

}  // namespace mote::server
