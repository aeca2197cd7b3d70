#pragma once
// Executes a run stored in a session: every pending prompt of the run's dataset is sent to the
// engine with the run's tuning, sampling, seed and max_tokens, and its answer + activation maps
// (+ rule labels) are recorded in one transaction. Rerunning resumes where a killed run stopped.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

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
  bool weighted_maps = true;    // also store router-weight sums over prompt tokens
  const AnswerClassifier* classifier = nullptr;  // label answers as they finish
  std::string classifier_name;
};

// Runs the pending prompts; returns the final status (kFinished, or kCancelled if `cancel` was
// raised). An engine error marks the run kFailed and rethrows; answers already recorded stay.
RunStatus execute_run(SessionStore& store, std::int64_t run_id, const EngineClient& client,
                      const RunExecutorOptions& options,
                      const std::function<void(const RunProgress&)>& on_progress = {},
                      const std::atomic<bool>* cancel = nullptr);

}  // namespace mote::sessions
