#include "sessions/map_matrix.h"

#include <algorithm>

#include "sessions/session_error.h"

namespace mote::sessions {

MapMatrix stack_maps(const std::vector<ActivationMap>& maps) {
  MapMatrix matrix;
  matrix.n_prompts = maps.size();
  matrix.n_cells = maps.empty() ? 0 : maps.front().size();
  matrix.values.resize(matrix.n_prompts * matrix.n_cells);
  for (std::size_t i = 0; i < maps.size(); ++i) {
    if (maps[i].rows != maps.front().rows || maps[i].cols != maps.front().cols ||
        maps[i].values.size() != matrix.n_cells) {
      throw SessionError("activation map " + std::to_string(i) + " has shape " +
                         std::to_string(maps[i].rows) + "x" + std::to_string(maps[i].cols) +
                         ", map 0 has " + std::to_string(maps.front().rows) + "x" +
                         std::to_string(maps.front().cols));
    }
    std::copy(maps[i].values.begin(), maps[i].values.end(), matrix.row(i));
  }
  return matrix;
}

}  // namespace mote::sessions
