#pragma once
// UTF-8 helpers shared by the tokenizer: validating input, decoding with U+FFFD replacement the
// way Rust's String::from_utf8_lossy does (one U+FFFD per maximal invalid subpart, Unicode 3.9
// "substitution of maximal subparts"), and recognizing a sequence cut short by the end of the
// buffer, which the streaming decoder must hold back instead of replacing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mote::utf8 {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

enum class SequenceStatus { Valid, Invalid, Incomplete };

struct Sequence {
  SequenceStatus status;
  // Valid: the sequence's length. Invalid: the length of the maximal subpart to replace by one
  // U+FFFD (at least 1). Incomplete: the bytes seen so far, all a valid prefix of a sequence.
  std::size_t length;
};

// Classifies the UTF-8 sequence starting at bytes[0]; size must be at least 1.
Sequence next_sequence(const unsigned char* bytes, std::size_t size);

// Byte offset of the first invalid or truncated sequence, or text.size() when all is valid.
std::size_t first_invalid_offset(std::string_view text);

// Appends bytes to out, replacing every maximal invalid subpart (including a truncated sequence
// at the end) by U+FFFD.
void append_lossy(std::string_view bytes, std::string& out);
std::string decode_lossy(std::string_view bytes);

// Appends the code point's UTF-8 encoding to out.
void append_code_point(char32_t code_point, std::string& out);

// Length of the UTF-8 sequence led by the given byte (1 for continuation and invalid bytes).
inline std::size_t lead_byte_length(unsigned char lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return lead < 0xF8 ? 4 : 1;
}

}  // namespace mote::utf8
