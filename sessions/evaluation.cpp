#include "sessions/evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "sessions/csv_writer.h"
#include "sessions/session_error.h"

namespace mote::sessions {

std::size_t TransitionMatrix::count(const std::string& from, const std::string& to) const {
  const auto i = std::find(labels.begin(), labels.end(), from) - labels.begin();
  const auto j = std::find(labels.begin(), labels.end(), to) - labels.begin();
  if (i == static_cast<long>(labels.size()) || j == static_cast<long>(labels.size())) return 0;
  return counts[i][j];
}

nlohmann::json TransitionMatrix::to_json() const {
  return {{"labels", labels}, {"counts", counts}, {"row_percent", row_percent}};
}

std::string TransitionMatrix::to_csv() const {
  std::ostringstream out;
  auto write = [&](const std::string& corner, auto value) {
    out << csv_escape(corner);
    for (const auto& l : labels) out << ',' << csv_escape(l);
    out << '\n';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      out << csv_escape(labels[i]);
      for (std::size_t j = 0; j < labels.size(); ++j) out << ',' << value(i, j);
      out << '\n';
    }
  };
  write("original\\tuned (count)",
        [&](std::size_t i, std::size_t j) { return std::to_string(counts[i][j]); });
  out << '\n';
  write("original\\tuned (row %)", [&](std::size_t i, std::size_t j) {
    std::ostringstream cell;
    cell.precision(4);
    cell << std::fixed << row_percent[i][j];
    return cell.str();
  });
  return out.str();
}

TransitionMatrix transition_matrix(const std::vector<std::string>& original,
                                   const std::vector<std::string>& tuned,
                                   const std::vector<std::string>& label_order) {
  if (original.size() != tuned.size()) {
    throw SessionError("transition matrix: " + std::to_string(original.size()) +
                       " original labels but " + std::to_string(tuned.size()) + " tuned labels");
  }
  TransitionMatrix m;
  m.labels = label_order;
  std::set<std::string> extra;
  for (const auto* list : {&original, &tuned}) {
    for (const auto& l : *list) {
      if (std::find(m.labels.begin(), m.labels.end(), l) == m.labels.end()) extra.insert(l);
    }
  }
  m.labels.insert(m.labels.end(), extra.begin(), extra.end());
  const std::size_t n = m.labels.size();
  auto index = [&](const std::string& l) {
    return std::find(m.labels.begin(), m.labels.end(), l) - m.labels.begin();
  };
  m.counts.assign(n, std::vector<std::size_t>(n, 0));
  for (std::size_t i = 0; i < original.size(); ++i) ++m.counts[index(original[i])][index(tuned[i])];
  m.row_percent.assign(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t total = 0;
    for (auto c : m.counts[i]) total += c;
    for (std::size_t j = 0; j < n && total > 0; ++j)
      m.row_percent[i][j] = 100.0 * m.counts[i][j] / total;
  }
  return m;
}

nlohmann::json FlipRates::to_json() const {
  return {{"label", label},
          {"n_class", n_class},
          {"flipped", flipped},
          {"rate", rate},
          {"n_other", n_other},
          {"became_class", became_class},
          {"reverse_rate", reverse_rate},
          {"rate_ci", rate_ci().to_json()},
          {"reverse_rate_ci", reverse_rate_ci().to_json()}};
}

FlipRates flip_rates(const std::vector<std::string>& original,
                     const std::vector<std::string>& tuned, const std::string& label) {
  if (original.size() != tuned.size()) {
    throw SessionError("flip rates: " + std::to_string(original.size()) + " original labels but " +
                       std::to_string(tuned.size()) + " tuned labels");
  }
  FlipRates f;
  f.label = label;
  for (std::size_t i = 0; i < original.size(); ++i) {
    if (original[i] == label) {
      ++f.n_class;
      if (tuned[i] != label) ++f.flipped;
    } else {
      ++f.n_other;
      if (tuned[i] == label) ++f.became_class;
    }
  }
  f.rate = f.n_class ? static_cast<double>(f.flipped) / f.n_class : 0.0;
  f.reverse_rate = f.n_other ? static_cast<double>(f.became_class) / f.n_other : 0.0;
  return f;
}

