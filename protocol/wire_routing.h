#pragma once
// Routing on the wire: the rows of a response's mote.routing (one per processed token) and the
// [n_moe][n_experts] count maps of prompt_counts and scan results. The engine writes them, the
// client reads them, both through these functions. Malformed input is a WireError naming the
// field.
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/activation_map.h"
#include "protocol/model_geometry.h"

namespace mote {

struct RoutingRow {
  int position = 0;  // absolute token position in prompt + completion
  bool is_prompt = false;
  std::int64_t token = 0;             // the token id at `position` (-1: not known yet)
  std::vector<int> ids;               // [n_moe * top_k], MoE layer major, after tuning
  std::vector<float> weights;         // same shape; empty unless captured with weights
  std::vector<int> ids_before;        // the router's own choice, when the request was tuned
  std::vector<float> weights_before;  // with weights and a tuning
  friend bool operator==(const RoutingRow&, const RoutingRow&) = default;

  // {"position", "is_prompt", "token", "ids", ["weights"], ["ids_before"], ["weights_before"]};
  // weights rounded to 5 significant digits (far below bf16 noise, short JSON).
  nlohmann::json to_json() const;
  static RoutingRow from_json(const nlohmann::json& json);
};

// v rounded to `digits` significant digits.
double round_significant(double v, int digits = 5);

// A count map as nested arrays: integers, or (weighted) values rounded to 5 significant digits.
nlohmann::json activation_map_to_json(const ActivationMap& map, bool weighted = false);
// WireError unless `json` is n_moe_layers x n_experts numbers of `geometry`.
ActivationMap activation_map_from_json(const nlohmann::json& json, const ModelGeometry& geometry);

}  // namespace mote
