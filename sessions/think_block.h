#pragma once

#include <string>
#include <string_view>

namespace mote::sessions {

// A completion split at R1's think block. R1's chat template ends the prompt with "<think>\n",
// so a completion may start inside the block and lack the opening tag: text before "</think>"
// is then the think block.
struct ThinkSplit {
  bool present = false;  // an opening or closing think tag was found
  bool closed = false;   // "</think>" was found (false: truncated while thinking)
  std::string think;     // text inside the block (without tags)
  std::string after;     // text after "</think>" (the answer)

  // True if the block is present and contains only whitespace.
  bool think_empty() const;
};

// `opened_by_prompt`: the prompt ended inside an open think block (R1's template), so a completion
// with no think tag at all is a think block cut off before "</think>" (present, not closed).
ThinkSplit split_think_block(std::string_view completion, bool opened_by_prompt = false);

// Share of CJK characters among the "letters" of `text`: CJK ideographs, kana and hangul divided
// by all code points that are not whitespace, ASCII digits or punctuation, CJK or full-width
// punctuation. 0 for text without letters. Invalid UTF-8 bytes count as non-CJK letters.
double cjk_share(std::string_view text);

}  // namespace mote::sessions
