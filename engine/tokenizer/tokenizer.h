#pragma once
// A Hugging Face tokenizer.json tokenizer for byte-level BPE models (DeepSeek V2/V3/R1 and the
// demo model's own), exact to the Hugging Face reference: added tokens matched anywhere first,
// the pre-tokenizer's Split regexes, byte-level BPE merges by rank, ByteLevel decoding with
// U+FFFD for invalid UTF-8. Features of tokenizer.json it does not implement (other model types,
// normalizers, pre-tokenizers, decoders, stripping added tokens) are a TokenizerError when
// loading, never a silent difference. Encoding never adds a BOS: chat prompts carry it as text.
//
// A loaded Tokenizer is immutable and safe to use from many threads at once.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mote {

class Tokenizer {
 public:
  static std::shared_ptr<const Tokenizer> from_file(const std::filesystem::path& tokenizer_json);
  // Loads from the file's content; origin names it in error messages.
  static std::shared_ptr<const Tokenizer> from_json_text(std::string_view json,
                                                         const std::string& origin);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of text (no BOS added). TokenizerError when text is not valid UTF-8.
  std::vector<int64_t> encode(std::string_view text) const;
  // The text of ids; invalid UTF-8 becomes U+FFFD. Ids that name no token are skipped, as
  // Hugging Face does (a model's embedding may have padding rows past the last token).
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  std::optional<int64_t> token_to_id(std::string_view token) const;  // vocab or added token
  std::string id_to_token(
      int64_t id) const;              // as written in tokenizer.json; TokenizerError if none
  bool is_special(int64_t id) const;  // an added token flagged special
  bool has_token(int64_t id) const;   // whether any token has this id
  int64_t vocab_size() const;         // max id + 1 over vocab and added tokens
  std::string token_bytes(
      int64_t id) const;  // raw bytes the token decodes to; TokenizerError if none

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mote
