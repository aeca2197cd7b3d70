#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mote::sessions {

// Exact t-SNE (van der Maaten & Hinton 2008): O(n^2) memory and time per iteration, fine for the
// few hundred to few thousand prompts of an experiment.
struct TsneOptions {
  double perplexity = 30.0;  // clamped to (n - 1) / 3 for small n
  std::size_t iterations = 1000;
  double early_exaggeration =
      12.0;  // P is multiplied by this for the first exaggeration_iterations
  std::size_t exaggeration_iterations = 250;
  double learning_rate = 0.0;     // 0 = automatic: max(n / early_exaggeration / 4, 50)
  double initial_momentum = 0.5;  // until exaggeration ends, then final_momentum
  double final_momentum = 0.8;
  std::uint64_t seed = 1;  // initial layout ~ N(0, 1e-4)
};

// data: [n_points x dim] row-major. Returns [n_points x 2] row-major. Throws SessionError for
// n_points < 2 or a size mismatch. Deterministic for a seed.
std::vector<float> tsne_2d(const std::vector<float>& data, std::size_t n_points, std::size_t dim,
                           const TsneOptions& options);

// Trustworthiness (Venna & Kaski) of an embedding at k neighbours: 1 - 2 / (n k (2n - 3k - 1)) *
// sum over points of sum over embedding neighbours not among the k original neighbours of
// (original rank - k). 1 = neighbourhoods preserved. Needs k < n / 2.
double trustworthiness(const std::vector<float>& high, std::size_t dim_high,
                       const std::vector<float>& low, std::size_t dim_low, std::size_t n_points,
                       std::size_t k);

}  // namespace mote::sessions
