#pragma once
// Tensors to and from numpy .npy files (float32 / float64 / int64 / int32): how the engine
// exchanges arrays with reference implementations and Python users. The file format is the
// project's one reader and writer (protocol/npy.h); this adds the tensor conversion.
#include <filesystem>

#include <ATen/ATen.h>

#include "protocol/npy.h"

namespace mote {

// Writes a contiguous CPU copy of `tensor` (kFloat, kDouble, kLong or kInt); NpyError otherwise.
void write_npy(const std::filesystem::path& path, const at::Tensor& tensor);
// Reads '<f4', '<f8', '<i8' or '<i4' arrays; NpyError naming the file on anything else.
at::Tensor read_npy(const std::filesystem::path& path);

}  // namespace mote
