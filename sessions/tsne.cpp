#include "sessions/tsne.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sessions/session_error.h"

namespace mote::sessions {
namespace {

// Squared Euclidean distances, [n x n].
std::vector<double> squared_distances(const std::vector<float>& data, std::size_t n,
                                      std::size_t dim) {
  std::vector<double> norms(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const float* a = data.data() + i * dim;
    double s = 0;
    for (std::size_t d = 0; d < dim; ++d) s += static_cast<double>(a[d]) * a[d];
    norms[i] = s;
  }
  std::vector<double> dist(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const float* a = data.data() + i * dim;
    for (std::size_t j = i + 1; j < n; ++j) {
      const float* b = data.data() + j * dim;
      double dot = 0;
      for (std::size_t d = 0; d < dim; ++d) dot += static_cast<double>(a[d]) * b[d];
      // Norm expansion is fast but can go slightly negative through cancellation.
      const double v = std::max(0.0, norms[i] + norms[j] - 2.0 * dot);
      dist[i * n + j] = dist[j * n + i] = v;
    }
  }
  return dist;
}

// Row i of the conditional P(j|i): Gaussian kernel whose precision beta is found by binary search
// so that the row's entropy equals log(perplexity).
void calibrate_row(const double* dist_row, std::size_t i, std::size_t n, double log_perplexity,
                   double* p_row) {
  double beta = 1.0, beta_min = -INFINITY, beta_max = INFINITY;
  // Distances are shifted by the smallest off-diagonal one so exp() never underflows to all-zero.
  double d_min = INFINITY;
  for (std::size_t j = 0; j < n; ++j) {
    if (j != i) d_min = std::min(d_min, dist_row[j]);
  }
  for (int iter = 0; iter < 200; ++iter) {
    double sum = 0.0, weighted = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) {
        p_row[j] = 0.0;
        continue;
      }
      const double d = dist_row[j] - d_min;
      p_row[j] = std::exp(-beta * d);
      sum += p_row[j];
      weighted += d * p_row[j];
    }
    const double entropy = std::log(sum) + beta * weighted / sum;
    for (std::size_t j = 0; j < n; ++j) p_row[j] /= sum;
    const double diff = entropy - log_perplexity;
    if (std::fabs(diff) < 1e-5) break;
    if (diff > 0) {  // too flat: sharpen
      beta_min = beta;
      beta = std::isinf(beta_max) ? beta * 2.0 : (beta + beta_max) / 2.0;
    } else {
      beta_max = beta;
      beta = std::isinf(beta_min) ? beta / 2.0 : (beta + beta_min) / 2.0;
    }
  }
}

}  // namespace

