#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sessions/model_geometry.h"

namespace mote::sessions {

// Which experts a run suppresses or stimulates. JSON (project-wide):
//   {"suppress": [[layer, expert], ...], "stimulate": [[layer, expert], ...]}
struct TuningSpec {
  std::vector<ExpertAddress> suppress;
  std::vector<ExpertAddress> stimulate;

  bool empty() const { return suppress.empty() && stimulate.empty(); }
  // Every tuned expert: the suppressed ones, then the stimulated ones.
  std::vector<ExpertAddress> experts() const;
  // Throws SessionError for an address outside the geometry, a duplicate, or an expert in both
  // lists (an error, never silently fixed).
  void validate(const ModelGeometry& geometry) const;

  nlohmann::json to_json() const;
  static TuningSpec from_json(const nlohmann::json& json);
  static TuningSpec parse(const std::string& json_text);
  friend bool operator==(const TuningSpec&, const TuningSpec&) = default;
};

}  // namespace mote::sessions
