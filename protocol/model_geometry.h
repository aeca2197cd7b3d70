#pragma once
// The routing shape of a MoE model: which layers are MoE layers, how many routed experts each has
// and how many the router selects per token. Everything outside the engine (sessions, the GUI,
// the wire format) sees a model only through this.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/expert_address.h"

namespace mote {

struct ModelGeometry {
  std::vector<int> moe_layers;  // ascending model layer indices
  int n_experts = 0;            // routed experts per MoE layer
  int top_k = 0;                // experts selected per token

  std::size_t n_moe_layers() const { return moe_layers.size(); }
  std::size_t n_cells() const { return moe_layers.size() * static_cast<std::size_t>(n_experts); }

  bool is_moe_layer(int layer) const;
  // 0-based index among MoE layers of model layer `layer`; GeometryError if not a MoE layer.
  int moe_index(int layer) const;
  bool contains(const ExpertAddress& address) const;
  // Flat index into a [n_moe_layers x n_experts] map; GeometryError outside the geometry.
  std::size_t flat_index(const ExpertAddress& address) const;
  ExpertAddress address_of(std::size_t flat_index) const;
  // "3..60" for a contiguous run of MoE layers, "1, 3, 5" otherwise, "none" when empty.
  std::string describe_moe_layers() const;

  // GeometryError unless layers are ascending, unique and >= 0 and n_experts >= top_k >= 1.
  void validate() const;

  // {"moe_layers": [...], "n_experts": N, "top_k": K}
  nlohmann::json to_json() const;
  static ModelGeometry from_json(const nlohmann::json& json);  // validated
  // DeepSeek-R1 / V3: layers 3..60 are MoE, 256 routed experts, top-8.
  static ModelGeometry deepseek_r1();
  friend bool operator==(const ModelGeometry&, const ModelGeometry&) = default;
};

}  // namespace mote
