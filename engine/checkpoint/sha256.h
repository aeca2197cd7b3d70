#pragma once
// SHA-256 (FIPS 180-4), for the checksums the model card of a trained checkpoint states and the
// tests verify. Small and dependency-free; not meant for secrets.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mote {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::array<std::uint8_t, 32> digest();  // finishes; the object must not be updated afterwards
  std::string hex_digest();               // 64 lowercase hex digits

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes
};

std::string sha256_hex(std::string_view data);
// Error naming the file when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace mote
