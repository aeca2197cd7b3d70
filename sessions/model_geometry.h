#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mote::sessions {

// (layer, expert): `layer` is the model layer index as in the checkpoint tensor names (R1: 3..60),
// `expert` the routed-expert index 0..n_experts-1.
struct ExpertAddress {
  int layer = 0;
  int expert = 0;
  friend bool operator==(const ExpertAddress&, const ExpertAddress&) = default;
  friend auto operator<=>(const ExpertAddress&, const ExpertAddress&) = default;
};

// The routing shape of a MoE model: which layers are MoE layers, how many routed experts each
// has and how many are selected per token.
struct ModelGeometry {
  std::vector<int> moe_layers;  // ascending model layer indices
  int n_experts = 0;
  int top_k = 0;

  std::size_t n_moe_layers() const { return moe_layers.size(); }
  std::size_t n_cells() const { return moe_layers.size() * static_cast<std::size_t>(n_experts); }

  // 0-based index among MoE layers of model layer `layer`; throws SessionError if not a MoE layer.
  int moe_index(int layer) const;
  bool contains(const ExpertAddress& address) const;
  // Flat index into a [n_moe_layers x n_experts] map.
  std::size_t flat_index(const ExpertAddress& address) const;
  ExpertAddress address_of(std::size_t flat_index) const;

  // Throws SessionError unless layers are ascending and unique and n_experts >= top_k >= 1.
  void validate() const;

  nlohmann::json to_json() const;
  static ModelGeometry from_json(const nlohmann::json& json);
  // DeepSeek-R1 / V3: layers 3..60 are MoE, 256 routed experts, top-8.
  static ModelGeometry deepseek_r1();
};

}  // namespace mote::sessions
