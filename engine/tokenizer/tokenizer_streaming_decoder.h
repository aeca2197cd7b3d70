#pragma once
// Detokenization during generation: token ids arrive one at a time and text is emitted as soon
// as its UTF-8 bytes are complete, so a character split across tokens (common for Chinese and
// emoji) never shows up as U+FFFD mid-stream. Bytes that can no longer become valid are emitted
// as U+FFFD right away, so the concatenated output always equals Tokenizer::decode of all ids.
#include <cstdint>
#include <memory>
#include <string>

#include "engine/tokenizer/tokenizer.h"

namespace mote {

class StreamingDecoder {  // one per generation
 public:
  explicit StreamingDecoder(std::shared_ptr<const Tokenizer> tok, bool skip_special_tokens = false);

  // Newly completed valid UTF-8 text (maybe empty).
  std::string push(int64_t id);
  // Flushes what is held back; an incomplete sequence becomes U+FFFD.
  std::string finish();

 private:
  std::shared_ptr<const Tokenizer> tokenizer_;
  bool skip_special_tokens_;
  std::string pending_;  // bytes of a UTF-8 sequence not yet complete
};

}  // namespace mote
