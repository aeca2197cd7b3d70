#include "engine/checkpoint/safetensors_header.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/error.h"

namespace mote {
namespace {

using nlohmann::json;

// A safetensors header above this is not a checkpoint but an attack or corruption (the format's
// own reference implementation caps it at 100 MB).
constexpr uint64_t kMaxHeaderSize = 100ull << 20;
constexpr int kMaxRank = 8;
constexpr int kMaxJsonDepth = 4;

bool parse_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F32", DType::F32}, {"F16", DType::F16}, {"BF16", DType::BF16}, {"F8_E4M3", DType::F8_E4M3},
      {"F64", DType::F64}, {"I64", DType::I64}, {"I32", DType::I32},   {"I16", DType::I16},
      {"I8", DType::I8},   {"U8", DType::U8},   {"BOOL", DType::BOOL}};
  for (const auto& [name, d] : kNames)
    if (s == name) {
      out = d;
      return true;
    }
  return false;
}

}  // namespace

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32:
      return "F32";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::F8_E4M3:
      return "F8_E4M3";
    case DType::F64:
      return "F64";
    case DType::I64:
      return "I64";
    case DType::I32:
      return "I32";
    case DType::I16:
      return "I16";
    case DType::I8:
      return "I8";
    case DType::U8:
      return "U8";
    case DType::BOOL:
      return "BOOL";
  }
  return "?";
}

size_t dtype_size(DType d) {
  switch (d) {
    case DType::F64:
    case DType::I64:
      return 8;
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16:
      return 2;
    case DType::F8_E4M3:
    case DType::I8:
    case DType::U8:
    case DType::BOOL:
      return 1;
  }
  return 1;
}

int64_t TensorEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsHeader parse_safetensors_header(std::string_view bytes, uint64_t file_size,
                                           const std::string& file) {
  auto fail = [&](const std::string& what) -> CheckpointError {
    return CheckpointError(file + ": " + what);
  };
  if (file_size < 8 || bytes.size() < 8)
    throw fail("truncated: shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  if (n > kMaxHeaderSize)
    throw fail("header length " + std::to_string(n) + " is implausibly large");
  if (n > file_size - 8)
    throw fail("header length " + std::to_string(n) + " runs past the end of the file (" +
               std::to_string(file_size) + " bytes)");
  if (bytes.size() < 8 + n) throw fail("truncated header");

  SafetensorsHeader header;
  header.header_size = n;
  header.data_offset = 8 + n;
  const uint64_t data_size = file_size - header.data_offset;

  // The parser callback rejects duplicate top-level keys (nlohmann would keep the last one
  // silently, hiding a tensor) and nesting deeper than any valid header needs (depth 3:
  // {"name": {"shape": [...]}}), which also bounds recursion on hostile input.
  json j;
  std::vector<std::string> keys;
  auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxJsonDepth) throw CheckpointError(file + ": header JSON is nested too deeply");
    if (event == json::parse_event_t::key && depth == 1) keys.push_back(parsed.get<std::string>());
    return true;
  };
  try {
    j = json::parse(bytes.substr(8, n), callback);
  } catch (const json::exception& e) {
    throw fail(std::string("header is not valid JSON: ") + e.what());
  }
  std::sort(keys.begin(), keys.end());
  if (auto d = std::adjacent_find(keys.begin(), keys.end()); d != keys.end())
    throw fail("tensor '" + *d + "' appears twice in the header");
  if (!j.is_object()) throw fail("header is not a JSON object");

  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string())
          throw fail("__metadata__ value '" + m.key() + "' is not a string");
        header.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& what) { return fail("tensor '" + name + "': " + what); };
    if (!v.is_object()) throw bad("entry is not an object");
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) throw bad("missing or non-string dtype");
    if (sh == v.end() || !sh->is_array()) throw bad("missing or non-array shape");
    if (off == v.end() || !off->is_array() || off->size() != 2)
      throw bad("data_offsets must be [begin, end]");

    TensorEntry e;
    e.name = name;
    if (!parse_dtype(dt->get<std::string>(), e.dtype))
      throw bad("unknown dtype '" + dt->get<std::string>() + "'");
    if (sh->size() > kMaxRank) throw bad("rank " + std::to_string(sh->size()) + " is too large");
    // Multiply with overflow checks: the element count must fit the data section anyway.
    uint64_t numel = 1;
    for (const json& d : *sh) {
      if (!d.is_number_unsigned()) throw bad("shape entries must be non-negative integers");
      uint64_t dim = d.get<uint64_t>();
      if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        throw bad("dimension too large");
      if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim)
        throw bad("shape overflows");
      numel *= dim;
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    for (const json& o : *off)
      if (!o.is_number_unsigned()) throw bad("data_offsets must be non-negative integers");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.begin > e.end) throw bad("data_offsets begin > end");
    if (e.end > data_size)
      throw bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                ") out of range: data section has " + std::to_string(data_size) + " bytes");
    const uint64_t size = dtype_size(e.dtype);
    if (numel > std::numeric_limits<uint64_t>::max() / size) throw bad("shape overflows");
    if (numel * size != e.end - e.begin)
      throw bad("byte range holds " + std::to_string(e.end - e.begin) + " bytes but dtype " +
                dtype_name(e.dtype) + " and shape need " + std::to_string(numel * size));
    header.tensors.push_back(std::move(e));
  }

  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorEntry& a, const TensorEntry& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  // Compare each non-empty tensor with the furthest-reaching one before it (not just its
  // neighbour: an empty tensor in between must not hide an overlap). Empty tensors occupy no
  // bytes and may share an offset with anything.
  const TensorEntry* reach = nullptr;
  for (const TensorEntry& cur : header.tensors) {
    if (cur.end == cur.begin) continue;
    if (reach && cur.begin < reach->end)
      throw fail("tensors '" + reach->name + "' and '" + cur.name + "' overlap");
    if (!reach || cur.end > reach->end) reach = &cur;
  }
  return header;
}

}  // namespace mote