std::vector<float> tsne_2d(const std::vector<float>& data, std::size_t n, std::size_t dim,
                           const TsneOptions& options) {
  if (n < 2) throw SessionError("t-SNE needs at least 2 points, got " + std::to_string(n));
  if (data.size() != n * dim) {
    throw SessionError("t-SNE: data has " + std::to_string(data.size()) + " values, expected " +
                       std::to_string(n) + " x " + std::to_string(dim));
  }
  const double perplexity = std::max(1.0, std::min(options.perplexity, (n - 1) / 3.0));
  // Input affinities P (symmetrized, normalized), [n x n].
  const auto dist = squared_distances(data, n, dim);
  std::vector<double> p(n * n);
  for (std::size_t i = 0; i < n; ++i)
    calibrate_row(&dist[i * n], i, n, std::log(perplexity), &p[i * n]);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double v = std::max((p[i * n + j] + p[j * n + i]) / (2.0 * n), 1e-12);
      p[i * n + j] = p[j * n + i] = v;
    }
  }
  const double learning_rate = options.learning_rate > 0
                                   ? options.learning_rate
                                   : std::max(n / options.early_exaggeration / 4.0, 50.0);

  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> normal(0.0, 1e-2);
  std::vector<double> y(n * 2), update(n * 2, 0.0), gains(n * 2, 1.0), grad(n * 2);
  for (auto& v : y) v = normal(rng);
  std::vector<double> num(n * n);  // Student-t kernel 1 / (1 + |yi - yj|^2)

  for (std::size_t iter = 0; iter < options.iterations; ++iter) {
    const bool exaggerating = iter < options.exaggeration_iterations;
    const double exaggeration = exaggerating ? options.early_exaggeration : 1.0;
    const double momentum = exaggerating ? options.initial_momentum : options.final_momentum;
    double sum_num = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      num[i * n + i] = 0.0;
      for (std::size_t j = i + 1; j < n; ++j) {
        const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        const double v = 1.0 / (1.0 + dx * dx + dy * dy);
        num[i * n + j] = num[j * n + i] = v;
        sum_num += 2.0 * v;
      }
    }
    // dC/dy_i = 4 sum_j (exaggeration * p_ij - q_ij) num_ij (y_i - y_j), q_ij = num_ij / sum_num.
    for (std::size_t i = 0; i < n; ++i) {
      double gx = 0.0, gy = 0.0;
      for (std::size_t j = 0; j < n; ++j) {
        if (j == i) continue;
        const double q = std::max(num[i * n + j] / sum_num, 1e-12);
        const double f = (exaggeration * p[i * n + j] - q) * num[i * n + j];
        gx += f * (y[2 * i] - y[2 * j]);
        gy += f * (y[2 * i + 1] - y[2 * j + 1]);
      }
      grad[2 * i] = 4.0 * gx;
      grad[2 * i + 1] = 4.0 * gy;
    }
    // Delta-bar-delta gains (as in the reference implementation), then momentum step.
    for (std::size_t k = 0; k < n * 2; ++k) {
      const bool same_sign = (grad[k] > 0) == (update[k] > 0);
      gains[k] = same_sign ? std::max(gains[k] * 0.8, 0.01) : gains[k] + 0.2;
      update[k] = momentum * update[k] - learning_rate * gains[k] * grad[k];
      y[k] += update[k];
    }
    // Re-center: the cost is translation invariant.
    double mx = 0.0, my = 0.0;
    for (std::size_t i = 0; i < n; ++i) mx += y[2 * i], my += y[2 * i + 1];
    mx /= n;
    my /= n;
    for (std::size_t i = 0; i < n; ++i) y[2 * i] -= mx, y[2 * i + 1] -= my;
  }
  return std::vector<float>(y.begin(), y.end());
}

double trustworthiness(const std::vector<float>& high, std::size_t dim_high,
                       const std::vector<float>& low, std::size_t dim_low, std::size_t n,
                       std::size_t k) {
  if (high.size() != n * dim_high || low.size() != n * dim_low)
    throw SessionError("trustworthiness: size mismatch");
  if (k == 0 || 2 * k >= n) throw SessionError("trustworthiness: need 0 < k < n / 2");
  const auto dh = squared_distances(high, n, dim_high);
  const auto dl = squared_distances(low, n, dim_low);
  double penalty = 0.0;
  std::vector<std::size_t> order(n), rank(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Rank of every j by original distance from i (1 = nearest, i itself excluded).
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (a == i || b == i) return b != i && a == i;
      return dh[i * n + a] < dh[i * n + b];
    });
    for (std::size_t r = 0; r < n; ++r) rank[order[r]] = r;  // order[0] == i, so ranks start at 1
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (a == i || b == i) return b != i && a == i;
      return dl[i * n + a] < dl[i * n + b];
    });
    for (std::size_t r = 1; r <= k; ++r) {
      const std::size_t j = order[r];
      if (rank[j] > k) penalty += static_cast<double>(rank[j] - k);
    }
  }
  const double nd = static_cast<double>(n), kd = static_cast<double>(k);
  return 1.0 - 2.0 / (nd * kd * (2.0 * nd - 3.0 * kd - 1.0)) * penalty;
}

}  // namespace mote::sessions
