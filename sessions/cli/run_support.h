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
#include "sessions/run_request.h"

namespace mote::cli {

// RunRequest, find_matching_run, create_run and derived_request live in sessions/run_request.h
// (the workbench uses them too).
using sessions::create_run;
using sessions::derived_request;
using sessions::find_matching_run;
using sessions::RunRequest;

struct ExecuteOptions {
  bool completion_maps = true;
  bool weighted_maps = true;
  const sessions::AnswerClassifier* classifier = nullptr;
  std::optional<std::size_t> limit;  // answer at most this many prompts in this call
  std::string progress_label;        // e.g. "draw 3/10"
};

// Sends the run's pending prompts to the engine with a progress bar on stderr. Checks that the
// engine serves the run's model. Ctrl+C (ctx.cancel) -> Interrupted (the run stays resumable);
// answering the `limit` prompts returns kFinished, like answering all (execute_run).
sessions::RunStatus execute_with_progress(sessions::SessionStore& store,
                                          const sessions::RunInfo& run, EngineSession& engine,
                                          const ExecuteOptions& options, CliContext& ctx);

// Finds or creates the run, executes what is pending (connecting to the engine only then) and
// labels it with the classifier. Returns the run: finished, or, with `answer_upto` > 0, answered
// up to that many prompts (a derived run of a partly answered original: derived_answer_limit).
sessions::RunInfo complete_run(sessions::SessionStore& store, EngineSession& engine,
                               const RunRequest& request, const std::string& classifier_argument,
                               CliContext& ctx, const std::string& progress_label = {},
                               std::size_t answer_upto = 0);

}  // namespace mote::cli
