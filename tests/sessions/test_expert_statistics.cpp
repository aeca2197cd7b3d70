#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "sessions/expert_statistics.h"
#include "sessions/resonance.h"
#include "sessions/session_error.h"

using namespace mote::sessions;

namespace {

MapMatrix matrix(std::size_t n_cells, const std::vector<std::vector<float>>& rows) {
  MapMatrix m;
  m.n_prompts = rows.size();
  m.n_cells = n_cells;
  for (const auto& r : rows) m.values.insert(m.values.end(), r.begin(), r.end());
  return m;
}

// 3 cells. A = {p0, p1}, rest = {p2 (B), p3 (C)}; p4 is unlabelled and must be ignored.
const MapMatrix kSmall = matrix(3, {{4, 0, 1}, {2, 2, 1}, {0, 1, 1}, {1, 3, 1}, {100, 100, 100}});
const std::vector<std::string> kSmallLabels{"A", "A", "B", "C", ""};

}  // namespace

TEST_CASE("class means and fTRI resonance, hand-worked", "[ftri]") {
  const auto means = class_mean_maps(kSmall, kSmallLabels);
  REQUIRE(means.size() == 3);
  REQUIRE(means.at("A") == std::vector<float>{3, 1, 1});
  REQUIRE(means.at("B") == std::vector<float>{0, 1, 1});
  REQUIRE(means.at("C") == std::vector<float>{1, 3, 1});
  // rest of A = mean(p2, p3) = [0.5, 2, 1]  ->  resonance = [2.5, -1, 0]
  const auto resonance = resonance_map(kSmall, kSmallLabels, "A");
  REQUIRE(resonance == std::vector<float>{2.5f, -1.0f, 0.0f});
  REQUIRE(rank_descending(resonance) == std::vector<std::size_t>{0, 2, 1});
  REQUIRE(rank_descending({1, 3, 3, 0}) ==
          std::vector<std::size_t>{1, 2, 0, 3});  // ties: lower index first
  REQUIRE_THROWS_WITH(resonance_map(kSmall, kSmallLabels, "Z"),
                      Catch::Contains("no prompt is labelled \"Z\""));
  REQUIRE_THROWS_WITH(resonance_map(kSmall, {"A", "A", "", "", ""}, "A"),
                      Catch::Contains("nothing to compare"));
  REQUIRE_THROWS_WITH(resonance_map(kSmall, {"A"}, "A"),
                      Catch::Contains("1 labels for 5 activation maps"));
}

TEST_CASE("Welch t matches hand computation", "[ftri][stats]") {
  // cell 0: A = {4, 2}: mean 3, s^2 = 2;  rest = {0, 1}: mean 0.5, s^2 = 0.5
  //         t = 2.5 / sqrt(2/2 + 0.5/2) = 2.5 / sqrt(1.25) = sqrt(5) = 2.2360680
  // cell 1: A = {0, 2}: mean 1, s^2 = 2;  rest = {1, 3}: mean 2, s^2 = 2
  //         t = -1 / sqrt(1 + 1) = -0.7071068
  // cell 2: constant 1 everywhere: t = 0
  std::vector<bool> included;
  const auto in_target = target_membership(kSmallLabels, "A", &included);
  const auto t = welch_t(kSmall, in_target, included);
  REQUIRE(t[0] == Approx(2.2360680));
  REQUIRE(t[1] == Approx(-0.7071068));
  REQUIRE(t[2] == 0.0f);
  // Constant but different groups: infinite t with the sign of the difference.
  const auto c = matrix(1, {{5}, {5}, {1}, {1}});
  std::vector<bool> all(4, true);
  REQUIRE(std::isinf(welch_t(c, {true, true, false, false}, all)[0]));
  REQUIRE(welch_t(c, {true, true, false, false}, all)[0] > 0);
}

