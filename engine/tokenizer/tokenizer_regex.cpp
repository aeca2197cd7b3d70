#include "engine/tokenizer/tokenizer_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdio>

#include "engine/error.h"
#include "engine/tokenizer/tokenizer_unicode_ranges.h"
#include "engine/tokenizer/tokenizer_utf8.h"

namespace mote {
namespace {

// Unicode White_Space, which is what Oniguruma's \s matches under Unicode encodings.
constexpr std::string_view kWhiteSpaceClassBody =
    "\\x{09}-\\x{0D}\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}"
    "\\x{202F}\\x{205F}\\x{3000}";

// Match data and a JIT stack per thread: encode() may run on many threads at once, and
// allocating these per piece would cost more than the match itself.
struct MatchScratch {
  pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);

  MatchScratch() {
    if (!data || !context || !jit_stack) throw TokenizerError("PCRE2: out of memory");
    pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchScratch() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
};

MatchScratch& match_scratch() {
  thread_local MatchScratch scratch;
  return scratch;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

std::shared_ptr<pcre2_real_code_8> compile(const std::string& pattern, uint32_t options,
                                           const std::string& shown_pattern) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &error_code, &error_offset, nullptr);
  if (!code) {
    throw TokenizerError("pre-tokenizer regex " + shown_pattern + " does not compile: " +
                         pcre2_message(error_code) + " at offset " + std::to_string(error_offset));
  }
  // JIT is an optimization only: pcre2_match falls back to the interpreter without it.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::shared_ptr<pcre2_real_code_8>(code, pcre2_code_free);
}

// The class body for \p{<property>} widened by the characters PCRE2's Unicode data lacks, or
// empty when the property is not one that needs widening.
std::string widened_property_body(std::string_view property) {
  if (property.size() != 1) return {};
  for (const UnicodeRangeSet& set : newer_unicode_ranges()) {
    if (set.property != property[0]) continue;
    std::string body = "\\p{" + std::string(property) + "}";
    char buffer[40];
    for (const UnicodeRange& r : set.ranges) {
      std::snprintf(buffer, sizeof buffer, "\\x{%X}-\\x{%X}", static_cast<unsigned>(r.first),
                    static_cast<unsigned>(r.last));
      body += buffer;
    }
    return body;
  }
  return {};
}

}  // namespace

std::string translate_oniguruma_pattern(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 64);
  bool in_class = false;
  std::size_t class_start = 0;  // offset in pattern just after '[' or '[^'
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 >= pattern.size()) throw TokenizerError("regex ends with a lone backslash");
      const char e = pattern[++i];
      if (e == 's') {
        if (in_class) {
          out += kWhiteSpaceClassBody;
        } else {
          out += '[';
          out += kWhiteSpaceClassBody;
          out += ']';
        }
      } else if (e == 'S') {
        if (in_class) {
          throw TokenizerError("regex uses \\S inside a character class, which is not supported");
        }
        out += "[^";
        out += kWhiteSpaceClassBody;
        out += ']';
      } else if (e == 'p' || e == 'P') {
        // \p{X}, \p{^X}, \pX, \P{X}: widen the general category groups by newer Unicode.
        std::string_view property;
        std::size_t consumed = 0;
        if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
          const std::size_t close = pattern.find('}', i + 2);
          if (close == std::string_view::npos) throw TokenizerError("regex has an unclosed \\p{");
          property = pattern.substr(i + 2, close - i - 2);
          consumed = close - i;
        } else if (i + 1 < pattern.size()) {
          property = pattern.substr(i + 1, 1);
          consumed = 1;
        }
        bool negated = e == 'P';
        if (!property.empty() && property.front() == '^') {
          negated = !negated;
          property.remove_prefix(1);
        }
        const std::string body = widened_property_body(property);
        if (body.empty()) {
          out += c;
          out += e;
          out.append(pattern.substr(i + 1, consumed));
        } else if (in_class) {
          if (negated) {
            throw TokenizerError("regex uses a negated \\p{" + std::string(property) +
                                 "} inside a character class, which is not supported");
          }
          out += body;
        } else {
          out += negated ? "[^" : "[";
          out += body;
          out += ']';
        }
        i += consumed;
      } else if (e == 'h' || e == 'H') {
        throw TokenizerError(std::string("regex uses \\") + e +
                             ", which means a hex digit in Oniguruma and is not supported");
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (!in_class) {
      if (c == '[') {
        in_class = true;
        out += c;
        if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
        class_start = i + 1;
        continue;
      }
      out += c;
      continue;
    }
    // Inside a character class.
    if (c == ']' && i != class_start) {
      in_class = false;
    } else if (c == '[') {
      if (i + 1 < pattern.size() && pattern[i + 1] == ':') {
        const std::size_t close = pattern.find(":]", i + 2);
        if (close == std::string_view::npos) throw TokenizerError("regex has an unclosed [:");
        out.append(pattern.substr(i, close + 2 - i));
        i = close + 1;
        continue;
      }
      throw TokenizerError("regex uses a nested character class, which is not supported");
    } else if (c == '&' && i + 1 < pattern.size() && pattern[i + 1] == '&') {
      throw TokenizerError("regex uses class intersection &&, which is not supported");
    }
    out += c;
  }
  return out;
}

TokenizerRegex TokenizerRegex::from_oniguruma(const std::string& pattern) {
  if (utf8::first_invalid_offset(pattern) != pattern.size()) {
    throw TokenizerError("pre-tokenizer regex is not valid UTF-8");
  }
  const std::string translated = translate_oniguruma_pattern(pattern);
  return TokenizerRegex(pattern, compile(translated, PCRE2_UTF | PCRE2_UCP, "'" + pattern + "'"));
}

TokenizerRegex TokenizerRegex::literal(const std::string& text) {
  if (text.empty()) throw TokenizerError("pre-tokenizer split string is empty");
  return TokenizerRegex(text, compile(text, PCRE2_UTF | PCRE2_LITERAL, "string '" + text + "'"));
}

void TokenizerRegex::find_matches(std::string_view subject, std::vector<RegexMatch>& out) const {
  MatchScratch& scratch = match_scratch();
  const auto* bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  const PCRE2_SIZE size = subject.size();
  PCRE2_SIZE start = 0;
  while (start < size) {
    const int rc = pcre2_match(code_.get(), bytes, size, start, PCRE2_NO_UTF_CHECK, scratch.data,
                               scratch.context);
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) {
      throw TokenizerError("pre-tokenizer regex '" + pattern_ + "' failed: " + pcre2_message(rc));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(scratch.data);
    const PCRE2_SIZE begin = ovector[0], end = ovector[1];
    if (end > begin) {
      out.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)});
      start = end;
    } else {
      // An empty match yields no piece; move on by one character, as Oniguruma's iterator does.
      if (begin >= size) return;
      start = begin + utf8::lead_byte_length(bytes[begin]);
    }
  }
}

}  // namespace mote
