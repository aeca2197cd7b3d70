#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "protocol/activation_map.h"

namespace mote::sessions {

// Activation maps of many prompts stacked into one contiguous row-major float array,
// values[prompt * n_cells + cell], shape [n_prompts x n_cells] with n_cells = n_moe_layers *
// n_experts. Every statistic loops over cells innermost so the compiler can vectorize.
struct MapMatrix {
  std::size_t n_prompts = 0;
  std::size_t n_cells = 0;
  std::vector<float> values;

  const float* row(std::size_t prompt) const { return values.data() + prompt * n_cells; }
  float* row(std::size_t prompt) { return values.data() + prompt * n_cells; }
};

// Throws SessionError if the maps differ in shape (naming the first offending index).
MapMatrix stack_maps(const std::vector<ActivationMap>& maps);

}  // namespace mote::sessions