std::vector<TuningSpec> random_control_draws(const ModelGeometry& geometry, std::size_t draws,
                                             std::size_t experts_per_draw,
                                             const std::vector<ExpertAddress>& exclude,
                                             std::uint64_t seed, TuningDirection direction) {
  geometry.validate();
  std::vector<bool> excluded(geometry.n_cells(), false);
  std::size_t n_excluded = 0;
  for (const auto& a : exclude) {
    const auto i = geometry.flat_index(a);
    if (!excluded[i]) ++n_excluded;
    excluded[i] = true;
  }
  std::vector<std::size_t> pool;
  for (std::size_t i = 0; i < excluded.size(); ++i) {
    if (!excluded[i]) pool.push_back(i);
  }
  if (experts_per_draw > pool.size()) {
    throw SessionError("random control: " + std::to_string(experts_per_draw) +
                       " experts per draw but only " + std::to_string(pool.size()) +
                       " experts outside the tuned set");
  }
  std::vector<TuningSpec> specs;
  for (std::size_t d = 0; d < draws; ++d) {
    std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                      static_cast<std::uint32_t>(d), static_cast<std::uint32_t>(d >> 32)};
    std::mt19937_64 rng(seq);
    std::vector<std::size_t> local = pool;
    std::vector<ExpertAddress> chosen;
    // A layer can force at most top_k experts on: stimulation draws skip the full layers.
    std::vector<int> stimulated(geometry.n_moe_layers(), 0);
    for (std::size_t i = 0; chosen.size() < experts_per_draw; ++i) {
      if (i == local.size()) {
        throw SessionError("random control: cannot stimulate " + std::to_string(experts_per_draw) +
                           " experts, at most " + std::to_string(geometry.top_k) +
                           " per layer outside the tuned set");
      }
      std::uniform_int_distribution<std::size_t> pick(i, local.size() - 1);
      std::swap(local[i], local[pick(rng)]);
      const ExpertAddress a = geometry.address_of(local[i]);
      if (direction == TuningDirection::kStimulate) {
        int& n = stimulated[static_cast<std::size_t>(geometry.moe_index(a.layer))];
        if (n == geometry.top_k) continue;
        ++n;
      }
      chosen.push_back(a);
    }
    std::sort(chosen.begin(), chosen.end());
    TuningSpec spec;
    (direction == TuningDirection::kSuppress ? spec.suppress : spec.stimulate) = std::move(chosen);
    specs.push_back(std::move(spec));
  }
  return specs;
}

double RandomControlSummary::tuned_reverse_rate() const {
  return n_other ? static_cast<double>(tuned_reverse) / static_cast<double>(n_other) : 0.0;
}

double RandomControlSummary::pooled_rate() const {
  return pooled_trials ? static_cast<double>(pooled_flipped) / static_cast<double>(pooled_trials)
                       : 0.0;
}

double RandomControlSummary::pooled_reverse_rate() const {
  std::size_t sum = 0;
  for (auto r : draws_reverse) sum += r;
  return pooled_reverse_trials
             ? static_cast<double>(sum) / static_cast<double>(pooled_reverse_trials)
             : 0.0;
}