TEST_CASE("permutation p is exact when all relabelings fit the budget", "[stats]") {
  // Cell 0 values (A A | rest) = 4 2 | 0 1. The C(4,2) = 6 relabelings give differences of means
  // {4,2}: 2.5, {4,0}: 0.5, {4,1}: 1.5, {2,0}: -1.5, {2,1}: -0.5, {0,1}: -2.5.
  ExpertStatisticsOptions options;
  options.permutations = 1000;
  options.bootstrap_resamples = 0;
  options.alternative = Alternative::kGreater;
  auto s = compute_expert_statistics(kSmall, kSmallLabels, "A", options);
  REQUIRE(s.n_target == 2);
  REQUIRE(s.n_rest == 2);
  REQUIRE(s.p[0] == Approx(1.0 / 6));  // only the observed labeling reaches 2.5
  REQUIRE(s.p[2] == Approx(1.0));      // constant cell: every labeling ties
  options.alternative = Alternative::kTwoSided;
  s = compute_expert_statistics(kSmall, kSmallLabels, "A", options);
  REQUIRE(s.p[0] == Approx(2.0 / 6));  // |2.5| and |-2.5|
  options.alternative = Alternative::kLess;
  s = compute_expert_statistics(kSmall, kSmallLabels, "A", options);
  REQUIRE(s.p[0] == Approx(1.0));
  // Cell 1 values 0 2 | 1 3: relabelings give -1 (observed), -2, 0, 0, 2, 1; two are <= -1.
  REQUIRE(s.p[1] == Approx(2.0 / 6));
}

TEST_CASE("random permutations use (count + 1) / (N + 1) and agree with the exact test",
          "[stats]") {
  // 20 prompts, 10 in the class: C(20,10) = 184756 relabelings.
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::vector<std::vector<float>> rows;
  std::vector<std::string> labels;
  for (int i = 0; i < 20; ++i) {
    const bool in_class = i < 10;
    // cell 0: class strictly above the rest (exact one-sided p = 1/184756);
    // cell 1: overlapping groups (p ~ 0.1); cell 2: pure noise.
    rows.push_back({in_class ? 10.0f + i : static_cast<float>(i - 10),
                    (in_class ? 0.8f : 0.0f) + noise(rng), noise(rng)});
    labels.push_back(in_class ? "X" : "Y");
  }
  const auto m = matrix(3, rows);
  ExpertStatisticsOptions options;
  options.bootstrap_resamples = 0;
  options.alternative = Alternative::kGreater;
  options.permutations = 20000;
  const auto sampled = compute_expert_statistics(m, labels, "X", options);
  REQUIRE(sampled.p[0] == Approx(1.0 / 20001));
  options.permutations = 200000;  // >= 184756: exhaustive
  const auto exact = compute_expert_statistics(m, labels, "X", options);
  REQUIRE(exact.p[0] == Approx(1.0 / 184756));
  REQUIRE(sampled.p[1] == Approx(exact.p[1]).margin(0.01));
  REQUIRE(sampled.p[2] == Approx(exact.p[2]).margin(0.015));
  // Same seed, same result; the p-values are deterministic.
  options.permutations = 20000;
  REQUIRE(compute_expert_statistics(m, labels, "X", options).p == sampled.p);
}

