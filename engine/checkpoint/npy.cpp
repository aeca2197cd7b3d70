#include "engine/checkpoint/npy.h"

#include <cstring>

#include "protocol/error.h"

namespace mote {
namespace {

at::ScalarType scalar_type_of(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::Float32:
      return at::kFloat;
    case NpyDtype::Float64:
      return at::kDouble;
    case NpyDtype::Int32:
      return at::kInt;
    case NpyDtype::Int64:
      return at::kLong;
  }
  return at::kFloat;
}

}  // namespace

void write_npy(const std::filesystem::path& path, const at::Tensor& tensor) {
  NpyDtype dtype;
  switch (tensor.scalar_type()) {
    case at::kFloat:
      dtype = NpyDtype::Float32;
      break;
    case at::kDouble:
      dtype = NpyDtype::Float64;
      break;
    case at::kLong:
      dtype = NpyDtype::Int64;
      break;
    case at::kInt:
      dtype = NpyDtype::Int32;
      break;
    default:
      throw NpyError("write_npy " + path.string() + ": unsupported dtype " +
                     std::string(at::toString(tensor.scalar_type())));
  }
  const at::Tensor t = tensor.to(at::kCPU).contiguous();
  std::vector<std::size_t> shape;
  for (int64_t d = 0; d < t.dim(); ++d) shape.push_back(static_cast<std::size_t>(t.size(d)));
  write_npy(path, dtype, t.data_ptr(), shape);
}

at::Tensor read_npy(const std::filesystem::path& path) {
  const NpyArray array = read_npy_array(path);
  std::vector<int64_t> shape(array.shape.begin(), array.shape.end());
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(scalar_type_of(array.dtype)));
  std::memcpy(t.data_ptr(), array.data.data(), array.data.size());
  return t;
}

}  // namespace mote
