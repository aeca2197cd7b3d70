#include "sessions/pcre2_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sessions/session_error.h"

namespace mote::sessions {

Pcre2Regex::Pcre2Regex(const std::string& pattern, const std::string& where) : pattern_(pattern) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                        PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error_code, &error_offset,
                        nullptr);
  if (code_ == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    throw SessionError(where + ": bad regex \"" + pattern + "\" at offset " +
                       std::to_string(error_offset) + ": " +
                       reinterpret_cast<const char*>(message));
  }
}

Pcre2Regex::~Pcre2Regex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
}

bool Pcre2Regex::search(std::string_view subject) const {
  auto* code = static_cast<pcre2_code*>(code_);
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match_data(
      pcre2_match_data_create_from_pattern(code, nullptr), &pcre2_match_data_free);
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                             0, match_data.get(), nullptr);
  if (rc >= 0) return true;
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  PCRE2_UCHAR message[256];
  pcre2_get_error_message(rc, message, sizeof(message));
  throw SessionError("regex \"" + pattern_ +
                     "\": match failed: " + reinterpret_cast<const char*>(message));
}

}  // namespace mote::sessions
