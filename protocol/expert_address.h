#pragma once
// One routed expert of a MoE model, the unit that MoTE suppresses or stimulates.
#include <compare>
#include <string>

namespace mote {

// `layer` is the model layer index as in the checkpoint's tensor names (R1: 3..60, dense layers
// 0..2 have no experts); `expert` is the routed-expert index 0..n_experts-1.
struct ExpertAddress {
  int layer = 0;
  int expert = 0;
  friend bool operator==(const ExpertAddress&, const ExpertAddress&) = default;
  friend auto operator<=>(const ExpertAddress&, const ExpertAddress&) = default;
};

// "[layer, expert]", the way the JSON spells it; every message about an address uses it.
inline std::string to_string(const ExpertAddress& address) {
  return "[" + std::to_string(address.layer) + ", " + std::to_string(address.expert) + "]";
}

}  // namespace mote
