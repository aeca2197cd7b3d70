#pragma once
// Activation maps: per prompt, how often (or how strongly) each routed expert was selected, and
// their compact encoding for storage. Counting follows the one rule of protocol/expert_counting.h.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/model_geometry.h"

namespace mote {

// Dense activation map of one prompt: values[moe_layer * n_experts + expert], shape
// [n_moe_layers x n_experts], row-major. Counts of tokens selecting each expert, or sums of
// router weights.
struct ActivationMap {
  std::size_t rows = 0;  // MoE layers
  std::size_t cols = 0;  // routed experts
  std::vector<float> values;

  ActivationMap() = default;
  ActivationMap(std::size_t rows_, std::size_t cols_)
      : rows(rows_), cols(cols_), values(rows_ * cols_, 0.0f) {}
  static ActivationMap zeros(const ModelGeometry& geometry) {
    return ActivationMap(geometry.n_moe_layers(), static_cast<std::size_t>(geometry.n_experts));
  }
  float& at(std::size_t row, std::size_t col) { return values[row * cols + col]; }
  float at(std::size_t row, std::size_t col) const { return values[row * cols + col]; }
  std::size_t size() const { return values.size(); }
  friend bool operator==(const ActivationMap&, const ActivationMap&) = default;
};

// Routing captured for one prompt + completion, as the engine reports it.
struct RoutingRecord {
  std::size_t n_tokens = 0;
  std::size_t n_moe_layers = 0;
  std::size_t top_k = 0;
  std::vector<std::int32_t> ids;        // [n_tokens][n_moe_layers][top_k] selected expert ids
  std::vector<float> weights;           // same shape as ids, final router weights; may be empty
  std::vector<std::uint8_t> is_prompt;  // [n_tokens] 1 = prompt token, 0 = completion token
};

enum class TokenSelection { kPrompt, kCompletion, kAll };

// Count (or, if `weighted`, sum router weights) of the selected tokens choosing each expert.
// Throws ActivationMapError if the record's shape disagrees with the geometry, an id is out of
// range, or weights are requested but missing.
ActivationMap activation_map_from_routing(const RoutingRecord& record,
                                          const ModelGeometry& geometry, TokenSelection tokens,
                                          bool weighted);

// Compact binary encoding for SQLite BLOBs. Layout: "MAM1", u8 encoding, u32 rows, u32 cols, body.
//  encoding 1: dense little-endian float32.
//  encoding 2: sparse counts: u32 n_nonzero, then per nonzero a varint gap to the previous flat
//              index and a varint count (only if every value is a non-negative integer).
//  encoding 3: sparse float: u32 n_nonzero, then varint gap + float32 value.
// encode_activation_map picks the smallest. Prompt count maps are sparse (a prompt of T tokens
// touches at most T*top_k experts per layer), so encoding 2 is typically 3-6x smaller than dense.
std::string encode_activation_map(const ActivationMap& map);
ActivationMap decode_activation_map(const std::string& bytes);

}  // namespace mote
