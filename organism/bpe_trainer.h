#pragma once
// Learns byte-level BPE merges from text, for the demo model organism's own tokenizer: the
// texts are split on the added tokens (which are never merged), pre-tokenized with DeepSeek's
// pre-tokenizer, counted as words, and the most frequent adjacent pair is merged until the
// vocabulary is full. Ties go to the pair whose (left bytes, right bytes) sorts first, so the
// result is a pure function of the input. Pair counts are updated incrementally: a merge only
// touches the words that contain its pair.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mote {

class PreTokenizer;

struct BpeTrainerOptions {
  // Total ids: added tokens + 256 byte symbols + learned merges. Fewer merges are learned when
  // no pair occurs at least min_pair_count times.
  std::size_t vocab_size = 1024;
  std::uint64_t min_pair_count = 2;
};

// A learned merge: the raw bytes of its two parts.
using BpeMergePair = std::pair<std::string, std::string>;

// Merges in rank order, adding at most max_new_tokens tokens to the 256 bytes. removed_tokens are
// cut out of the texts first. As in Hugging Face's trainer, a merge whose result already exists
// (e.g. "a bc" after "ab c") reuses that token, so there can be more merges than new tokens.
std::vector<BpeMergePair> learn_bpe_merges(const std::vector<std::string>& texts,
                                           const PreTokenizer& pre_tokenizer,
                                           const std::vector<std::string>& removed_tokens,
                                           std::size_t max_new_tokens,
                                           std::uint64_t min_pair_count);

// A complete tokenizer.json (R1's added tokens at ids 0..6, then the bytes, then the merges;
// see organism/tokenizer_json_writer.h) trained on texts. UsageError when vocab_size leaves no
// room for the added tokens and the 256 bytes.
std::string train_byte_level_bpe_tokenizer_json(const std::vector<std::string>& texts,
                                                const BpeTrainerOptions& options);

}  // namespace mote
