// The experiment plans the CLI and the workbench share (sessions/experiment_plan.h): dose sizes
// sorted and de-duplicated with 0 and unfit sizes left out and noted, random-control draws and
// their names.
#include <catch2/catch.hpp>

#include <set>

#include "sessions/experiment_plan.h"
#include "sessions/session_error.h"

using namespace mote;
using namespace mote::sessions;

namespace {

// 3 MoE layers x 4 experts, top-2; a ranking that puts three experts of layer 1 first.
ModelGeometry geometry() {
  return {{1, 2, 3}, 4, 2};
}

std::vector<ExpertAddress> ranking() {
  return {{1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}, {3, 3},
          {3, 2}, {2, 3}, {1, 3}, {2, 2}, {3, 0}, {3, 1}};
}

}  // namespace

TEST_CASE("a dose plan sorts, de-duplicates and notes what it leaves out", "[plan]") {
  const auto plan = plan_dose_curve("orig", 7, ranking(), {5, 0, 2, 2, 50, 1},
                                    TuningDirection::kSuppress, RankingEnd::kTop, geometry());
  REQUIRE(plan.runs.size() == 3);
  CHECK(plan.runs[0].n_experts == 1);
  CHECK(plan.runs[1].n_experts == 2);
  CHECK(plan.runs[2].n_experts == 5);
  CHECK(plan.runs[2].name == "orig-ftri7-suppress-top5");
  CHECK(plan.runs[2].kind == RunKind::kTuned);
  CHECK(plan.runs[1].tuning == TuningSpec{{{1, 0}, {1, 1}}, {}});
  REQUIRE(plan.notes.size() == 2);
  CHECK(plan.notes[0] == "n = 0: no experts to tune");
  CHECK_THAT(plan.notes[1], Catch::StartsWith("n = 50: the model has 12 routed experts"));
  for (const auto& run : plan.runs) CHECK_NOTHROW(run.tuning.validate(geometry()));
}

TEST_CASE("a stimulating dose plan leaves out sizes over top-k in a layer", "[plan]") {
  const auto plan = plan_dose_curve("orig", 1, ranking(), {1, 2, 3}, TuningDirection::kStimulate,
                                    RankingEnd::kTop, geometry());
  REQUIRE(plan.runs.size() == 2);  // n = 3 stimulates 3 experts of layer 1, top-k is 2
  REQUIRE(plan.notes.size() == 1);
  CHECK_THAT(plan.notes[0], Catch::StartsWith("n = 3: it stimulates more than 2 experts"));
  CHECK_THROWS_WITH(plan_dose_curve("orig", 1, ranking(), {0, 3}, TuningDirection::kStimulate,
                                    RankingEnd::kTop, geometry()),
                    Catch::StartsWith("no dose can be run (n = 0: no experts to tune; n = 3:"));
}

TEST_CASE("a random-control plan draws outside the tuned set, reproducibly", "[plan]") {
  RunInfo tuned;
  tuned.config.name = "orig-ftri7-suppress-top2";
  tuned.config.geometry = geometry();
  tuned.config.tuning = TuningSpec{{{1, 0}, {1, 1}}, {}};
  const auto plan = plan_random_control(tuned, 4, 2, 9);
  REQUIRE(plan.runs.size() == 4);
  for (std::size_t d = 0; d < plan.runs.size(); ++d) {
    const auto& run = plan.runs[d];
    CHECK(run.kind == RunKind::kRandomControl);
    CHECK(run.draw_index == static_cast<int>(d));
    CHECK(run.name == "orig-ftri7-suppress-top2-random2-s9-d" + std::to_string(d));
    CHECK(run.tuning.stimulate.empty());
    REQUIRE(run.tuning.suppress.size() == 2);
    for (const auto& a : run.tuning.suppress) {
      CHECK(a != ExpertAddress{1, 0});
      CHECK(a != ExpertAddress{1, 1});
    }
    CHECK_NOTHROW(run.tuning.validate(geometry()));
  }
  const auto again = plan_random_control(tuned, 4, 2, 9);
  for (std::size_t d = 0; d < 4; ++d) CHECK(again.runs[d].tuning == plan.runs[d].tuning);

  CHECK_THROWS_AS(plan_random_control(tuned, 0, 2, 9), SessionError);
  CHECK_THROWS_AS(plan_random_control(tuned, 2, 0, 9), SessionError);
  RunInfo untuned = tuned;
  untuned.config.tuning = {};
  CHECK_THROWS_WITH(plan_random_control(untuned, 2, 2, 9),
                    "run 'orig-ftri7-suppress-top2' has no tuning to control");
}
