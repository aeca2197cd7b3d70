#include "engine/npy.h"

#include <fstream>
#include <regex>
#include <sstream>

#include "engine/error.h"

namespace mote {
namespace {

const char* descr_of(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return "<f4";
    case at::kDouble:
      return "<f8";
    case at::kLong:
      return "<i8";
    case at::kInt:
      return "<i4";
    default:
      return nullptr;
  }
}

}  // namespace

void write_npy(const std::filesystem::path& path, const at::Tensor& tensor) {
  const char* descr = descr_of(tensor.scalar_type());
  if (!descr) throw Error("write_npy " + path.string() + ": unsupported dtype");
  at::Tensor t = tensor.to(at::kCPU).contiguous();
  std::ostringstream shape;
  shape << "(";
  for (int64_t d = 0; d < t.dim(); ++d)
    shape << t.size(d) << (t.dim() == 1 || d + 1 < t.dim() ? "," : "");
  shape << ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  // magic(6) + version(2) + len(2) + header, padded with spaces to a multiple of 64, ending '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot write " + path.string());
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!out) throw Error("write failed: " + path.string());
}

at::Tensor read_npy(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  char magic[8];
  in.read(magic, 8);
  if (!in || std::string(magic, 6) != "\x93NUMPY") throw Error(path.string() + ": not a .npy file");
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  }
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  if (!in) throw Error(path.string() + ": truncated header");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([<|>]?[a-z][0-9])'")))
    throw Error(path.string() + ": no descr");
  std::string descr = m[1];
  if (descr.size() == 2) descr = "<" + descr;
  at::ScalarType type;
  if (descr == "<f4")
    type = at::kFloat;
  else if (descr == "<f8")
    type = at::kDouble;
  else if (descr == "<i8")
    type = at::kLong;
  else if (descr == "<i4")
    type = at::kInt;
  else
    throw Error(path.string() + ": unsupported dtype " + descr);
  if (std::regex_search(header, m, std::regex("'fortran_order':\\s*True")))
    throw Error(path.string() + ": fortran order is not supported");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    throw Error(path.string() + ": no shape");
  std::vector<int64_t> shape;
  std::string dims = m[1];
  std::regex num("[0-9]+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator();
       ++it)
    shape.push_back(std::stoll(it->str()));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!in) throw Error(path.string() + ": truncated data");
  return t;
}

}  // namespace mote
