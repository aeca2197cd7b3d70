#pragma once
// What a run should be, and finding / creating it in a session: a run is identified by its name
// within its dataset; an existing run with other settings is an error (never silently replaced),
// so rerunning the same request resumes it. Shared by the `mote` CLI (run, eval, control, dose)
// and the workbench.
#include <cstdint>
#include <optional>
#include <string>

#include "protocol/wire_model.h"
#include "sessions/evaluation.h"
#include "sessions/result_export.h"
#include "sessions/session_store.h"

namespace mote::sessions {

// What a run should be; unset fields of a resumed run keep their stored values.
struct RunRequest {
  std::int64_t dataset_id = 0;
  std::string name;
  RunKind kind = RunKind::kOriginal;
  std::optional<int> draw_index;
  TuningSpec tuning;
  std::optional<int> max_tokens;      // default 256
  std::optional<double> temperature;  // default 0 (greedy)
  std::optional<double> top_p;        // default 1
  std::optional<int> top_k;           // default 0
  std::optional<std::int64_t> seed;   // default 1
};

// The stored run named `request.name` in the dataset, checked against the request (a difference
// is a SessionError naming the setting), or nullopt.
std::optional<RunInfo> find_matching_run(SessionStore& store, const RunRequest& request);
// Creates the run for the engine's model (geometry, model id); the tuning is validated against it.
RunInfo create_run(SessionStore& store, const RunRequest& request, const ModelInfo& model);
// find_matching_run, else create_run.
RunInfo find_or_create_run(SessionStore& store, const RunRequest& request, const ModelInfo& model);

// A run with the settings of `original` (dataset, sampling, seed, max_tokens) and another
// tuning: what eval, control and dose compare against the original.
RunRequest derived_request(const RunInfo& original, const TuningSpec& tuning, RunKind kind,
                           const std::string& name, std::optional<int> draw_index = std::nullopt);

// How many prompts the runs derived from `original` answer: its answer count if it was left
// partly answered (`mote run --limit`, the workbench's "first N"; prompts are answered in dataset
// order, so the derived runs answer the same ones), else 0 (all).
std::size_t derived_answer_limit(SessionStore& store, const RunInfo& original);

// Draw `draw` of a random control of `tuned`: <tuned>-random<experts>-s<seed>-d<draw>
// (`mote control` and the workbench share these runs).
std::string control_run_name(const std::string& tuned, std::size_t experts, std::uint64_t seed,
                             std::size_t draw);

// The run that tunes the first n experts of an fTRI result's ranking:
// <original>-ftri<RESULT>-<suppress|stimulate>-<top|bottom><n>. `mote eval --ftri --top`,
// `mote dose` and the workbench's dose curve share these runs.
std::string ranking_run_name(const std::string& original, std::int64_t ftri_result,
                             TuningDirection direction, RankingEnd end, std::size_t n);

}  // namespace mote::sessions