nlohmann::json RandomControlSummary::to_json() const {
  auto intervals = nlohmann::json::array();
  for (const auto& ci : draws_ci) intervals.push_back(ci.to_json());
  std::size_t reverse_sum = 0;
  for (auto r : draws_reverse) reverse_sum += r;
  return {{"tuned", tuned},
          {"draws", draws},
          {"mean", mean},
          {"std", std},
          {"p", p},
          {"n_class", n_class},
          {"tuned_flipped", tuned_flipped},
          {"tuned_ci", tuned_ci.to_json()},
          {"draws_flipped", draws_flipped},
          {"draws_ci", intervals},
          {"pooled",
           {{"flipped", pooled_flipped},
            {"trials", pooled_trials},
            {"rate", pooled_rate()},
            {"ci", pooled_ci.to_json()}}},
          {"fisher_p", std::isnan(fisher_p) ? nlohmann::json() : nlohmann::json(fisher_p)},
          {"fisher_test",
           "one-sided Fisher exact test: tuned flipped / n_class against pooled random flipped / "
           "(draws * n_class)"},
          {"reverse",
           {{"n_other", n_other},
            {"tuned", tuned_reverse},
            {"tuned_rate", tuned_reverse_rate()},
            {"tuned_ci", tuned_reverse_ci.to_json()},
            {"draws", draws_reverse},
            {"pooled", reverse_sum},
            {"pooled_trials", pooled_reverse_trials},
            {"pooled_rate", pooled_reverse_rate()},
            {"pooled_ci", pooled_reverse_ci.to_json()}}}};
}

RandomControlSummary RandomControlSummary::from_json(const nlohmann::json& j) {
  RandomControlSummary s;
  try {
    s.tuned = j.value("tuned", 0.0);
    s.draws = j.value("draws", std::vector<double>{});
    s.mean = j.value("mean", 0.0);
    s.std = j.value("std", 0.0);
    s.p = j.value("p", 1.0);
    if (!j.contains("n_class")) return s;  // stored before the counts were kept
    s.n_class = j.at("n_class").get<std::size_t>();
    s.tuned_flipped = j.at("tuned_flipped").get<std::size_t>();
    s.tuned_ci = ProportionInterval::from_json(j.at("tuned_ci"));
    s.draws_flipped = j.at("draws_flipped").get<std::vector<std::size_t>>();
    for (const auto& ci : j.at("draws_ci")) s.draws_ci.push_back(ProportionInterval::from_json(ci));
    const auto& pooled = j.at("pooled");
    s.pooled_flipped = pooled.at("flipped").get<std::size_t>();
    s.pooled_trials = pooled.at("trials").get<std::size_t>();
    s.pooled_ci = ProportionInterval::from_json(pooled.at("ci"));
    if (j.at("fisher_p").is_number()) s.fisher_p = j.at("fisher_p").get<double>();
    const auto& reverse = j.at("reverse");
    s.n_other = reverse.at("n_other").get<std::size_t>();
    s.tuned_reverse = reverse.at("tuned").get<std::size_t>();
    s.tuned_reverse_ci = ProportionInterval::from_json(reverse.at("tuned_ci"));
    s.draws_reverse = reverse.at("draws").get<std::vector<std::size_t>>();
    s.pooled_reverse_trials = reverse.at("pooled_trials").get<std::size_t>();
    s.pooled_reverse_ci = ProportionInterval::from_json(reverse.at("pooled_ci"));
  } catch (const nlohmann::json::exception& e) {
    throw SessionError(std::string("random-control result: ") + e.what());
  }
  if (s.draws_flipped.size() != s.draws.size() || s.draws_ci.size() != s.draws.size() ||
      s.draws_reverse.size() != s.draws.size())
    throw SessionError("random-control result: " + std::to_string(s.draws.size()) +
                       " draws but counts for " + std::to_string(s.draws_flipped.size()));
  return s;
}

