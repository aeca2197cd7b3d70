#pragma once
// Routing capture on the wire: RoutingTrace tensors turned into the protocol's routing rows and
// activation maps (protocol/wire_routing.h and wire_completion.h write their JSON; format in
// docs/server-api.md).
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "engine/model/routing.h"
#include "protocol/activation_map.h"
#include "protocol/capture_mode.h"
#include "protocol/wire_routing.h"

namespace mote::server {

// One row per token of `trace`: ids (n_moe*k flattened [layer][slot]), weights when `mode` is
// ids+weights and, when `before` is set, the router's own choice as ids_before/weights_before.
// `tokens[p]` is the id at absolute position p (-1 beyond). Empty when capture is off.
std::vector<RoutingRow> routing_rows(const RoutingTrace& trace, int64_t position, int64_t n_prompt,
                                     const std::vector<int64_t>& tokens, CaptureMode mode,
                                     bool before);

// [n_moe, n_experts] float counts (RoutingTrace::activation_counts) as an ActivationMap.
ActivationMap activation_map_of(const at::Tensor& counts);

}  // namespace mote::server
