#include "protocol/npy.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "protocol/error.h"

namespace mote {

static_assert(std::endian::native == std::endian::little, ".npy I/O assumes a little-endian host");

namespace {

const char* descr_of(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::Float32:
      return "<f4";
    case NpyDtype::Float64:
      return "<f8";
    case NpyDtype::Int32:
      return "<i4";
    case NpyDtype::Int64:
      return "<i8";
  }
  return "<f4";
}

std::size_t count_of(const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  for (std::size_t d : shape) count *= d;
  return count;
}

}  // namespace

std::size_t npy_item_size(NpyDtype dtype) {
  return dtype == NpyDtype::Float64 || dtype == NpyDtype::Int64 ? 8 : 4;
}

std::size_t NpyArray::count() const {
  return count_of(shape);
}

std::string npy_bytes(NpyDtype dtype, const void* data, const std::vector<std::size_t>& shape) {
  // Python tuple syntax: "()", "(5,)", "(3, 4)".
  std::string shape_text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i)
    shape_text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  shape_text += shape.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") + descr_of(dtype) +
                       "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(data), count_of(shape) * npy_item_size(dtype));
  return out;
}

void write_npy(const std::filesystem::path& path, NpyDtype dtype, const void* data,
               const std::vector<std::size_t>& shape) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw NpyError("cannot write " + path.string());
  const std::string bytes = npy_bytes(dtype, data, shape);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) throw NpyError("error writing " + path.string());
}

NpyArray parse_npy(const std::string& bytes, const std::string& source_name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw NpyError(source_name + ": not a .npy file");
  std::size_t header_len = 0, offset = 0;
  if (bytes[6] == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (bytes[6] == 2 && bytes.size() >= 12) {
    std::uint32_t len = 0;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    offset = 12;
  } else {
    throw NpyError(source_name + ": unsupported .npy version");
  }
  if (offset + header_len > bytes.size()) throw NpyError(source_name + ": truncated header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch match;
  if (!std::regex_search(header, match, std::regex(R"('descr':\s*'([<|>]?[a-z][0-9])')")))
    throw NpyError(source_name + ": no descr in header");
  std::string descr = match[1];
  if (descr.size() == 2) descr = "<" + descr;
  NpyArray array;
  if (descr == "<f4")
    array.dtype = NpyDtype::Float32;
  else if (descr == "<f8")
    array.dtype = NpyDtype::Float64;
  else if (descr == "<i4")
    array.dtype = NpyDtype::Int32;
  else if (descr == "<i8")
    array.dtype = NpyDtype::Int64;
  else
    throw NpyError(source_name + ": unsupported dtype " + descr +
                   " (supported: <f4, <f8, <i4, <i8)");
  if (std::regex_search(header, std::regex(R"('fortran_order':\s*True)")))
    throw NpyError(source_name + ": fortran order is not supported");
  if (!std::regex_search(header, match, std::regex(R"('shape':\s*\(([^)]*)\))")))
    throw NpyError(source_name + ": no shape in header");
  const std::string dims = match[1];
  const std::regex number(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number);
       it != std::sregex_iterator(); ++it) {
    array.shape.push_back(std::stoul(it->str()));
  }
  offset += header_len;
  if (bytes.size() - offset != array.count() * npy_item_size(array.dtype))
    throw NpyError(source_name + ": data size does not match shape");
  array.data = bytes.substr(offset);
  return array;
}

NpyArray read_npy_array(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw NpyError("cannot read " + path.string());
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return parse_npy(bytes, path.string());
}

std::string npy_bytes(const float* data, const std::vector<std::size_t>& shape) {
  return npy_bytes(NpyDtype::Float32, data, shape);
}

void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::size_t>& shape) {
  write_npy(path, NpyDtype::Float32, data, shape);
}

std::vector<float> parse_npy(const std::string& bytes, const std::string& source_name,
                             std::vector<std::size_t>& shape) {
  NpyArray array = parse_npy(bytes, source_name);
  if (array.dtype != NpyDtype::Float32)
    throw NpyError(source_name + ": only '<f4' C-order arrays are supported here");
  shape = array.shape;
  std::vector<float> values(array.count());
  std::memcpy(values.data(), array.data.data(), array.data.size());
  return values;
}

std::vector<float> read_npy(const std::filesystem::path& path, std::vector<std::size_t>& shape) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw NpyError("cannot read " + path.string());
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return parse_npy(bytes, path.string(), shape);
}

}  // namespace mote
