#pragma once
// Unicode data newer than PCRE2's: the reference tokenizer's regex engine knows characters that
// Debian's PCRE2 10.42 (Unicode 14.0) treats as unassigned, so \p{L} and friends are widened by
// these ranges before compiling (see tokenizer_regex.cpp).
#include <vector>

namespace mote {

struct UnicodeRange {
  char32_t first;
  char32_t last;
};

struct UnicodeRangeSet {
  char property;  // the general category group: 'L', 'M', 'N', 'P' or 'S'
  std::vector<UnicodeRange> ranges;
};

const std::vector<UnicodeRangeSet>& newer_unicode_ranges();

}  // namespace mote
