#pragma once
// The regexes of a tokenizer.json pre-tokenizer, compiled with PCRE2 (UTF + UCP, JIT) so that they
// match as Hugging Face's default Oniguruma engine does. The one systematic difference is `\s`:
// Oniguruma matches Unicode White_Space, PCRE2 with UCP misses U+0085, so `\s`/`\S` are rewritten
// to an explicit class before compiling. Syntax PCRE2 would read differently from Oniguruma
// (Ruby's `\h` hex digit, nested classes) is rejected instead of silently mis-matching.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct pcre2_real_code_8;

namespace mote {

struct RegexMatch {
  std::uint32_t begin;
  std::uint32_t end;
};

class TokenizerRegex {
 public:
  // Compiles an Oniguruma (Ruby syntax) pattern; TokenizerError on what cannot be translated.
  static TokenizerRegex from_oniguruma(const std::string& pattern);
  // Matches the text literally (tokenizer.json's {"String": ...} split pattern).
  static TokenizerRegex literal(const std::string& text);

  // Appends the non-empty, non-overlapping matches in subject, left to right, as offsets into
  // subject. The subject must be valid UTF-8 (checked once by the caller, not here).
  void find_matches(std::string_view subject, std::vector<RegexMatch>& out) const;

  const std::string& pattern() const { return pattern_; }

 private:
  TokenizerRegex(std::string pattern, std::shared_ptr<pcre2_real_code_8> code)
      : pattern_(std::move(pattern)), code_(std::move(code)) {}
  std::string pattern_;
  std::shared_ptr<pcre2_real_code_8> code_;
};

// The PCRE2 pattern equivalent to an Oniguruma pattern (exposed for tests).
std::string translate_oniguruma_pattern(std::string_view pattern);

}  // namespace mote
