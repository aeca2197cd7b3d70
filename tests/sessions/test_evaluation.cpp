#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>

#include "sessions/evaluation.h"
#include "sessions/session_error.h"

using namespace mote;
using namespace mote::sessions;

namespace {
const std::vector<std::string> kOrder{"0-REFUSED", "1-ALIGNED", "2-REASONED"};
const std::string R = "0-REFUSED", A = "1-ALIGNED", S = "2-REASONED";
}  // namespace

TEST_CASE("transition matrix counts and row percentages", "[evaluation]") {
  const std::vector<std::string> original{R, R, R, A, A, S};
  const std::vector<std::string> tuned{A, R, A, A, R, S};
  const auto m = transition_matrix(original, tuned, kOrder);
  REQUIRE(m.labels == kOrder);
  REQUIRE(m.counts == std::vector<std::vector<std::size_t>>{{1, 2, 0}, {1, 1, 0}, {0, 0, 1}});
  REQUIRE(m.row_percent[0][0] == Approx(100.0 / 3));
  REQUIRE(m.row_percent[0][1] == Approx(200.0 / 3));
  REQUIRE(m.row_percent[1][0] == Approx(50.0));
  REQUIRE(m.row_percent[2][2] == Approx(100.0));
  REQUIRE(m.count(R, A) == 2);
  const auto csv = m.to_csv();
  REQUIRE(csv.find("original\\tuned (count),0-REFUSED,1-ALIGNED,2-REASONED\n0-REFUSED,1,2,0\n") ==
          0);
  REQUIRE(csv.find("0-REFUSED,33.3333,66.6667,0.0000") != std::string::npos);
  // Labels outside the given order are appended (sorted); empty rows have 0 %.
  const auto m2 = transition_matrix({R, "UNCLASSIFIED"}, {"UNCLASSIFIED", R}, kOrder);
  REQUIRE(m2.labels.back() == "UNCLASSIFIED");
  REQUIRE(m2.row_percent[1] == std::vector<double>{0, 0, 0, 0});
  REQUIRE_THROWS_WITH(transition_matrix({R}, {}, kOrder),
                      Catch::Contains("1 original labels but 0 tuned"));
}

TEST_CASE("flip rates in both directions", "[evaluation]") {
  const std::vector<std::string> original{R, R, R, A, A, S};
  const std::vector<std::string> tuned{A, R, A, A, R, S};
  const auto f = flip_rates(original, tuned, R);
  REQUIRE(f.n_class == 3);
  REQUIRE(f.flipped == 2);
  REQUIRE(f.rate == Approx(2.0 / 3));
  REQUIRE(f.n_other == 3);
  REQUIRE(f.became_class == 1);
  REQUIRE(f.reverse_rate == Approx(1.0 / 3));
  const auto none = flip_rates(original, tuned, "ZH");
  REQUIRE(none.rate == 0.0);
  REQUIRE(none.reverse_rate == 0.0);
}

TEST_CASE("random control draws avoid the tuned set and are reproducible", "[evaluation]") {
  const ModelGeometry g{{3, 4, 5}, 8, 2};
  const std::vector<ExpertAddress> tuned{{3, 0}, {4, 7}, {5, 5}};
  const auto draws = random_control_draws(g, 50, 10, tuned, 99, TuningDirection::kSuppress);
  REQUIRE(draws.size() == 50);
  std::set<std::vector<ExpertAddress>> distinct_sets;
  for (const auto& d : draws) {
    REQUIRE(d.stimulate.empty());
    REQUIRE(d.suppress.size() == 10);
    REQUIRE_NOTHROW(d.validate(g));  // in range, no duplicates
    for (const auto& a : d.suppress) {
      REQUIRE(std::find(tuned.begin(), tuned.end(), a) == tuned.end());
    }
    distinct_sets.insert(d.suppress);
  }
  REQUIRE(distinct_sets.size() > 40);
  const auto again = random_control_draws(g, 3, 10, tuned, 99, TuningDirection::kSuppress);
  REQUIRE(again[2] == draws[2]);  // draw d does not depend on K
  REQUIRE(random_control_draws(g, 1, 10, tuned, 100, TuningDirection::kSuppress)[0] != draws[0]);
  // Stimulation forces at most top_k (2) experts on per layer: 6 in 3 layers, never 7.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto stim = random_control_draws(g, 1, 6, tuned, seed, TuningDirection::kStimulate);
    REQUIRE(stim[0].suppress.empty());
    REQUIRE(stim[0].stimulate.size() == 6);
    std::map<int, int> per_layer;
    for (const auto& a : stim[0].stimulate) ++per_layer[a.layer];
    for (const auto& [layer, n] : per_layer) REQUIRE(n == 2);
  }
  REQUIRE_THROWS_WITH(random_control_draws(g, 1, 7, tuned, 1, TuningDirection::kStimulate),
                      Catch::Contains("at most 2 per layer"));
  REQUIRE_THROWS_WITH(random_control_draws(g, 1, 22, tuned, 1, TuningDirection::kSuppress),
                      Catch::Contains("only 21 experts"));
  REQUIRE_THROWS_AS(random_control_draws(g, 1, 2, {{2, 0}}, 1, TuningDirection::kSuppress),
                    GeometryError);
}

