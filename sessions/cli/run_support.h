#pragma once
// Creating, resuming and executing runs for `mote run`, `eval`, `control` and `dose`: a run is
// identified by its name within its dataset; rerunning a command resumes the run (only pending
// prompts go to the engine); an existing run with other settings is an error, never silently
// replaced.
#include <cstdint>
#include <optional>
#include <string>

#include "sessions/cli/cli_common.h"
#include "sessions/cli/cli_engine.h"
#include "sessions/run_executor.h"

namespace mote::cli {

// What a run should be; unset fields of a resumed run keep their stored values.
struct RunRequest {
  std::int64_t dataset_id = 0;
  std::string name;
  sessions::RunKind kind = sessions::RunKind::kOriginal;
  std::optional<int> draw_index;
  sessions::TuningSpec tuning;
  std::optional<int> max_tokens;      // default 256
  std::optional<double> temperature;  // default 0 (greedy)
  std::optional<double> top_p;        // default 1
  std::optional<int> top_k;           // default 0
  std::optional<std::int64_t> seed;   // default 1
};

// The stored run named `request.name` in the dataset, checked against the request (a difference
// is a SessionError naming the setting), or nullopt.
std::optional<sessions::RunInfo> find_matching_run(sessions::SessionStore& store,
                                                   const RunRequest& request);
// Creates the run for the engine's model (geometry, model id); the tuning is validated against it.
sessions::RunInfo create_run(sessions::SessionStore& store, const RunRequest& request,
                             const sessions::EngineModelInfo& model);

// A run with the settings of `original` (dataset, sampling, seed, max_tokens) and another
// tuning: what eval, control and dose compare against the original.
RunRequest derived_request(const sessions::RunInfo& original, const sessions::TuningSpec& tuning,
                           sessions::RunKind kind, const std::string& name,
                           std::optional<int> draw_index = std::nullopt);

struct ExecuteOptions {
  bool completion_maps = true;
  bool weighted_maps = true;
  const sessions::AnswerClassifier* classifier = nullptr;
  std::optional<std::size_t> limit;  // answer at most this many prompts in this call
  std::string progress_label;        // e.g. "draw 3/10"
};

// Sends the run's pending prompts to the engine with a progress bar on stderr. Checks that the
// engine serves the run's model. Ctrl+C (ctx.cancel) -> Interrupted (the run stays resumable);
// reaching `limit` returns kCancelled.
sessions::RunStatus execute_with_progress(sessions::SessionStore& store,
                                          const sessions::RunInfo& run, EngineSession& engine,
                                          const ExecuteOptions& options, CliContext& ctx);

// Finds or creates the run, executes what is pending (connecting to the engine only then) and
// labels it with the classifier. Returns the finished run.
sessions::RunInfo complete_run(sessions::SessionStore& store, EngineSession& engine,
                               const RunRequest& request, const std::string& classifier_argument,
                               CliContext& ctx, const std::string& progress_label = {});

}  // namespace mote::cli
