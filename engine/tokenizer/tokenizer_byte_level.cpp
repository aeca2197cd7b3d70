#include "engine/tokenizer/tokenizer_byte_level.h"

#include "engine/tokenizer/tokenizer_utf8.h"

namespace mote::byte_level {
namespace {

struct Alphabet {
  std::array<std::string, 256> symbol;
  std::array<char32_t, 256> code_point;
  // Every symbol is below U+0144, so a flat table covers the reverse mapping.
  std::array<int, 0x144> byte_of;

  Alphabet() {
    byte_of.fill(-1);
    // Printable Latin-1 bytes stand for themselves; the others (controls, space, soft hyphen
    // and so on) take the code points from U+0100 on, in byte order.
    char32_t next_extra = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : next_extra++;
      code_point[b] = cp;
      utf8::append_code_point(cp, symbol[b]);
      byte_of[cp] = b;
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

const std::string& symbol_for_byte(unsigned char byte) {
  return alphabet().symbol[byte];
}

std::optional<unsigned char> byte_for_symbol(char32_t cp) {
  const Alphabet& a = alphabet();
  if (cp >= a.byte_of.size() || a.byte_of[cp] < 0) return std::nullopt;
  return static_cast<unsigned char>(a.byte_of[cp]);
}

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += symbol_for_byte(static_cast<unsigned char>(c));
  return out;
}

std::string decode(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(token.data());
  std::size_t pos = 0;
  while (pos < token.size()) {
    const utf8::Sequence seq = utf8::next_sequence(bytes + pos, token.size() - pos);
    if (seq.status != utf8::SequenceStatus::Valid) return std::string(token);
    char32_t cp = 0;
    if (seq.length == 1) {
      cp = bytes[pos];
    } else if (seq.length == 2) {
      cp = ((bytes[pos] & 0x1Fu) << 6) | (bytes[pos + 1] & 0x3Fu);
    } else {
      return std::string(token);  // every symbol is at most two UTF-8 bytes long
    }
    const auto byte = byte_for_symbol(cp);
    if (!byte) return std::string(token);
    out.push_back(static_cast<char>(*byte));
    pos += seq.length;
  }
  return out;
}

}  // namespace mote::byte_level
