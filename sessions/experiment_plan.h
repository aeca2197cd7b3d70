#pragma once
// What an experiment runs, decided once for the `mote` CLI and the workbench alike: the tuned runs
// of a dose curve and of a random control, each with its tuning, kind and derived name. Pure
// functions (no store, no engine), so both front ends plan exactly the same runs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/expert_address.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "sessions/evaluation.h"
#include "sessions/result_export.h"
#include "sessions/session_store.h"

namespace mote::sessions {

struct PlannedRun {
  TuningSpec tuning;
  std::string name;  // derived from the original run's (or the tuned run's) name
  RunKind kind = RunKind::kTuned;
  std::optional<int> draw_index;  // random-control draws
  std::size_t n_experts = 0;      // tuned experts
};

struct ExperimentPlan {
  std::vector<PlannedRun> runs;
  std::vector<std::string> notes;  // what was left out and why, e.g. "n = 0: no experts to tune"
  TuningDirection direction = TuningDirection::kSuppress;
};

// A dose curve over `ranking` (best first): sizes sorted and de-duplicated; 0 and sizes that
// cannot be run (more experts than the model has; stimulating more than top-k in a layer) are
// left out with a note. SessionError "no dose can be run (...)" when nothing is left.
ExperimentPlan plan_dose_curve(const std::string& original_name, std::int64_t ftri_result,
                               const std::vector<ExpertAddress>& ranking,
                               const std::vector<std::size_t>& sizes, TuningDirection direction,
                               RankingEnd end, const ModelGeometry& geometry);

// A random control of `tuned`: `draws` runs, each tuning `experts_per_draw` experts drawn
// outside the tuned set (reproducible from `seed`), in the tuned run's direction (suppress unless
// it only stimulates). SessionError for no draws, no experts, or a tuned run without tuning.
ExperimentPlan plan_random_control(const RunInfo& tuned, std::size_t draws,
                                   std::size_t experts_per_draw, std::uint64_t seed);

}  // namespace mote::sessions
