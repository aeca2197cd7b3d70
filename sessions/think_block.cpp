#include "sessions/think_block.h"

#include <cstdint>

namespace mote::sessions {

bool ThinkSplit::think_empty() const {
  return present && think.find_first_not_of(" \t\r\n") == std::string::npos;
}

ThinkSplit split_think_block(std::string_view completion, bool opened_by_prompt) {
  static constexpr std::string_view kOpen = "<think>";
  static constexpr std::string_view kClose = "</think>";
  ThinkSplit split;
  const auto open = completion.find(kOpen);
  const auto close = completion.find(kClose);
  if (close != std::string_view::npos) {
    const std::size_t begin =
        (open != std::string_view::npos && open < close) ? open + kOpen.size() : 0;
    split.present = split.closed = true;
    split.think = completion.substr(begin, close - begin);
    split.after = completion.substr(close + kClose.size());
  } else if (open != std::string_view::npos) {
    split.present = true;
    split.think = completion.substr(open + kOpen.size());
  } else if (opened_by_prompt) {
    split.present = true;
    split.think = completion;
  } else {
    split.after = completion;
  }
  return split;
}

namespace {

bool is_cjk_letter(std::uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FA1F) ||
         (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF);
}

bool is_ignored(std::uint32_t cp) {
  if (cp < 0x80)
    return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));  // space, digits, punct.
  return (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFF00 && cp <= 0xFF0F) ||
         (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0x2000 && cp <= 0x206F) ||
         cp == 0xA0;  // CJK/full-width/general punctuation
}

}  // namespace

double cjk_share(std::string_view text) {
  std::size_t cjk = 0, letters = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = b;
    std::size_t len = 1;
    if (b >= 0xF0 && b < 0xF8)
      len = 4, cp = b & 0x07;
    else if (b >= 0xE0)
      len = 3, cp = b & 0x0F;
    else if (b >= 0xC0)
      len = 2, cp = b & 0x1F;
    bool valid = b < 0x80 || (b >= 0xC0 && b < 0xF8 && i + len <= text.size());
    for (std::size_t j = 1; valid && j < len; ++j) {
      const auto c = static_cast<unsigned char>(text[i + j]);
      if ((c & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (!valid) {
      len = 1;
      cp = 0xFFFD;
    }
    i += len;
    if (is_ignored(cp)) continue;
    ++letters;
    if (is_cjk_letter(cp)) ++cjk;
  }
  return letters == 0 ? 0.0 : static_cast<double>(cjk) / static_cast<double>(letters);
}

}  // namespace mote::sessions
