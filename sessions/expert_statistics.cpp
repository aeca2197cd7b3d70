#include "sessions/expert_statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "sessions/resonance.h"
#include "sessions/session_error.h"

namespace mote::sessions {

std::vector<float> welch_t(const MapMatrix& maps, const std::vector<bool>& in_target,
                           const std::vector<bool>& included) {
  const std::size_t n_cells = maps.n_cells;
  // Two-pass (mean, then squared deviations) for accuracy with large counts.
  std::vector<double> sum[2] = {std::vector<double>(n_cells, 0.0),
                                std::vector<double>(n_cells, 0.0)};
  double n[2] = {0, 0};
  for (std::size_t i = 0; i < maps.n_prompts; ++i) {
    if (!included[i]) continue;
    const int g = in_target[i] ? 0 : 1;
    n[g] += 1;
    const float* row = maps.row(i);
    for (std::size_t c = 0; c < n_cells; ++c) sum[g][c] += row[c];
  }
  std::vector<double> ss[2] = {std::vector<double>(n_cells, 0.0),
                               std::vector<double>(n_cells, 0.0)};
  for (int g = 0; g < 2; ++g) {
    for (std::size_t c = 0; c < n_cells; ++c) sum[g][c] /= n[g];  // now the mean
  }
  for (std::size_t i = 0; i < maps.n_prompts; ++i) {
    if (!included[i]) continue;
    const int g = in_target[i] ? 0 : 1;
    const float* row = maps.row(i);
    for (std::size_t c = 0; c < n_cells; ++c) {
      const double d = row[c] - sum[g][c];
      ss[g][c] += d * d;
    }
  }
  std::vector<float> t(n_cells);
  for (std::size_t c = 0; c < n_cells; ++c) {
    // Sample variances (n - 1); a group of one prompt contributes variance 0.
    const double var0 = n[0] > 1 ? ss[0][c] / (n[0] - 1) : 0.0;
    const double var1 = n[1] > 1 ? ss[1][c] / (n[1] - 1) : 0.0;
    const double diff = sum[0][c] - sum[1][c];
    const double se = std::sqrt(var0 / n[0] + var1 / n[1]);
    if (se > 0)
      t[c] = static_cast<float>(diff / se);
    else
      t[c] = diff == 0
                 ? 0.0f
                 : std::copysign(std::numeric_limits<float>::infinity(), static_cast<float>(diff));
  }
  return t;
}

std::vector<float> benjamini_hochberg(const std::vector<float>& p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<float> q(m);
  double running_min = 1.0;
  for (std::size_t r = m; r > 0; --r) {
    const std::size_t i = order[r - 1];
    running_min = std::min(
        running_min, static_cast<double>(p[i]) * static_cast<double>(m) / static_cast<double>(r));
    q[i] = static_cast<float>(running_min);
  }
  return q;
}

namespace {

// log C(n, k) via lgamma, to decide whether exhaustive enumeration fits in the budget.
double log_binomial(std::size_t n, std::size_t k) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
}

// Calls visit(subset) for every k-subset of 0..n-1 in lexicographic order.
template <typename Visit>
void for_each_subset(std::size_t n, std::size_t k, Visit visit) {
  std::vector<std::size_t> subset(k);
  std::iota(subset.begin(), subset.end(), 0);
  while (true) {
    visit(subset);
    std::size_t i = k;
    while (i > 0 && subset[i - 1] == n - k + i - 1) --i;
    if (i == 0) return;
    ++subset[i - 1];
    for (std::size_t j = i; j < k; ++j) subset[j] = subset[j - 1] + 1;
  }
}

// Permutation p-values. The statistic is the difference of group means; with fixed group sizes it
// is a monotone function of the sum over the smaller group, so each relabeling costs one pass
// summing `k` rows: O(k * n_cells) per permutation, vectorized over cells.
// `rows`: all included prompts; `target_rows`: those in the class.
std::vector<float> permutation_p(const MapMatrix& maps, const std::vector<std::size_t>& rows,
                                 const std::vector<std::size_t>& target_rows,
                                 const ExpertStatisticsOptions& options, std::mt19937_64& rng) {
  const std::size_t n = rows.size(), n_cells = maps.n_cells;
  const std::size_t n_target = target_rows.size(), n_rest = n - n_target;
  std::vector<double> total(n_cells, 0.0), observed_target(n_cells, 0.0);
  for (std::size_t r : rows) {
    const float* row = maps.row(r);
    for (std::size_t c = 0; c < n_cells; ++c) total[c] += row[c];
  }
  for (std::size_t r : target_rows) {
    const float* row = maps.row(r);
    for (std::size_t c = 0; c < n_cells; ++c) observed_target[c] += row[c];
  }
  // Observed statistic computed exactly like the permuted ones, so the observed labeling ties.
  std::vector<double> observed_diff(n_cells);
  for (std::size_t c = 0; c < n_cells; ++c) {
    observed_diff[c] = observed_target[c] / n_target - (total[c] - observed_target[c]) / n_rest;
  }
  // Sum over the smaller group; the other group's sum is total - that.
  const bool sum_target_side = n_target <= n_rest;
  const std::size_t k = sum_target_side ? n_target : n_rest;
  // Tolerance so rounding of equal statistics (the other-group sum is total - subset) still
  // counts as "at least as extreme".
  const double eps = 1e-12;
  std::vector<double> subset_sum(n_cells);
  std::vector<std::uint32_t> count(n_cells, 0);
  auto evaluate = [&](const std::vector<std::size_t>& subset) {
    std::fill(subset_sum.begin(), subset_sum.end(), 0.0);
    for (std::size_t s : subset) {
      const float* row = maps.row(rows[s]);
      for (std::size_t c = 0; c < n_cells; ++c) subset_sum[c] += row[c];
    }
    for (std::size_t c = 0; c < n_cells; ++c) {
      const double s_target = sum_target_side ? subset_sum[c] : total[c] - subset_sum[c];
      const double diff = s_target / n_target - (total[c] - s_target) / n_rest;
      const double obs = observed_diff[c];
      const double scale = eps * (1.0 + std::fabs(obs) + std::fabs(total[c]));
      bool extreme;
      switch (options.alternative) {
        case Alternative::kGreater:
          extreme = diff >= obs - scale;
          break;
        case Alternative::kLess:
          extreme = diff <= obs + scale;
          break;
        default:
          extreme = std::fabs(diff) >= std::fabs(obs) - scale;
          break;
      }
      count[c] += extreme ? 1 : 0;
    }
  };
  std::vector<float> p(n_cells, 1.0f);
  if (options.permutations == 0) return p;
  const bool exact =
      log_binomial(n, k) <= std::log(static_cast<double>(options.permutations)) + 1e-9;
  if (exact) {
    std::size_t n_subsets = 0;
    for_each_subset(n, k, [&](const std::vector<std::size_t>& subset) {
      evaluate(subset);
      ++n_subsets;
    });
    for (std::size_t c = 0; c < n_cells; ++c)
      p[c] = static_cast<float>(static_cast<double>(count[c]) / n_subsets);
    return p;
  }
  std::vector<std::size_t> pool(n);
  std::iota(pool.begin(), pool.end(), 0);
  std::vector<std::size_t> subset(k);
  for (std::size_t perm = 0; perm < options.permutations; ++perm) {
    // Partial Fisher-Yates: the first k of a uniform shuffle are a uniform k-subset.
    for (std::size_t i = 0; i < k; ++i) {
      std::uniform_int_distribution<std::size_t> pick(i, n - 1);
      std::swap(pool[i], pool[pick(rng)]);
      subset[i] = pool[i];
    }
    evaluate(subset);
  }
  for (std::size_t c = 0; c < n_cells; ++c) {
    p[c] = static_cast<float>((count[c] + 1.0) / (options.permutations + 1.0));
  }
  return p;
}

std::vector<float> bootstrap_stability(const MapMatrix& maps,
                                       const std::vector<std::size_t>& target_rows,
                                       const std::vector<std::size_t>& rest_rows,
                                       const ExpertStatisticsOptions& options,
                                       std::mt19937_64& rng) {
  const std::size_t n_cells = maps.n_cells;
  std::vector<float> stability(n_cells, 0.0f);
  if (options.bootstrap_resamples == 0 || options.top_n == 0) return stability;
  const std::size_t top_n = std::min(options.top_n, n_cells);
  std::vector<std::uint32_t> hits(n_cells, 0);
  std::vector<double> sum_target(n_cells), sum_rest(n_cells);
  std::vector<float> resonance(n_cells);
  std::vector<std::size_t> order(n_cells);
  auto resample_sum = [&](const std::vector<std::size_t>& rows, std::vector<double>& sum) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::uniform_int_distribution<std::size_t> pick(0, rows.size() - 1);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const float* row = maps.row(rows[pick(rng)]);
      for (std::size_t c = 0; c < n_cells; ++c) sum[c] += row[c];
    }
  };
  for (std::size_t b = 0; b < options.bootstrap_resamples; ++b) {
    resample_sum(target_rows, sum_target);
    resample_sum(rest_rows, sum_rest);
    for (std::size_t c = 0; c < n_cells; ++c) {
      resonance[c] =
          static_cast<float>(sum_target[c] / target_rows.size() - sum_rest[c] / rest_rows.size());
    }
    std::iota(order.begin(), order.end(), 0);
    // Same tie rule as rank_descending: higher value first, then lower index.
    std::nth_element(
        order.begin(), order.begin() + (top_n - 1), order.end(), [&](std::size_t a, std::size_t c) {
          return resonance[a] > resonance[c] || (resonance[a] == resonance[c] && a < c);
        });
    for (std::size_t i = 0; i < top_n; ++i) ++hits[order[i]];
  }
  for (std::size_t c = 0; c < n_cells; ++c) {
    stability[c] = static_cast<float>(static_cast<double>(hits[c]) / options.bootstrap_resamples);
  }
  return stability;
}

}  // namespace

