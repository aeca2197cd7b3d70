#include "sessions/resonance.h"

#include <algorithm>
#include <numeric>

#include "sessions/session_error.h"

namespace mote::sessions {
namespace {

void check_labels(const MapMatrix& maps, const std::vector<std::string>& labels) {
  if (labels.size() != maps.n_prompts) {
    throw SessionError("got " + std::to_string(labels.size()) + " labels for " +
                       std::to_string(maps.n_prompts) + " activation maps");
  }
}

}  // namespace

std::map<std::string, std::vector<float>> class_mean_maps(const MapMatrix& maps,
                                                          const std::vector<std::string>& labels) {
  check_labels(maps, labels);
  std::map<std::string, std::vector<double>> sums;
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = 0; i < maps.n_prompts; ++i) {
    if (labels[i].empty()) continue;
    auto& sum = sums[labels[i]];
    sum.resize(maps.n_cells, 0.0);
    const float* row = maps.row(i);
    for (std::size_t c = 0; c < maps.n_cells; ++c) sum[c] += row[c];
    ++counts[labels[i]];
  }
  std::map<std::string, std::vector<float>> means;
  for (const auto& [label, sum] : sums) {
    auto& mean = means[label];
    mean.resize(maps.n_cells);
    const double n = static_cast<double>(counts[label]);
    for (std::size_t c = 0; c < maps.n_cells; ++c) mean[c] = static_cast<float>(sum[c] / n);
  }
  return means;
}

std::vector<bool> target_membership(const std::vector<std::string>& labels,
                                    const std::string& target, std::vector<bool>* included) {
  std::vector<bool> in_target(labels.size(), false);
  std::size_t n_target = 0, n_rest = 0;
  if (included) included->assign(labels.size(), false);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) continue;
    if (included) (*included)[i] = true;
    in_target[i] = labels[i] == target;
    (in_target[i] ? n_target : n_rest)++;
  }
  if (n_target == 0) throw SessionError("no prompt is labelled \"" + target + "\"");
  if (n_rest == 0)
    throw SessionError("every labelled prompt is \"" + target + "\": nothing to compare against");
  return in_target;
}

std::vector<float> resonance_map(const MapMatrix& maps, const std::vector<std::string>& labels,
                                 const std::string& target) {
  check_labels(maps, labels);
  const auto in_target = target_membership(labels, target);
  std::vector<double> sum_target(maps.n_cells, 0.0), sum_rest(maps.n_cells, 0.0);
  std::size_t n_target = 0, n_rest = 0;
  for (std::size_t i = 0; i < maps.n_prompts; ++i) {
    if (labels[i].empty()) continue;
    auto& sum = in_target[i] ? sum_target : sum_rest;
    (in_target[i] ? n_target : n_rest)++;
    const float* row = maps.row(i);
    for (std::size_t c = 0; c < maps.n_cells; ++c) sum[c] += row[c];
  }
  std::vector<float> resonance(maps.n_cells);
  for (std::size_t c = 0; c < maps.n_cells; ++c) {
    resonance[c] = static_cast<float>(sum_target[c] / n_target - sum_rest[c] / n_rest);
  }
  return resonance;
}

std::vector<std::size_t> rank_descending(const std::vector<float>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] > values[b]; });
  return order;
}

}  // namespace mote::sessions
