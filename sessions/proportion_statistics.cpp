#include "sessions/proportion_statistics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sessions/session_error.h"

namespace mote::sessions {

ProportionInterval ProportionInterval::from_json(const nlohmann::json& json) {
  if (!json.is_array() || json.size() != 2 || !json[0].is_number() || !json[1].is_number())
    return {};
  return {json[0].get<double>(), json[1].get<double>()};
}

ProportionInterval wilson_interval(std::size_t successes, std::size_t trials, double z) {
  if (trials == 0) return {};
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(std::min(successes, trials)) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  // Exact at the ends: the interval of 0 successes starts at 0, of n successes ends at 1.
  return {successes == 0 ? 0.0 : std::max(0.0, centre - half),
          successes >= trials ? 1.0 : std::min(1.0, centre + half)};
}

namespace {

double log_choose(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

}  // namespace

double fisher_exact_greater(std::size_t a, std::size_t n_a, std::size_t b, std::size_t n_b) {
  if (a > n_a || b > n_b) {
    throw SessionError("Fisher test: " + std::to_string(a) + " of " + std::to_string(n_a) +
                       " and " + std::to_string(b) + " of " + std::to_string(n_b) +
                       " successes is not a 2x2 table");
  }
  if (a == 0) return 1.0;
  // X = successes in group A given s successes among N = n_a + n_b:
  // P(X = x) = C(s, x) C(N - s, n_a - x) / C(N, n_a), x from max(0, n_a - (N - s)) to min(s, n_a).
  const std::size_t s = a + b, total = n_a + n_b;
  const std::size_t x_max = std::min(s, n_a);
  const double log_denominator = log_choose(static_cast<double>(total), static_cast<double>(n_a));
  std::vector<double> terms;
  for (std::size_t x = a; x <= x_max; ++x) {
    if (n_a - x > total - s) continue;  // impossible table
    terms.push_back(log_choose(static_cast<double>(s), static_cast<double>(x)) +
                    log_choose(static_cast<double>(total - s), static_cast<double>(n_a - x)) -
                    log_denominator);
  }
  if (terms.empty()) return 0.0;
  const double top = *std::max_element(terms.begin(), terms.end());
  double sum = 0.0;
  for (double t : terms) sum += std::exp(t - top);
  return std::min(1.0, std::exp(top) * sum);
}

}  // namespace mote::sessions
