#pragma once
// The safetensors header: an 8-byte little-endian length, then a JSON object mapping tensor names
// to {dtype, shape, data_offsets}. Parsing is torch-free so the libFuzzer target can build it
// alone; every malformed input becomes a CheckpointError naming the file (and tensor).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mote {

enum class DType { F32, F16, BF16, F8_E4M3, F64, I64, I32, I16, I8, U8, BOOL };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets relative to the start of the data section
  uint64_t end = 0;
  int64_t numel() const;
};

struct SafetensorsHeader {
  uint64_t header_size = 0;          // length of the JSON text
  uint64_t data_offset = 0;          // 8 + header_size: where the data section starts in the file
  std::vector<TensorEntry> tensors;  // sorted by begin offset
  std::map<std::string, std::string> metadata;
};

// Parses a whole file's leading bytes. `file_size` is the size of the complete file; `bytes` may
// be only its beginning but must hold the 8-byte length and the JSON header. Validates: header
// length within the file, JSON shape, known dtypes, shapes matching byte ranges, offsets inside
// the data section, no overlaps, no duplicate names.
SafetensorsHeader parse_safetensors_header(std::string_view bytes, uint64_t file_size,
                                           const std::string& file_name);

}  // namespace mote
