#pragma once
// Statistics of flip counts: a Wilson score interval for a binomial proportion and the one-sided
// Fisher exact test of two proportions. The random-expert control and every reported flip rate
// use them.
#include <cstddef>
#include <nlohmann/json.hpp>

namespace mote::sessions {

// The normal quantile of a two-sided 95 % interval.
inline constexpr double kZ95 = 1.959963984540054;

// [low, high] around successes / trials. Trials 0 gives [0, 1] (nothing is known).
struct ProportionInterval {
  double low = 0.0;
  double high = 1.0;
  nlohmann::json to_json() const { return nlohmann::json::array({low, high}); }
  // [low, high], or the default [0, 1] for anything else (results stored before intervals).
  static ProportionInterval from_json(const nlohmann::json& json);
};

// Wilson's score interval: unlike the normal approximation it stays inside [0, 1] and is not
// degenerate at 0 or n successes, which flip counts of a few dozen prompts often are.
ProportionInterval wilson_interval(std::size_t successes, std::size_t trials, double z = kZ95);

// One-sided Fisher exact test that group A's proportion (a of n_a) is larger than group B's (b of
// n_b): P(X >= a) for X hypergeometric with the table's margins fixed. 1 when a = 0; SessionError
// if a > n_a or b > n_b.
double fisher_exact_greater(std::size_t a, std::size_t n_a, std::size_t b, std::size_t n_b);

}  // namespace mote::sessions
