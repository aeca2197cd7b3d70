#include "protocol/activation_map.h"

#include <cmath>
#include <cstring>

#include "protocol/error.h"

namespace mote {

ActivationMap activation_map_from_routing(const RoutingRecord& record,
                                          const ModelGeometry& geometry, TokenSelection tokens,
                                          bool weighted) {
  const std::size_t expected = record.n_tokens * record.n_moe_layers * record.top_k;
  if (record.n_moe_layers != geometry.n_moe_layers()) {
    throw ActivationMapError("routing record has " + std::to_string(record.n_moe_layers) +
                             " MoE layers, the model has " +
                             std::to_string(geometry.n_moe_layers()));
  }
  if (record.ids.size() != expected) {
    throw ActivationMapError("routing record: ids has " + std::to_string(record.ids.size()) +
                             " entries, expected tokens*layers*k = " + std::to_string(expected));
  }
  if (record.is_prompt.size() != record.n_tokens) {
    throw ActivationMapError("routing record: is_prompt has " +
                             std::to_string(record.is_prompt.size()) + " entries for " +
                             std::to_string(record.n_tokens) + " tokens");
  }
  if (weighted && record.weights.size() != expected) {
    throw ActivationMapError("routing record: weighted map requested but weights have " +
                             std::to_string(record.weights.size()) + " entries, expected " +
                             std::to_string(expected));
  }
  ActivationMap map = ActivationMap::zeros(geometry);
  const auto n_experts = static_cast<std::size_t>(geometry.n_experts);
  for (std::size_t t = 0; t < record.n_tokens; ++t) {
    const bool prompt = record.is_prompt[t] != 0;
    if ((tokens == TokenSelection::kPrompt && !prompt) ||
        (tokens == TokenSelection::kCompletion && prompt)) {
      continue;
    }
    for (std::size_t l = 0; l < record.n_moe_layers; ++l) {
      for (std::size_t j = 0; j < record.top_k; ++j) {
        const std::size_t i = (t * record.n_moe_layers + l) * record.top_k + j;
        const std::int32_t id = record.ids[i];
        if (id < 0 || static_cast<std::size_t>(id) >= n_experts) {
          throw ActivationMapError("routing record: expert id " + std::to_string(id) +
                                   " out of range at token " + std::to_string(t) + ", MoE layer " +
                                   std::to_string(l));
        }
        map.values[l * n_experts + id] += weighted ? record.weights[i] : 1.0f;
      }
    }
  }
  return map;
}

namespace {

constexpr char kMagic[4] = {'M', 'A', 'M', '1'};
constexpr std::size_t kHeaderSize = 4 + 1 + 4 + 4;

void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian host (checked in npy_writer.cpp)
  out.append(b, 4);
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

struct Reader {
  const std::string& bytes;
  std::size_t pos = 0;
  void need(std::size_t n) {
    if (pos + n > bytes.size())
      throw ActivationMapError("activation map BLOB truncated at byte " + std::to_string(pos));
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v;
    std::memcpy(&v, bytes.data() + pos, 4);
    pos += 4;
    return v;
  }
  float f32() {
    need(4);
    float v;
    std::memcpy(&v, bytes.data() + pos, 4);
    pos += 4;
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      const auto b = static_cast<unsigned char>(bytes[pos++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw ActivationMapError("activation map BLOB: malformed varint");
  }
};

}  // namespace

std::string encode_activation_map(const ActivationMap& map) {
  if (map.values.size() != map.rows * map.cols)
    throw ActivationMapError("activation map: values do not match shape");
  std::size_t nonzero = 0;
  bool integral = true;
  for (float v : map.values) {
    if (v != 0.0f) ++nonzero;
    if (!(v >= 0.0f && v <= 4.0e9f && std::floor(v) == v)) integral = false;
  }
  std::string out(kMagic, 4);
  // Sparse float costs >= 5 bytes per nonzero vs 4 per cell dense.
  const bool sparse = integral || nonzero * 5 < map.values.size() * 4;
  out.push_back(static_cast<char>(!sparse ? 1 : integral ? 2 : 3));
  put_u32(out, static_cast<std::uint32_t>(map.rows));
  put_u32(out, static_cast<std::uint32_t>(map.cols));
  if (!sparse) {
    out.append(reinterpret_cast<const char*>(map.values.data()), map.values.size() * sizeof(float));
    return out;
  }
  put_u32(out, static_cast<std::uint32_t>(nonzero));
  std::size_t previous = 0;
  for (std::size_t i = 0; i < map.values.size(); ++i) {
    const float v = map.values[i];
    if (v == 0.0f) continue;
    put_varint(out, i - previous);
    previous = i;
    if (integral) {
      put_varint(out, static_cast<std::uint64_t>(v));
    } else {
      char b[4];
      std::memcpy(b, &v, 4);
      out.append(b, 4);
    }
  }
  return out;
}

ActivationMap decode_activation_map(const std::string& bytes) {
  if (bytes.size() < kHeaderSize || bytes.compare(0, 4, kMagic, 4) != 0) {
    throw ActivationMapError(
        "activation map BLOB: bad magic (not written by encode_activation_map)");
  }
  Reader reader{bytes, 4};
  const auto encoding = static_cast<unsigned char>(bytes[reader.pos++]);
  const std::size_t rows = reader.u32();
  const std::size_t cols = reader.u32();
  // Validate sizes before allocating: a corrupt header must not trigger a huge allocation.
  // 2^22 cells is far above any MoE geometry (R1: 58 x 256 = 14,848).
  if (rows * cols > (std::size_t{1} << 22)) {
    throw ActivationMapError("activation map BLOB: implausible shape " + std::to_string(rows) +
                             "x" + std::to_string(cols));
  }
  if (encoding == 1) {
    reader.need(rows * cols * sizeof(float));
    ActivationMap map(rows, cols);
    std::memcpy(map.values.data(), bytes.data() + reader.pos, rows * cols * sizeof(float));
    reader.pos += rows * cols * sizeof(float);
    if (reader.pos != bytes.size()) throw ActivationMapError("activation map BLOB: trailing bytes");
    return map;
  }
  if (encoding != 2 && encoding != 3) {
    throw ActivationMapError("activation map BLOB: unknown encoding " + std::to_string(encoding));
  }
  const std::size_t nonzero = reader.u32();
  // Each sparse entry takes at least 2 bytes (counts) or 5 bytes (floats).
  const std::size_t min_entry = encoding == 2 ? 2 : 5;
  if (nonzero > rows * cols || nonzero * min_entry > bytes.size() - reader.pos) {
    throw ActivationMapError("activation map BLOB: " + std::to_string(nonzero) +
                             " nonzero cells do not fit");
  }
  // Read and check every entry before allocating the map.
  std::vector<std::pair<std::size_t, float>> entries;
  entries.reserve(nonzero);
  std::size_t index = 0;
  for (std::size_t n = 0; n < nonzero; ++n) {
    index += reader.varint();
    if (index >= rows * cols) throw ActivationMapError("activation map BLOB: index out of range");
    entries.emplace_back(index, encoding == 2 ? static_cast<float>(reader.varint()) : reader.f32());
  }
  if (reader.pos != bytes.size()) throw ActivationMapError("activation map BLOB: trailing bytes");
  ActivationMap map(rows, cols);
  for (const auto& [i, v] : entries) map.values[i] = v;
  return map;
}

}  // namespace mote
