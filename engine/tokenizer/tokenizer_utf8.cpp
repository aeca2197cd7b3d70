#include "engine/tokenizer/tokenizer_utf8.h"

#include <cstring>

namespace mote::utf8 {

Sequence next_sequence(const unsigned char* bytes, std::size_t size) {
  const unsigned char lead = bytes[0];
  if (lead < 0x80) return {SequenceStatus::Valid, 1};
  std::size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return {SequenceStatus::Invalid, 1};
  }
  for (std::size_t i = 1; i < length; ++i) {
    if (i >= size) return {SequenceStatus::Incomplete, i};
    const unsigned char byte = bytes[i];
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (byte < min || byte > max) return {SequenceStatus::Invalid, i};
  }
  return {SequenceStatus::Valid, length};
}

std::size_t first_invalid_offset(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t pos = 0;
  const std::size_t size = text.size();
  while (pos < size) {
    // ASCII fast path, eight bytes at a time.
    while (pos + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, bytes + pos, 8);
      if (word & 0x8080808080808080ull) break;
      pos += 8;
    }
    if (pos >= size) break;
    if (bytes[pos] < 0x80) {
      ++pos;
      continue;
    }
    const Sequence seq = next_sequence(bytes + pos, size - pos);
    if (seq.status != SequenceStatus::Valid) return pos;
    pos += seq.length;
  }
  return size;
}

void append_lossy(std::string_view text, std::string& out) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t pos = 0, run_start = 0;
  const std::size_t size = text.size();
  while (pos < size) {
    if (bytes[pos] < 0x80) {
      ++pos;
      continue;
    }
    const Sequence seq = next_sequence(bytes + pos, size - pos);
    if (seq.status == SequenceStatus::Valid) {
      pos += seq.length;
      continue;
    }
    out.append(text.substr(run_start, pos - run_start));
    out.append(kReplacementCharacter);
    pos += seq.length;
    run_start = pos;
  }
  out.append(text.substr(run_start));
}

std::string decode_lossy(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_lossy(bytes, out);
  return out;
}

void append_code_point(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace mote::utf8
