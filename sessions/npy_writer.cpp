#include "sessions/npy_writer.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "sessions/session_error.h"

namespace mote::sessions {

static_assert(std::endian::native == std::endian::little,
              "npy writer assumes a little-endian host");

std::string npy_bytes(const float* data, const std::vector<std::size_t>& shape) {
  // Python tuple syntax: "()", "(5,)", "(3, 4)".
  std::string shape_text = "(";
  std::size_t count = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    shape_text += (i > 0 ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  shape_text += shape.size() == 1 ? ",)" : ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Magic (6) + version (2) + header length (2) + header + '\n' must be a multiple of 64.
  std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data), count * sizeof(float));
  return out;
}

void write_npy(const std::filesystem::path& path, const float* data,
               const std::vector<std::size_t>& shape) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw SessionError("cannot write " + path.string());
  const std::string bytes = npy_bytes(data, shape);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) throw SessionError("error writing " + path.string());
}

std::vector<float> read_npy(const std::filesystem::path& path, std::vector<std::size_t>& shape) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw SessionError("cannot read " + path.string());
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return parse_npy(bytes, path.string(), shape);
}

std::vector<float> parse_npy(const std::string& bytes, const std::string& source_name,
                             std::vector<std::size_t>& shape) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) {
    throw SessionError(source_name + ": not a .npy file");
  }
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
    throw SessionError(source_name + ": unsupported .npy version");
  }
  if (offset + header_len > bytes.size()) throw SessionError(source_name + ": truncated header");
  const std::string header = bytes.substr(offset, header_len);
  if (header.find("'<f4'") == std::string::npos || header.find("False") == std::string::npos) {
    throw SessionError(source_name + ": only '<f4' C-order arrays are supported");
  }
  std::smatch match;
  if (!std::regex_search(header, match, std::regex(R"('shape':\s*\(([^)]*)\))"))) {
    throw SessionError(source_name + ": no shape in header");
  }
  shape.clear();
  std::size_t count = 1;
  const std::string dims = match[1];
  std::regex number(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), number);
       it != std::sregex_iterator(); ++it) {
    shape.push_back(std::stoul(it->str()));
    count *= shape.back();
  }
  offset += header_len;
  if (bytes.size() - offset != count * sizeof(float)) {
    throw SessionError(source_name + ": data size does not match shape");
  }
  std::vector<float> values(count);
  std::memcpy(values.data(), bytes.data() + offset, count * sizeof(float));
  return values;
}

}  // namespace mote::sessions