TEST_CASE("random control summary: mean, std and empirical p", "[evaluation]") {
  // draws 0.1, 0.05, 0.4, 0.2: mean 0.1875; squared deviations 0.00765625 + 0.01890625 +
  // 0.04515625 + 0.00015625 = 0.071875; / 3 = 0.0239583; std = 0.1547848.
  // One draw (0.4) >= tuned 0.4: p = (1 + 1) / (4 + 1) = 0.4.
  const auto s = summarize_random_control(0.4, {0.1, 0.05, 0.4, 0.2});
  REQUIRE(s.mean == Approx(0.1875));
  REQUIRE(s.std == Approx(0.1547848));
  REQUIRE(s.p == Approx(0.4));
  REQUIRE(summarize_random_control(0.9, {0.1, 0.2}).p == Approx(1.0 / 3));
  REQUIRE(summarize_random_control(0.1, {}).p == 1.0);
  REQUIRE(s.to_json().at("p") == Approx(0.4));
}

TEST_CASE("dose curve specs and ranking exports", "[evaluation]") {
  std::vector<ExpertAddress> ranking;
  for (int i = 0; i < 60; ++i) ranking.push_back({3 + i % 5, i});
  const auto specs = dose_curve_specs(ranking, kDefaultDoses, TuningDirection::kSuppress);
  REQUIRE(specs.size() == 6);
  REQUIRE(specs[0].suppress == std::vector<ExpertAddress>{{3, 0}});
  REQUIRE(specs[5].suppress.size() == 50);
  const auto top = tuning_from_ranking(ranking, 2, TuningDirection::kStimulate);
  REQUIRE(top.to_json().dump() == R"({"stimulate":[[3,0],[4,1]],"suppress":[]})");
  REQUIRE_THROWS_WITH(tuning_from_ranking(ranking, 61, TuningDirection::kSuppress),
                      Catch::Contains("top 61"));
  DoseCurve curve{kDefaultDoses, {0.1, 0.2, 0.3, NAN, 0.5, 0.6}};
  const auto back = DoseCurve::from_json(curve.to_json());
  REQUIRE(back.n_experts == kDefaultDoses);
  REQUIRE(std::isnan(back.flip_rate[3]));
  REQUIRE(back.flip_rate[5] == 0.6);
  REQUIRE_THROWS_AS(DoseCurve::from_json({{"n_experts", {1}}}), SessionError);
}

TEST_CASE("which doses a model can run", "[evaluation]") {
  ModelGeometry g;
  g.moe_layers = {1, 2};
  g.n_experts = 4;
  g.top_k = 2;
  // Layer 1 three times within the first four: stimulating them would force 3 > top_k on.
  const std::vector<ExpertAddress> ranking{{1, 0}, {2, 0}, {1, 1}, {1, 2}, {2, 1}};
  CHECK(dose_unfit_reason(ranking, 3, TuningDirection::kStimulate, g).empty());
  CHECK_THAT(dose_unfit_reason(ranking, 4, TuningDirection::kStimulate, g),
             Catch::Contains("layer 1") && Catch::Contains("selects 2 per token"));
  CHECK(dose_unfit_reason(ranking, 5, TuningDirection::kSuppress, g).empty());
  CHECK_THAT(dose_unfit_reason(ranking, 6, TuningDirection::kSuppress, g),
             Catch::Contains("5 routed experts"));
  CHECK(to_string(TuningDirection::kSuppress) == "suppress");
  CHECK(to_string(TuningDirection::kStimulate) == "stimulate");
}
