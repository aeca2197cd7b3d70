#pragma once
// numpy .npy files (format 1.0, little-endian, C order) for float32 / int64 tensors: how the engine
// exchanges arrays with reference implementations and Python users.
#include <filesystem>

#include <ATen/ATen.h>

namespace mote {

// Writes a contiguous CPU copy of `tensor` (kFloat, kDouble, kLong or kInt).
void write_npy(const std::filesystem::path& path, const at::Tensor& tensor);
// Reads '<f4', '<f8', '<i8' or '<i4' arrays; Error naming the file on anything else.
at::Tensor read_npy(const std::filesystem::path& path);

}  // namespace mote
