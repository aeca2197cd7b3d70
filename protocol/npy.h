#pragma once
// NumPy .npy files (format 1.0 written; 1.0 and 2.0 read; little-endian, C order): how the engine
// exchanges arrays with reference implementations and how sessions export maps for Python users
// (numpy.load(path)). Every failure is an NpyError naming the file or source.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mote {

enum class NpyDtype { Float32, Float64, Int32, Int64 };  // '<f4', '<f8', '<i4', '<i8'

std::size_t npy_item_size(NpyDtype dtype);

struct NpyArray {
  NpyDtype dtype = NpyDtype::Float32;
  std::vector<std::size_t> shape;
  std::string data;  // count() * npy_item_size(dtype) little-endian bytes, C order
  std::size_t count() const;
};

// `data` holds count(shape) items of `dtype`.
std::string npy_bytes(NpyDtype dtype, const void* data, const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& path, NpyDtype dtype, const void* data,
               const std::vector<std::size_t>& shape);
// `source_name` names the bytes in messages (a file, a BLOB).
NpyArray parse_npy(const std::string& bytes, const std::string& source_name);
NpyArray read_npy_array(const std::filesystem::path& path);

// float32 conveniences (activation maps, exports).
std::string npy_bytes(const float* data, const std::vector<std::size_t>& shape);
void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::size_t>& shape);
// Only '<f4' arrays; `shape` receives the shape.
std::vector<float> read_npy(const std::filesystem::path& path, std::vector<std::size_t>& shape);
std::vector<float> parse_npy(const std::string& bytes, const std::string& source_name,
                             std::vector<std::size_t>& shape);

}  // namespace mote
