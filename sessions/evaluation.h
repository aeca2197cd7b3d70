#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"

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
// A rate with an empty denominator is 0.
struct FlipRates {
  std::string label;
  std::size_t n_class = 0, flipped = 0;
  std::size_t n_other = 0, became_class = 0;
  double rate = 0.0;
  double reverse_rate = 0.0;
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

// Tuned flip rate vs the flip rates of the random draws. p = (#draws with flip >= tuned + 1) /
// (K + 1): a one-sided empirical p for "the tuned set flips more than random sets".
struct RandomControlSummary {
  double tuned = 0.0;
  std::vector<double> draws;
  double mean = 0.0;
  double std = 0.0;  // sample standard deviation (K - 1); 0 for K < 2
  double p = 1.0;
  nlohmann::json to_json() const;
};
RandomControlSummary summarize_random_control(double tuned_flip_rate,
                                              const std::vector<double>& draw_flip_rates);

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
