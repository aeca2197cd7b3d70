#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sessions/map_matrix.h"

namespace mote::sessions {

// Which deviation from "no difference" the permutation test counts as extreme.
enum class Alternative {
  kTwoSided,  // |diff*| >= |diff|  (default)
  kGreater,   // diff* >= diff       (expert more active in the class; the fTRI "top end")
  kLess,      // diff* <= diff
};

struct ExpertStatisticsOptions {
  // Label permutations for the p-value. If the number of distinct relabelings C(n, n_target) is
  // <= permutations, all of them are enumerated instead and p is exact (count / C, the observed
  // labeling included). Otherwise p = (count + 1) / (permutations + 1), count = permutations at
  // least as extreme as observed. 0 skips the test (p = q = 1).
  std::size_t permutations = 1000;
  Alternative alternative = Alternative::kTwoSided;
  // Bootstrap: resample prompts with replacement within the class and within the rest,
  // recompute the resonance map, and count how often each expert ranks in the top `top_n`.
  // 0 resamples skips it (stability = 0).
  std::size_t bootstrap_resamples = 200;
  std::size_t top_n = 10;
  std::uint64_t seed = 1;
};

// Per expert (cell) statistics of class `target` vs the rest, each [n_cells].
struct ExpertStatistics {
  std::string target;
  std::size_t n_target = 0;
  std::size_t n_rest = 0;
  std::vector<float> resonance;  // mean(class) - mean(rest), the fTRI map
  std::vector<float> t;  // Welch's t; +-inf if both groups are constant but differ, 0 if equal
  std::vector<float> p;  // permutation p-value
  std::vector<float> q;  // Benjamini-Hochberg q-value of p over all cells
  std::vector<float> stability;  // fraction of bootstrap resamples with the cell in the top_n
};

// Prompts with an empty label are excluded. Throws SessionError if a group is empty or sizes
// disagree.
ExpertStatistics compute_expert_statistics(const MapMatrix& maps,
                                           const std::vector<std::string>& labels,
                                           const std::string& target,
                                           const ExpertStatisticsOptions& options);

// Welch's t per cell for two groups given as row sets of `maps` ([n_cells]).
std::vector<float> welch_t(const MapMatrix& maps, const std::vector<bool>& in_target,
                           const std::vector<bool>& included);

// Benjamini-Hochberg step-up q-values: q_(i) = min_{j >= i} min(1, m p_(j) / j), in input order.
std::vector<float> benjamini_hochberg(const std::vector<float>& p);

}  // namespace mote::sessions
