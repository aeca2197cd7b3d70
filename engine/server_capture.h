#pragma once
// Routing capture on the wire: the compact JSON of RoutingTrace rows and activation counts that
// responses, stream chunks and scan results carry (format documented in README "Engine server").
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "engine/routing.h"
#include "engine/server_json.h"

namespace mote::server {

// v rounded to `digits` significant digits (weights: short JSON, still far below bf16 noise).
double round_significant(double v, int digits = 5);

// One row per token of `trace`: {"position", "is_prompt", "token", "ids": [n_moe*k flattened
// [layer][slot]], "weights": [...] (ids+weights)} and, when `before` is set, the router's own
// choice as "ids_before"/"weights_before". `tokens[p]` is the id at absolute position p.
nlohmann::json routing_rows(const RoutingTrace& trace, int64_t position, int64_t n_prompt,
                            const std::vector<int64_t>& tokens, Capture mode, bool before);

// [n_moe][n_experts] counts as nested arrays: integers, or weights rounded when `weighted`.
nlohmann::json counts_json(const at::Tensor& counts, bool weighted = false);

}  // namespace mote::server
