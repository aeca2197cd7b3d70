// Moved from sessions/cli/cmd_run.cpp so the workbench creates and resumes runs exactly like
// the CLI (same names, same checks, same defaults).
#include "sessions/run_request.h"

#include <algorithm>

#include "sessions/session_error.h"

namespace mote::sessions {

namespace {

constexpr int kDefaultMaxTokens = 256;

std::vector<ExpertAddress> sorted(std::vector<ExpertAddress> list) {
  std::sort(list.begin(), list.end());
  return list;
}

bool same_tuning(const TuningSpec& a, const TuningSpec& b) {
  return sorted(a.suppress) == sorted(b.suppress) && sorted(a.stimulate) == sorted(b.stimulate);
}

nlohmann::json sampling_json(const RunRequest& r) {
  return {{"temperature", r.temperature.value_or(0.0)},
          {"top_p", r.top_p.value_or(1.0)},
          {"top_k", r.top_k.value_or(0)}};
}

std::string describe_run(const RunInfo& run) {
  return "run " + std::to_string(run.id) + " '" + run.config.name + "'";
}

}  // namespace

std::optional<RunInfo> find_matching_run(SessionStore& store, const RunRequest& request) {
  std::optional<RunInfo> found;
  for (auto& r : store.list_runs()) {
    if (r.config.name != request.name || r.config.dataset_id != request.dataset_id) continue;
    if (found) {
      throw SessionError("several runs of dataset " + std::to_string(request.dataset_id) +
                         " are named \"" + request.name + "\"; pass a new --name");
    }
    found = std::move(r);
  }
  if (!found) return std::nullopt;
  const RunConfig& c = found->config;
  const std::string who = describe_run(*found) + " already exists with ";
  const std::string hint =
      "; give the new run another name (--name, the workbench's Name field), or leave the "
      "setting out to resume it";
  if (c.kind != request.kind || c.draw_index != request.draw_index)
    throw SessionError(who + "kind " + to_string(c.kind) + hint);
  if (!same_tuning(c.tuning, request.tuning)) {
    throw SessionError(who + "tuning " + c.tuning.to_json().dump() + " (asked for " +
                       request.tuning.to_json().dump() + ")" + hint);
  }
  if (request.max_tokens && *request.max_tokens != c.max_tokens) {
    throw SessionError(who + "max_tokens " + std::to_string(c.max_tokens) + " (asked for " +
                       std::to_string(*request.max_tokens) + ")" + hint);
  }
  if (request.seed && *request.seed != c.seed) {
    throw SessionError(who + "seed " + std::to_string(c.seed) + " (asked for " +
                       std::to_string(*request.seed) + ")" + hint);
  }
  const auto& s = c.sampling;
  auto check = [&](const char* key, const auto& wanted, const nlohmann::json& fallback) {
    if (!wanted) return;
    const nlohmann::json stored = s.is_object() && s.contains(key) ? s[key] : fallback;
    if (nlohmann::json(*wanted) != stored) {
      throw SessionError(who + key + " " + stored.dump() + " (asked for " +
                         nlohmann::json(*wanted).dump() + ")" + hint);
    }
  };
  check("temperature", request.temperature, 0.0);
  check("top_p", request.top_p, 1.0);
  check("top_k", request.top_k, 0);
  return found;
}

RunInfo create_run(SessionStore& store, const RunRequest& request, const ModelInfo& model) {
  RunConfig c;
  c.dataset_id = request.dataset_id;
  c.name = request.name;
  c.kind = request.kind;
  c.draw_index = request.draw_index;
  c.model_id = model.id;
  c.geometry = model.geometry;
  c.tuning = request.tuning;
  c.sampling = sampling_json(request);
  c.seed = request.seed.value_or(1);
  c.max_tokens = request.max_tokens.value_or(kDefaultMaxTokens);
  c.engine_version = model.raw.is_object() ? model.raw.value("engine_version", std::string()) : "";
  try {
    c.tuning.validate(c.geometry);
  } catch (const TuningError& e) {
    throw TuningError(std::string(e.what()) + " (model " + model.id + ")");
  }
  return store.run(store.create_run(c));
}

RunInfo find_or_create_run(SessionStore& store, const RunRequest& request, const ModelInfo& model) {
  if (auto run = find_matching_run(store, request)) return *run;
  return create_run(store, request, model);
}

std::size_t derived_answer_limit(SessionStore& store, const RunInfo& original) {
  const std::size_t answered = store.answer_count(original.id);
  return answered < store.prompts(original.config.dataset_id).size() ? answered : 0;
}

std::string control_run_name(const std::string& tuned, std::size_t experts, std::uint64_t seed,
                             std::size_t draw) {
  return tuned + "-random" + std::to_string(experts) + "-s" + std::to_string(seed) + "-d" +
         std::to_string(draw);
}

std::string ranking_run_name(const std::string& original, std::int64_t ftri_result,
                             TuningDirection direction, RankingEnd end, std::size_t n) {
  return original + "-ftri" + std::to_string(ftri_result) + "-" + to_string(direction) + "-" +
         to_string(end) + std::to_string(n);
}

RunRequest derived_request(const RunInfo& original, const TuningSpec& tuning, RunKind kind,
                           const std::string& name, std::optional<int> draw_index) {
  RunRequest r;
  r.dataset_id = original.config.dataset_id;
  r.name = name;
  r.kind = kind;
  r.draw_index = draw_index;
  r.tuning = tuning;
  r.max_tokens = original.config.max_tokens;
  r.seed = original.config.seed;
  const auto& s = original.config.sampling;
  if (s.is_object()) {
    r.temperature = s.value("temperature", 0.0);
    r.top_p = s.value("top_p", 1.0);
    r.top_k = s.value("top_k", 0);
  }
  return r;
}

}  // namespace mote::sessions
