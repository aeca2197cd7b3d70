// libFuzzer entry point for parse_safetensors_header: any byte string must either parse into a
// header that satisfies the parser's documented guarantees or fail with a mote::Error. Crashes,
// sanitizer reports, other exceptions and broken guarantees are findings.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/checkpoint/safetensors_header.h"
#include "engine/error.h"

namespace {

// The guarantees Checkpoint relies on when it turns entries into pointers into the mapping.
void check_invariants(const mote::SafetensorsHeader& h, uint64_t file_size) {
  if (h.data_offset != 8 + h.header_size || h.data_offset > file_size) __builtin_trap();
  const uint64_t data_size = file_size - h.data_offset;
  uint64_t reach = 0;
  for (size_t i = 0; i < h.tensors.size(); ++i) {
    const mote::TensorEntry& e = h.tensors[i];
    if (e.begin > e.end || e.end > data_size) __builtin_trap();
    if (i > 0 && e.begin < h.tensors[i - 1].begin) __builtin_trap();  // sorted by offset
    if (e.end > e.begin) {
      if (e.begin < reach) __builtin_trap();  // overlap
      reach = e.end;
    }
    uint64_t bytes = mote::dtype_size(e.dtype);
    for (int64_t d : e.shape) {
      if (d < 0) __builtin_trap();
      bytes *= static_cast<uint64_t>(d);  // cannot wrap: the parser bounds it by the range
    }
    if (bytes != e.end - e.begin) __builtin_trap();
    if (e.numel() < 0) __builtin_trap();
  }
}

void parse(std::string_view bytes, uint64_t file_size) {
  try {
    check_invariants(mote::parse_safetensors_header(bytes, file_size, "fuzz.safetensors"),
                     file_size);
  } catch (const mote::Error&) {
    // Rejected input: the expected outcome for almost everything.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse(bytes, size);         // the whole file
  parse(bytes, size + 4096);  // only the beginning of a longer file (as when reading a prefix)
  return 0;
}