ExpertStatistics compute_expert_statistics(const MapMatrix& maps,
                                           const std::vector<std::string>& labels,
                                           const std::string& target,
                                           const ExpertStatisticsOptions& options) {
  if (labels.size() != maps.n_prompts) {
    throw SessionError("got " + std::to_string(labels.size()) + " labels for " +
                       std::to_string(maps.n_prompts) + " activation maps");
  }
  std::vector<bool> included;
  const auto in_target = target_membership(labels, target, &included);
  std::vector<std::size_t> rows, target_rows, rest_rows;
  for (std::size_t i = 0; i < maps.n_prompts; ++i) {
    if (!included[i]) continue;
    rows.push_back(i);
    (in_target[i] ? target_rows : rest_rows).push_back(i);
  }
  ExpertStatistics stats;
  stats.target = target;
  stats.n_target = target_rows.size();
  stats.n_rest = rest_rows.size();
  stats.resonance = resonance_map(maps, labels, target);
  stats.t = welch_t(maps, in_target, included);
  std::mt19937_64 rng(options.seed);
  stats.p = permutation_p(maps, rows, target_rows, options, rng);
  stats.q = benjamini_hochberg(stats.p);
  std::mt19937_64 bootstrap_rng(options.seed ^ 0x9E3779B97F4A7C15ull);
  stats.stability = bootstrap_stability(maps, target_rows, rest_rows, options, bootstrap_rng);
  return stats;
}

}  // namespace mote::sessions
