#include "engine/tokenizer/tokenizer_streaming_decoder.h"

#include "engine/error.h"
#include "engine/tokenizer/tokenizer_utf8.h"

namespace mote {

StreamingDecoder::StreamingDecoder(std::shared_ptr<const Tokenizer> tok, bool skip_special_tokens)
    : tokenizer_(std::move(tok)), skip_special_tokens_(skip_special_tokens) {
  if (!tokenizer_) throw UsageError("StreamingDecoder needs a tokenizer");
}

std::string StreamingDecoder::push(int64_t id) {
  // Same rules as Tokenizer::decode: unknown ids are skipped, special ones optionally.
  if (!tokenizer_->has_token(id)) return {};
  if (skip_special_tokens_ && tokenizer_->is_special(id)) return {};
  pending_ += tokenizer_->token_bytes(id);

  // Emit everything up to a trailing sequence that is still a valid prefix; replace invalid
  // subparts now, since no later byte can repair them.
  const auto* bytes = reinterpret_cast<const unsigned char*>(pending_.data());
  const std::size_t size = pending_.size();
  std::size_t pos = 0;
  while (pos < size) {
    if (bytes[pos] < 0x80) {
      ++pos;
      continue;
    }
    const utf8::Sequence seq = utf8::next_sequence(bytes + pos, size - pos);
    if (seq.status == utf8::SequenceStatus::Incomplete) break;
    pos += seq.length;
  }
  std::string out;
  utf8::append_lossy(std::string_view(pending_).substr(0, pos), out);
  pending_.erase(0, pos);
  return out;
}

std::string StreamingDecoder::finish() {
  std::string out = utf8::decode_lossy(pending_);
  pending_.clear();
  return out;
}

}  // namespace mote
