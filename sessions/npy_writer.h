#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mote::sessions {

// NumPy .npy format 1.0, dtype '<f4', C order: loadable with numpy.load(path).
std::string npy_bytes(const float* data, const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::size_t>& shape);

// Reads back what write_npy writes ('<f4', C order, format 1.0/2.0); throws SessionError
// naming the file otherwise. Returns the values; `shape` receives the shape.
std::vector<float> read_npy(const std::filesystem::path& path, std::vector<std::size_t>& shape);
// The same from bytes in memory (e.g. a BLOB); `source_name` is used in error messages.
std::vector<float> parse_npy(const std::string& bytes, const std::string& source_name,
                             std::vector<std::size_t>& shape);

}  // namespace mote::sessions
