#include "sessions/session_analysis.h"

#include <algorithm>
#include <map>

#include "sessions/resonance.h"
#include "sessions/session_error.h"

namespace mote::sessions {

std::size_t classify_run(SessionStore& store, std::int64_t run_id,
                         const AnswerClassifier& classifier) {
  std::vector<RuleLabel> labels;
  std::size_t unmatched = 0;
  for (const auto& a : store.answers(run_id, false)) {
    const auto result = classifier.classify(a.answer.text);
    if (result.label.empty()) ++unmatched;
    labels.push_back({a.prompt_id, result.label, result.rule_index});
  }
  store.store_classifier(classifier.name(), classifier.source());
  store.set_rule_labels(run_id, classifier.name(), labels);
  return unmatched;
}

std::vector<std::string> run_labels(SessionStore& store, std::int64_t run_id,
                                    const std::string& classifier,
                                    const std::vector<std::int64_t>& prompt_ids) {
  std::map<std::int64_t, std::string> by_prompt;
  for (const auto& l : store.labels(run_id, classifier)) by_prompt[l.prompt_id] = l.label;
  std::vector<std::string> labels;
  labels.reserve(prompt_ids.size());
  for (auto id : prompt_ids) {
    auto it = by_prompt.find(id);
    labels.push_back(it == by_prompt.end() ? std::string() : it->second);
  }
  return labels;
}

namespace {

const char* to_string(Alternative alternative) {
  switch (alternative) {
    case Alternative::kGreater:
      return "greater";
    case Alternative::kLess:
      return "less";
    default:
      return "two-sided";
  }
}

}  // namespace

FtriAnalysis analyze_ftri(SessionStore& store, std::int64_t run_id, const std::string& classifier,
                          const std::string& target, const ExpertStatisticsOptions& options,
                          MapKind map_kind) {
  const ModelGeometry geometry = store.run(run_id).config.geometry;
  std::vector<std::int64_t> prompt_ids;
  const MapMatrix maps = store.maps(run_id, map_kind, prompt_ids);
  const auto labels = run_labels(store, run_id, classifier, prompt_ids);
  FtriAnalysis analysis;
  analysis.statistics = compute_expert_statistics(maps, labels, target, options);
  analysis.table = expert_table(analysis.statistics, geometry);

  std::map<std::string, std::size_t> class_counts;
  for (const auto& l : labels) {
    if (!l.empty()) ++class_counts[l];
  }
  const std::vector<std::size_t> shape{geometry.n_moe_layers(),
                                       static_cast<std::size_t>(geometry.n_experts)};
  std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<float>>> arrays{
      {"resonance", {shape, analysis.statistics.resonance}},
      {"t", {shape, analysis.statistics.t}},
      {"p", {shape, analysis.statistics.p}},
      {"q", {shape, analysis.statistics.q}},
      {"stability", {shape, analysis.statistics.stability}}};
  for (auto& [label, mean] : class_mean_maps(maps, labels))
    arrays["mean:" + label] = {shape, std::move(mean)};
  const std::vector<ExpertTableRow> top(
      analysis.table.begin(),
      analysis.table.begin() + std::min<std::size_t>(50, analysis.table.size()));
  const nlohmann::json json = {{"run_id", run_id},
                               {"map", to_string(map_kind)},
                               {"classifier", classifier},
                               {"target", target},
                               {"n_target", analysis.statistics.n_target},
                               {"n_rest", analysis.statistics.n_rest},
                               {"class_counts", class_counts},
                               {"options",
                                {{"permutations", options.permutations},
                                 {"alternative", to_string(options.alternative)},
                                 {"bootstrap_resamples", options.bootstrap_resamples},
                                 {"top_n", options.top_n},
                                 {"seed", options.seed}}},
                               {"top", expert_table_json(top)}};
  analysis.result_id = store.store_result("ftri", classifier + ":" + target, json, arrays);
  return analysis;
}

namespace {

// Labels of the prompts answered in both runs, aligned by prompt id.
void paired_labels_impl(SessionStore& store, std::int64_t original_run, std::int64_t other_run,
                        const std::string& classifier, std::vector<std::string>& original,
                        std::vector<std::string>& other) {
  if (store.run(original_run).config.dataset_id != store.run(other_run).config.dataset_id) {
    throw SessionError("runs " + std::to_string(original_run) + " and " +
                       std::to_string(other_run) + " use different datasets");
  }
  std::map<std::int64_t, std::string> other_labels;
  for (const auto& l : store.labels(other_run, classifier)) other_labels[l.prompt_id] = l.label;
  original.clear();
  other.clear();
  for (const auto& l : store.labels(original_run, classifier)) {
    auto it = other_labels.find(l.prompt_id);
    if (it == other_labels.end()) continue;
    original.push_back(l.label);
    other.push_back(it->second);
  }
  if (original.empty()) {
    throw SessionError("runs " + std::to_string(original_run) + " and " +
                       std::to_string(other_run) + " have no answered prompt in common");
  }
}

}  // namespace

TuningEvaluation evaluate_tuning(SessionStore& store, std::int64_t original_run,
                                 std::int64_t tuned_run, const std::string& classifier,
                                 const std::string& label,
                                 const std::vector<std::string>& label_order) {
  std::vector<std::string> original, tuned;
  paired_labels_impl(store, original_run, tuned_run, classifier, original, tuned);
  TuningEvaluation evaluation;
  evaluation.n_prompts = original.size();
  evaluation.transitions = transition_matrix(original, tuned, label_order);
  evaluation.flips = flip_rates(original, tuned, label);
  const nlohmann::json json = {
      {"original_run", original_run},       {"tuned_run", tuned_run},
      {"classifier", classifier},           {"label", label},
      {"n_prompts", evaluation.n_prompts},  {"transitions", evaluation.transitions.to_json()},
      {"flips", evaluation.flips.to_json()}};
  evaluation.result_id = store.store_result("evaluation", classifier + ":" + label, json);
  return evaluation;
}

RandomControlSummary evaluate_random_control(SessionStore& store, std::int64_t original_run,
                                             std::int64_t tuned_run,
                                             const std::vector<std::int64_t>& control_runs,
                                             const std::string& classifier,
                                             const std::string& label, std::int64_t* result_id) {
  std::vector<std::string> original, other;
  paired_labels_impl(store, original_run, tuned_run, classifier, original, other);
  const FlipRates tuned_flips = flip_rates(original, other, label);
  std::vector<FlipRates> draw_flips;
  for (auto run_id : control_runs) {
    paired_labels_impl(store, original_run, run_id, classifier, original, other);
    draw_flips.push_back(flip_rates(original, other, label));
  }
  auto summary = summarize_random_control(tuned_flips, draw_flips);
  nlohmann::json json = summary.to_json();
  json["original_run"] = original_run;
  json["tuned_run"] = tuned_run;
  json["control_runs"] = control_runs;
  json["classifier"] = classifier;
  json["label"] = label;
  const auto id = store.store_result("random-control", classifier + ":" + label, json);
  if (result_id) *result_id = id;
  return summary;
}

void paired_run_labels(SessionStore& store, std::int64_t original_run, std::int64_t other_run,
                       const std::string& classifier, std::vector<std::string>& original,
                       std::vector<std::string>& other) {
  paired_labels_impl(store, original_run, other_run, classifier, original, other);
}

StoredFtri load_ftri(SessionStore& store, std::int64_t result_id) {
  StoredFtri ftri;
  const StoredResult result = store.load_result(result_id);
  if (result.kind != "ftri") {
    throw SessionError("result " + std::to_string(result_id) + " is a \"" + result.kind +
                       "\" result, not an fTRI result");
  }
  ftri.json = result.json;
  try {
    ftri.run_id = result.json.at("run_id").get<std::int64_t>();
    ftri.classifier = result.json.at("classifier").get<std::string>();
    ftri.map = result.json.value("map", std::string("prompt"));
    ftri.analysis.statistics.target = result.json.at("target").get<std::string>();
    ftri.analysis.statistics.n_target = result.json.at("n_target").get<std::size_t>();
    ftri.analysis.statistics.n_rest = result.json.at("n_rest").get<std::size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw SessionError("fTRI result " + std::to_string(result_id) + ": " + e.what());
  }
  ftri.analysis.result_id = result_id;
  ftri.geometry = store.run(ftri.run_id).config.geometry;
  const std::vector<std::size_t> expected{ftri.geometry.n_moe_layers(),
                                          static_cast<std::size_t>(ftri.geometry.n_experts)};
  auto& stats = ftri.analysis.statistics;
  const std::pair<const char*, std::vector<float>*> arrays[] = {{"resonance", &stats.resonance},
                                                                {"t", &stats.t},
                                                                {"p", &stats.p},
                                                                {"q", &stats.q},
                                                                {"stability", &stats.stability}};
  for (const auto& [name, values] : arrays) {
    std::vector<std::size_t> shape;
    *values = store.load_result_array(result_id, name, shape);
    if (shape != expected) {
      throw SessionError("fTRI result " + std::to_string(result_id) + ": array \"" + name +
                         "\" does not match the geometry of run " + std::to_string(ftri.run_id));
    }
  }
  ftri.analysis.table = expert_table(stats, ftri.geometry);
  return ftri;
}

DoseEvaluation evaluate_dose_curve(SessionStore& store, std::int64_t original_run,
                                   const std::vector<std::size_t>& doses,
                                   const std::vector<std::int64_t>& tuned_runs,
                                   const std::string& classifier, const std::string& label,
                                   const nlohmann::json& extra) {
  if (doses.size() != tuned_runs.size()) {
    throw SessionError("dose curve: " + std::to_string(doses.size()) + " doses but " +
                       std::to_string(tuned_runs.size()) + " tuned runs");
  }
  DoseEvaluation evaluation;
  evaluation.curve.n_experts = doses;
  auto flips = nlohmann::json::array();
  for (auto run_id : tuned_runs) {
    std::vector<std::string> original, tuned;
    paired_labels_impl(store, original_run, run_id, classifier, original, tuned);
    evaluation.flips.push_back(flip_rates(original, tuned, label));
    evaluation.curve.flip_rate.push_back(evaluation.flips.back().rate);
    flips.push_back(evaluation.flips.back().to_json());
  }
  nlohmann::json json = extra.is_object() ? extra : nlohmann::json::object();
  json["original_run"] = original_run;
  json["tuned_runs"] = tuned_runs;
  json["classifier"] = classifier;
  json["label"] = label;
  json["curve"] = evaluation.curve.to_json();
  json["flips"] = flips;
  evaluation.result_id = store.store_result("dose-curve", classifier + ":" + label, json);
  return evaluation;
}

RunTsne analyze_tsne(SessionStore& store, std::int64_t run_id, const std::string& classifier,
                     const TsneOptions& options, MapKind map_kind) {
  RunTsne result;
  const MapMatrix maps = store.maps(run_id, map_kind, result.prompt_ids);
  result.labels = run_labels(store, run_id, classifier, result.prompt_ids);
  result.coords = tsne_2d(maps.values, maps.n_prompts, maps.n_cells, options);
  const nlohmann::json json = {{"run_id", run_id},
                               {"map", to_string(map_kind)},
                               {"classifier", classifier},
                               {"prompt_ids", result.prompt_ids},
                               {"labels", result.labels},
                               {"options",
                                {{"perplexity", options.perplexity},
                                 {"iterations", options.iterations},
                                 {"seed", options.seed}}}};
  result.result_id = store.store_result("tsne", classifier, json,
                                        {{"coords", {{maps.n_prompts, 2}, result.coords}}});
  return result;
}

}  // namespace mote::sessions