RandomControlSummary summarize_random_control(const FlipRates& tuned,
                                              const std::vector<FlipRates>& draws) {
  RandomControlSummary s;
  s.tuned = tuned.rate;
  s.n_class = tuned.n_class;
  s.tuned_flipped = tuned.flipped;
  s.tuned_ci = tuned.rate_ci();
  s.n_other = tuned.n_other;
  s.tuned_reverse = tuned.became_class;
  s.tuned_reverse_ci = tuned.reverse_rate_ci();
  std::size_t at_least = 0, reverse_sum = 0, reverse_trials = 0;
  double sum = 0.0;
  for (const FlipRates& d : draws) {
    s.draws.push_back(d.rate);
    s.draws_flipped.push_back(d.flipped);
    s.draws_ci.push_back(d.rate_ci());
    s.draws_reverse.push_back(d.became_class);
    s.pooled_flipped += d.flipped;
    s.pooled_trials += d.n_class;  // = n_class unless a draw answered fewer prompts
    reverse_sum += d.became_class;
    reverse_trials += d.n_other;
    sum += d.rate;
    if (d.rate >= tuned.rate) ++at_least;
  }
  const double k = static_cast<double>(draws.size());
  s.mean = k > 0 ? sum / k : 0.0;
  double ss = 0.0;
  for (double f : s.draws) ss += (f - s.mean) * (f - s.mean);
  s.std = k > 1 ? std::sqrt(ss / (k - 1)) : 0.0;
  s.p = (at_least + 1.0) / (k + 1.0);
  s.pooled_ci = wilson_interval(s.pooled_flipped, s.pooled_trials);
  s.pooled_reverse_trials = reverse_trials;
  s.pooled_reverse_ci = wilson_interval(reverse_sum, reverse_trials);
  if (!draws.empty())
    s.fisher_p =
        fisher_exact_greater(tuned.flipped, tuned.n_class, s.pooled_flipped, s.pooled_trials);
  return s;
}

nlohmann::json DoseCurve::to_json() const {
  auto rates = nlohmann::json::array();
  for (double r : flip_rate) rates.push_back(std::isnan(r) ? nlohmann::json() : nlohmann::json(r));
  return {{"n_experts", n_experts}, {"flip_rate", rates}};
}

DoseCurve DoseCurve::from_json(const nlohmann::json& json) {
  DoseCurve curve;
  try {
    curve.n_experts = json.at("n_experts").get<std::vector<std::size_t>>();
    for (const auto& r : json.at("flip_rate")) {
      curve.flip_rate.push_back(r.is_null() ? std::numeric_limits<double>::quiet_NaN()
                                            : r.get<double>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw SessionError(std::string("dose curve JSON: ") + e.what());
  }
  if (curve.flip_rate.size() != curve.n_experts.size()) {
    throw SessionError("dose curve JSON: n_experts and flip_rate differ in length");
  }
  return curve;
}

TuningSpec tuning_from_ranking(const std::vector<ExpertAddress>& ranking, std::size_t n,
                               TuningDirection direction) {
  if (n > ranking.size()) {
    throw SessionError("asked for the top " + std::to_string(n) + " experts of a ranking of " +
                       std::to_string(ranking.size()));
  }
  TuningSpec spec;
  (direction == TuningDirection::kSuppress ? spec.suppress : spec.stimulate)
      .assign(ranking.begin(), ranking.begin() + static_cast<long>(n));
  return spec;
}

std::string to_string(TuningDirection direction) {
  return direction == TuningDirection::kSuppress ? "suppress" : "stimulate";
}

std::string dose_unfit_reason(const std::vector<ExpertAddress>& ranking, std::size_t n,
                              TuningDirection direction, const ModelGeometry& geometry) {
  if (n > ranking.size())
    return "the model has " + std::to_string(ranking.size()) + " routed experts";
  if (direction != TuningDirection::kStimulate) return {};
  std::map<int, int> per_layer;
  for (std::size_t i = 0; i < n; ++i) {
    const int layer = ranking[i].layer;
    if (++per_layer[layer] > geometry.top_k) {
      return "it stimulates more than " + std::to_string(geometry.top_k) + " experts in layer " +
             std::to_string(layer) + ", the model selects " + std::to_string(geometry.top_k) +
             " per token";
    }
  }
  return {};
}

std::vector<TuningSpec> dose_curve_specs(const std::vector<ExpertAddress>& ranking,
                                         const std::vector<std::size_t>& doses,
                                         TuningDirection direction) {
  std::vector<TuningSpec> specs;
  for (std::size_t n : doses) specs.push_back(tuning_from_ranking(ranking, n, direction));
  return specs;
}

}  // namespace mote::sessions
