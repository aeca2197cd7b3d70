#pragma once
// GPT-2's byte-level alphabet, as used by Hugging Face's ByteLevel pre-tokenizer and decoder:
// each of the 256 byte values is written as one printable Unicode character, so a vocabulary of
// byte strings can be stored as text. The encoder works on raw bytes directly; this mapping is
// only needed to translate tokenizer.json's vocabulary and merges to and from bytes.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace mote::byte_level {

// The UTF-8 encoding of the character that stands for the byte.
const std::string& symbol_for_byte(unsigned char byte);

// The byte a character stands for, or nullopt when it is not in the alphabet.
std::optional<unsigned char> byte_for_symbol(char32_t code_point);

// Byte-level string of raw bytes ("Ġhello" for " hello").
std::string encode(std::string_view bytes);

// Raw bytes of a byte-level token, as Hugging Face's ByteLevel decoder does it: every character
// maps back to its byte; a token holding any character outside the alphabet is kept as its own
// UTF-8 bytes instead.
std::string decode(std::string_view token);

}  // namespace mote::byte_level
