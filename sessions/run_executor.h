#pragma once
// Executes a run stored in a session: every pending prompt of the run's dataset is sent to the
// engine with the run's tuning, sampling, seed and max_tokens, and its answer + activation maps
// (+ rule labels) are recorded in one transaction. Rerunning resumes where a killed run stopped.
//
// Each prompt is generated with its own seed, prompt_seed(run seed, prompt position), so a
// resumed run gives the same answers as an uninterrupted one (and one prompt can be replayed
// alone). Runs with max_tokens 0 generate nothing: their prompts go to the engine's batched scan
// (POST /mote/v1/scan), which records prompt maps (and weighted maps) only, text "", 0
// completion tokens, finish_reason "length", and no rule labels (there is no answer to label).
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sessions/answer_classifier.h"
#include "sessions/engine_client.h"
#include "sessions/session_store.h"

namespace mote::sessions {

struct RunProgress {
  std::size_t done = 0;   // answered prompts (including ones from earlier sessions)
  std::size_t total = 0;  // prompts in the dataset
  std::size_t done_this_call = 0;
  double prompts_per_second = 0.0;  // over this call
  double eta_seconds = 0.0;
  std::string last_label;  // rule label of the last answer (if a classifier was given)
};

struct RunExecutorOptions {
  bool completion_maps = true;  // also store counts over generated tokens
  bool weighted_maps = true;  // also store router-weight sums over prompt tokens (captures weights)
  const AnswerClassifier* classifier = nullptr;  // label answers as they finish
  std::string classifier_name;                   // empty: classifier->name()
  // max_tokens 0 runs: prompts per scan request (each is recorded as it arrives; capped by the
  // engine's max_scan_prompts) and the prefill batch size (capped by its max_scan_batch).
  std::size_t scan_request_prompts = 64;
  int scan_batch_size = 16;
  // Answer only the first `limit` pending prompts in dataset order (mote run --limit, the
  // workbench's "first N"); the run then ends kFinished with that many answers (a subset, see
  // derived_answer_limit) and stays resumable: a later call answers the next pending prompts.
  std::optional<std::size_t> limit;
  // Generating runs: prompts in flight at once (the engine batches them: serve --max-batch).
  int concurrency = 16;
  // Further engines serving the same model (id and geometry checked before the run starts);
  // prompts are spread over all of them. Not owned.
  std::vector<const EngineClient*> more_engines;
};

// The seed of the prompt at `position` (0-based, dataset order) in a run seeded `run_seed`:
// SplitMix64 of (run_seed + (position + 1) * golden gamma), masked to 63 bits (non-negative).
std::int64_t prompt_seed(std::int64_t run_seed, std::size_t position);

// Runs the pending prompts (the first `limit` of them); returns the final status (kFinished once
// they are all answered, or kCancelled if `cancel` was raised; the prompt in flight is then not
// recorded). The run must be for the engine's geometry
// (else SessionError); the status is left unchanged when that check or GET /mote/v1/model fails. An
// engine or session error marks the run kFailed and rethrows; answers already recorded stay. An
// engine that stops mid-generation (finish_reason "cancelled" without `cancel`) is an EngineError
// kHttp 503 "shutting_down". on_progress is called on the calling thread after every recorded
// prompt. With options.concurrency > 1 answers are recorded in the order they finish; on a
// failure the prompts already in flight are still recorded before the error is rethrown.
RunStatus execute_run(SessionStore& store, std::int64_t run_id, const EngineClient& client,
                      const RunExecutorOptions& options,
                      const std::function<void(const RunProgress&)>& on_progress = {},
                      const std::atomic<bool>* cancel = nullptr);

}  // namespace mote::sessions
