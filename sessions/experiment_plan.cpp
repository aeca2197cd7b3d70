#include "sessions/experiment_plan.h"

#include <algorithm>

#include "sessions/run_request.h"
#include "sessions/session_error.h"

namespace mote::sessions {

ExperimentPlan plan_dose_curve(const std::string& original_name, std::int64_t ftri_result,
                               const std::vector<ExpertAddress>& ranking,
                               const std::vector<std::size_t>& sizes, TuningDirection direction,
                               RankingEnd end, const ModelGeometry& geometry) {
  std::vector<std::size_t> sorted = sizes;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  ExperimentPlan plan;
  plan.direction = direction;
  for (const std::size_t n : sorted) {
    if (n == 0) {
      plan.notes.push_back("n = 0: no experts to tune");
      continue;
    }
    if (const std::string why = dose_unfit_reason(ranking, n, direction, geometry); !why.empty()) {
      plan.notes.push_back("n = " + std::to_string(n) + ": " + why);
      continue;
    }
    PlannedRun run;
    run.tuning = tuning_from_ranking(ranking, n, direction);
    run.name = ranking_run_name(original_name, ftri_result, direction, end, n);
    run.kind = RunKind::kTuned;
    run.n_experts = n;
    plan.runs.push_back(std::move(run));
  }
  if (plan.runs.empty()) {
    std::string why;
    for (const auto& note : plan.notes) why += (why.empty() ? "" : "; ") + note;
    throw SessionError("no dose can be run" + (why.empty() ? std::string() : " (" + why + ")"));
  }
  return plan;
}

ExperimentPlan plan_random_control(const RunInfo& tuned, std::size_t draws,
                                   std::size_t experts_per_draw, std::uint64_t seed) {
  if (draws == 0) throw SessionError("a random control needs at least one draw");
  if (experts_per_draw == 0) throw SessionError("a random control needs at least one expert");
  const auto exclude = tuned.config.tuning.experts();
  if (exclude.empty())
    throw SessionError("run '" + tuned.config.name + "' has no tuning to control");
  const TuningDirection direction = tuned.config.tuning.suppress.empty()
                                        ? TuningDirection::kStimulate
                                        : TuningDirection::kSuppress;
  const auto specs = random_control_draws(tuned.config.geometry, draws, experts_per_draw, exclude,
                                          seed, direction);
  ExperimentPlan plan;
  plan.direction = direction;
  for (std::size_t d = 0; d < specs.size(); ++d) {
    PlannedRun run;
    run.tuning = specs[d];
    run.name = control_run_name(tuned.config.name, experts_per_draw, seed, d);
    run.kind = RunKind::kRandomControl;
    run.draw_index = static_cast<int>(d);
    run.n_experts = experts_per_draw;
    plan.runs.push_back(std::move(run));
  }
  return plan;
}

}  // namespace mote::sessions
