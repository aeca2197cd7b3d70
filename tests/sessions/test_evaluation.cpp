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

namespace {
// Flip counts of one run: `flipped` of `n_class` prompts of the class, `became` of `n_other`.
FlipRates flips(std::size_t flipped, std::size_t n_class, std::size_t became = 0,
                std::size_t n_other = 10) {
  FlipRates f;
  f.label = "A";
  f.n_class = n_class;
  f.flipped = flipped;
  f.n_other = n_other;
  f.became_class = became;
  f.rate = static_cast<double>(flipped) / static_cast<double>(n_class);
  f.reverse_rate = static_cast<double>(became) / static_cast<double>(n_other);
  return f;
}
}  // namespace

TEST_CASE("random control summary: mean, std, empirical p, Fisher p, intervals", "[evaluation]") {
  // draws 2, 1, 8, 4 of 20 = 0.1, 0.05, 0.4, 0.2: mean 0.1875; squared deviations 0.00765625 +
  // 0.01890625 + 0.04515625 + 0.00015625 = 0.071875; / 3 = 0.0239583; std = 0.1547848.
  // One draw (0.4) >= tuned 8/20: p = (1 + 1) / (4 + 1) = 0.4.
  const auto s = summarize_random_control(
      flips(8, 20, 1), {flips(2, 20, 0), flips(1, 20, 2), flips(8, 20, 0), flips(4, 20, 1)});
  REQUIRE(s.mean == Approx(0.1875));
  REQUIRE(s.std == Approx(0.1547848));
  REQUIRE(s.p == Approx(0.4));
  // Pooled 15 of 80; Fisher one-sided P(X >= 8), X ~ hypergeometric(N 100, 23 flips, 20 drawn),
  // by exact integer sums (Python math.comb): 0.04661236592131847.
  REQUIRE(s.pooled_flipped == 15);
  REQUIRE(s.pooled_trials == 80);
  REQUIRE(s.fisher_p == Approx(0.04661236592131847).epsilon(1e-9));
  // Wilson 95 % of 8/20: [0.218807, 0.613418].
  REQUIRE(s.tuned_ci.low == Approx(0.21880653237281705));
  REQUIRE(s.tuned_ci.high == Approx(0.6134184992377469));
  REQUIRE(s.draws_ci.size() == 4);
  REQUIRE(s.draws_flipped == std::vector<std::size_t>{2, 1, 8, 4});
  REQUIRE(s.tuned_reverse_rate() == Approx(0.1));
  REQUIRE(s.pooled_reverse_rate() == Approx(3.0 / 40));
  REQUIRE(summarize_random_control(flips(18, 20), {flips(2, 20), flips(4, 20)}).p ==
          Approx(1.0 / 3));
  const auto none = summarize_random_control(flips(2, 20), {});
  REQUIRE(none.p == 1.0);
  REQUIRE(std::isnan(none.fisher_p));
  // The stored JSON round-trips; a result stored before the counts loads its rates only.
  const auto json = s.to_json();
  REQUIRE(json.at("p") == Approx(0.4));
  REQUIRE(json.at("fisher_p") == Approx(s.fisher_p));
  const auto back = RandomControlSummary::from_json(json);
  REQUIRE(back.draws_flipped == s.draws_flipped);
  REQUIRE(back.tuned_ci.low == Approx(s.tuned_ci.low));
  REQUIRE(back.fisher_p == Approx(s.fisher_p));
  REQUIRE(back.pooled_reverse_rate() == Approx(s.pooled_reverse_rate()));
  const auto old = RandomControlSummary::from_json(
      {{"tuned", 0.4}, {"draws", {0.1}}, {"mean", 0.1}, {"std", 0.0}, {"p", 0.5}});
  REQUIRE(old.p == 0.5);
  REQUIRE(old.n_class == 0);
  REQUIRE(std::isnan(old.fisher_p));
  auto broken = json;
  broken["draws_flipped"] = {1};
  REQUIRE_THROWS_WITH(RandomControlSummary::from_json(broken), Catch::Contains("4 draws"));
}

TEST_CASE("Wilson intervals and the one-sided Fisher exact test", "[evaluation]") {
  // Textbook values: Wilson 5/10 = [0.2366, 0.7634], 0/10 = [0, 0.2775].
  REQUIRE(wilson_interval(5, 10).low == Approx(0.236593090512564));
  REQUIRE(wilson_interval(5, 10).high == Approx(0.7634069094874361));
  REQUIRE(wilson_interval(0, 10).low == 0.0);
  REQUIRE(wilson_interval(0, 10).high == Approx(0.2775327998628892));
  REQUIRE(wilson_interval(10, 10).high == 1.0);
  REQUIRE(wilson_interval(0, 0).low == 0.0);
  REQUIRE(wilson_interval(0, 0).high == 1.0);
  // Fisher's lady tasting tea, 4 of 4 against 0 of 4: 1 / C(8, 4) = 1/70; 3 of 4 against 1 of 4:
  // 17/70.
  REQUIRE(fisher_exact_greater(4, 4, 0, 4) == Approx(1.0 / 70));
  REQUIRE(fisher_exact_greater(3, 4, 1, 4) == Approx(17.0 / 70));
  REQUIRE(fisher_exact_greater(0, 4, 3, 4) == 1.0);
  // A study's size: 13 of 91 against 82 of 4550 (50 draws): 2.4930544e-08 (Python math.comb).
  REQUIRE(fisher_exact_greater(13, 91, 82, 4550) == Approx(2.4930544177843597e-08).epsilon(1e-6));
  REQUIRE_THROWS_WITH(fisher_exact_greater(5, 4, 0, 4), Catch::Contains("not a 2x2 table"));
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
