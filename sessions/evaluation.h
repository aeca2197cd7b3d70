#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"
#include "sessions/proportion_statistics.h"

namespace mote::sessions {

// Class transitions original -> tuned over the same prompts. counts[i][j] = prompts labelled
// labels[i] originally and labels[j] after tuning; row_percent[i][j] = 100 * counts[i][j] / row
// total (0 for an empty row).
struct TransitionMatrix {
  std::vector<std::string> labels;
  std::vector<std::vector<std::size_t>> counts;
  std::vector<std::vector<double>> row_percent;

  std::size_t count(const std::string& from, const std::string& to) const;
  nlohmann::json to_json() const;
  // "from\to,A,B,...\nA,n,n,...": counts, then a blank line and the row percentages.
  std::string to_csv() const;
};

// `original[i]` and `tuned[i]` are the labels of prompt i in the two runs (same length, else
// SessionError). `label_order` fixes the row/column order; labels not in it are appended sorted.
TransitionMatrix transition_matrix(const std::vector<std::string>& original,
                                   const std::vector<std::string>& tuned,
                                   const std::vector<std::string>& label_order = {});

// Flips of class C:
//   rate         = |{i : original_i = C, tuned_i != C}| / |{i : original_i = C}|   ("flip of C")
//   reverse_rate = |{i : original_i != C, tuned_i = C}| / |{i : original_i != C}|  ("reverse
//   flips")
// A rate with an empty denominator is 0. JSON adds their Wilson 95 % intervals (rate_ci,
// reverse_rate_ci).
struct FlipRates {
  std::string label;
  std::size_t n_class = 0, flipped = 0;
  std::size_t n_other = 0, became_class = 0;
  double rate = 0.0;
  double reverse_rate = 0.0;
  ProportionInterval rate_ci() const { return wilson_interval(flipped, n_class); }
  ProportionInterval reverse_rate_ci() const { return wilson_interval(became_class, n_other); }
  nlohmann::json to_json() const;
};
FlipRates flip_rates(const std::vector<std::string>& original,
                     const std::vector<std::string>& tuned, const std::string& label);

enum class TuningDirection { kSuppress, kStimulate };

// K draws of N distinct random experts, none of them in `exclude` (the tuned set), each as a
// tuning spec in `direction`. Deterministic for a seed: draw d uses its own stream seeded from
// (seed, d), so draw d is the same whatever K is (a resumed control run gets the same sets).
std::vector<TuningSpec> random_control_draws(const ModelGeometry& geometry, std::size_t draws,
                                             std::size_t experts_per_draw,
                                             const std::vector<ExpertAddress>& exclude,
                                             std::uint64_t seed, TuningDirection direction);

// Tuned flips vs the flips of K random draws over the same original run (each draw's denominator
// is the same n_class prompts of the class).
//   p        = (#draws with flip >= tuned + 1) / (K + 1): one-sided empirical p for "the tuned set
//              flips more than random sets" (its smallest value is 1 / (K + 1)).
//   fisher_p = one-sided Fisher exact test of tuned_flipped / n_class against the pooled random
//              flips, sum of draws_flipped / pooled_trials (K * n_class when every draw answered
//              every prompt). It treats the pooled trials as independent, which they are not
//              quite (the same prompts in every draw).
// Every rate has a Wilson 95 % interval. Reverse flips (others becoming the class) likewise.
// Results stored before the counts were kept load with n_class = 0 (intervals [0, 1], fisher_p
// NaN).
struct RandomControlSummary {
  double tuned = 0.0;
  std::vector<double> draws;
  double mean = 0.0;
  double std = 0.0;  // sample standard deviation (K - 1); 0 for K < 2
  double p = 1.0;

  std::size_t n_class = 0;
  std::size_t tuned_flipped = 0;
  std::vector<std::size_t> draws_flipped;
  ProportionInterval tuned_ci;
  std::vector<ProportionInterval> draws_ci;
  std::size_t pooled_flipped = 0, pooled_trials = 0;
  ProportionInterval pooled_ci;  // of pooled_rate()
  double pooled_rate() const;    // = mean when every draw has the same n_class
  double fisher_p = std::numeric_limits<double>::quiet_NaN();

  // Reverse flips: n_other prompts not of the class originally.
  std::size_t n_other = 0;
  std::size_t tuned_reverse = 0;
  std::vector<std::size_t> draws_reverse;
  std::size_t pooled_reverse_trials = 0;
  ProportionInterval tuned_reverse_ci, pooled_reverse_ci;
  double tuned_reverse_rate() const;
  double pooled_reverse_rate() const;

  nlohmann::json to_json() const;
  static RandomControlSummary from_json(const nlohmann::json& json);
};
RandomControlSummary summarize_random_control(const FlipRates& tuned,
                                              const std::vector<FlipRates>& draws);

// Flip rate as a function of how many top-ranked experts are tuned.
struct DoseCurve {
  std::vector<std::size_t> n_experts;  // e.g. 1, 2, 5, 10, 20, 50
  std::vector<double> flip_rate;       // same length; filled as the runs finish (NaN = not yet run)
  nlohmann::json to_json() const;
  static DoseCurve from_json(const nlohmann::json& json);
};
inline const std::vector<std::size_t> kDefaultDoses{1, 2, 5, 10, 20, 50};

// Tuning specs for a dose curve: the first n of `ranking` (best first) for each n in `doses`.
std::vector<TuningSpec> dose_curve_specs(const std::vector<ExpertAddress>& ranking,
                                         const std::vector<std::size_t>& doses,
                                         TuningDirection direction);

// "suppress" / "stimulate" (run names, stored results).
std::string to_string(TuningDirection direction);

// Why the first n of `ranking` cannot be a dose in `direction` ("" if they can): more experts
// than the model has, or stimulating more experts in one layer than the router selects per token
// (the engine refuses that).
std::string dose_unfit_reason(const std::vector<ExpertAddress>& ranking, std::size_t n,
                              TuningDirection direction, const ModelGeometry& geometry);

// The first n experts of a ranking as a tuning spec (the export "top-N as suppress/stimulate").
TuningSpec tuning_from_ranking(const std::vector<ExpertAddress>& ranking, std::size_t n,
                               TuningDirection direction);

}  // namespace mote::sessions