TEST_CASE("Benjamini-Hochberg q-values", "[stats]") {
  // Small example: sorted p = 0.005, 0.01, 0.03, 0.04 (m = 4)
  //   m p / rank = 0.02, 0.02, 0.04, 0.04; running minimum from the top keeps them.
  const auto q = benjamini_hochberg({0.01f, 0.04f, 0.03f, 0.005f});
  REQUIRE(q[0] == Approx(0.02));
  REQUIRE(q[1] == Approx(0.04));
  REQUIRE(q[2] == Approx(0.04));
  REQUIRE(q[3] == Approx(0.02));
  // Benjamini & Hochberg (1995), 15 p-values: at FDR 0.05 exactly the 4 smallest are rejected.
  const std::vector<float> p{0.0001f, 0.0004f, 0.0019f, 0.0095f, 0.0201f, 0.0278f, 0.0298f, 0.0344f,
                             0.0459f, 0.3240f, 0.4262f, 0.5719f, 0.6528f, 0.7590f, 1.0000f};
  const auto q15 = benjamini_hochberg(p);
  int rejected = 0;
  for (float v : q15) rejected += v <= 0.05f;
  REQUIRE(rejected == 4);
  REQUIRE(q15[3] == Approx(0.0095 * 15 / 4));  // 0.035625
  // rank 5: 0.0201 * 15 / 5 = 0.0603, below every later m p / rank (0.0695, 0.0639, 0.0645, ...)
  REQUIRE(q15[4] == Approx(0.0603));
  // rank 6: 0.0278 * 15 / 6 = 0.0695, but rank 7 gives 0.0298 * 15 / 7 = 0.063857: the minimum wins
  REQUIRE(q15[5] == Approx(0.0298 * 15 / 7));
  REQUIRE(q15[14] == Approx(1.0));
  // Monotone in p and never below p.
  for (std::size_t i = 0; i < p.size(); ++i) REQUIRE(q15[i] >= p[i]);
}

TEST_CASE("bootstrap stability: deterministic, a dominant expert stays at 1.0", "[stats]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> noise(0.0f, 1.0f);
  std::vector<std::vector<float>> rows;
  std::vector<std::string> labels;
  for (int i = 0; i < 30; ++i) {
    std::vector<float> row(50);
    for (auto& v : row) v = noise(rng);
    const bool in_class = i % 3 == 0;
    if (in_class) row[17] += 10.0f;  // expert 17 dominates the class
    rows.push_back(row);
    labels.push_back(in_class ? "0-REFUSED" : (i % 3 == 1 ? "1-ALIGNED" : "2-REASONED"));
  }
  const auto m = matrix(50, rows);
  ExpertStatisticsOptions options;
  options.permutations = 200;
  options.bootstrap_resamples = 100;
  options.top_n = 1;
  options.seed = 42;
  const auto a = compute_expert_statistics(m, labels, "0-REFUSED", options);
  const auto b = compute_expert_statistics(m, labels, "0-REFUSED", options);
  REQUIRE(a.stability == b.stability);
  REQUIRE(a.stability[17] == 1.0f);
  float total = 0;
  for (float s : a.stability) total += s;
  REQUIRE(total == Approx(1.0));  // top-1: exactly one expert per resample
  REQUIRE(a.p[17] == Approx(1.0 / 201));
  // BH over 50 cells: q = min_j 50 p_(j) / j <= 50 / 201 for the smallest p.
  REQUIRE(a.q[17] <= Approx(50.0 / 201));
  REQUIRE(a.q[17] >= a.p[17]);
  options.top_n = 5;
  const auto c = compute_expert_statistics(m, labels, "0-REFUSED", options);
  total = 0;
  for (float s : c.stability) total += s;
  REQUIRE(total == Approx(5.0));
  REQUIRE(c.stability[17] == 1.0f);
}

TEST_CASE("R1-sized statistics run in reasonable time", "[stats][.perf]") {
  // 58 x 256 = 14,848 experts, 700 prompts, 1000 permutations, 200 bootstrap resamples.
  const std::size_t n_cells = 58 * 256, n = 700;
  MapMatrix m;
  m.n_prompts = n;
  m.n_cells = n_cells;
  m.values.resize(n * n_cells);
  std::mt19937 rng(1);
  std::poisson_distribution<int> counts(0.5);
  for (auto& v : m.values) v = static_cast<float>(counts(rng));
  std::vector<std::string> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = i % 4 == 0 ? "0-REFUSED" : "1-ALIGNED";
  ExpertStatisticsOptions options;
  const auto s = compute_expert_statistics(m, labels, "0-REFUSED", options);
  REQUIRE(s.p.size() == n_cells);
}
