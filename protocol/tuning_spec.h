#pragma once
// Which experts a run suppresses or stimulates, and the one set of rules a tuning must obey.
// The server (HTTP 400), the `mote` CLI, the workbench and the engine all call validate() and
// show its message unchanged. JSON, everywhere in the project:
//   {"suppress": [[layer, expert], ...], "stimulate": [[layer, expert], ...]}  (both optional)
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "protocol/expert_address.h"
#include "protocol/model_geometry.h"

namespace mote {

struct TuningSpec {
  std::vector<ExpertAddress> suppress;
  std::vector<ExpertAddress> stimulate;

  bool empty() const { return suppress.empty() && stimulate.empty(); }
  // Every tuned expert: the suppressed ones, then the stimulated ones.
  std::vector<ExpertAddress> experts() const;

  // The rules, each a TuningError naming the address or layer (never silently fixed):
  // - every address is a routed expert of a MoE layer of `geometry`;
  // - no address is listed twice in one list, none is in both lists;
  // - a layer stimulates at most top_k experts (each stimulated expert takes one of the top-k
  //   slots).
  void validate(const ModelGeometry& geometry) const;

  nlohmann::json to_json() const;
  // The shape only (object, known keys, [layer, expert] integer pairs); TuningError otherwise.
  // validate() checks the content against a model.
  static TuningSpec from_json(const nlohmann::json& json);
  static TuningSpec parse(const std::string& json_text);
  static TuningSpec from_file(const std::string& path);  // messages start with the path
  friend bool operator==(const TuningSpec&, const TuningSpec&) = default;
};

}  // namespace mote
