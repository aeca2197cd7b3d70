#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace mote::sessions {

// A compiled PCRE2 pattern (UTF + UCP, invalid UTF-8 in subjects tolerated). Thread-safe to use
// from several threads: match data is per call.
class Pcre2Regex {
 public:
  // Throws SessionError with the PCRE2 message and offset, prefixed by `where`.
  Pcre2Regex(const std::string& pattern, const std::string& where);
  ~Pcre2Regex();
  Pcre2Regex(const Pcre2Regex&) = delete;
  Pcre2Regex& operator=(const Pcre2Regex&) = delete;

  // True if the pattern matches anywhere in `subject` (use ^ / \A to anchor).
  bool search(std::string_view subject) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  void* code_ = nullptr;  // pcre2_code_8*, kept opaque so the header does not need pcre2.h
};

}  // namespace mote::sessions
