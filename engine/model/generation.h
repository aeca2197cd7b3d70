#pragma once
// Generation on a Transformer: one KV-cached prefill of the prompt, then one-token decode steps,
// with per-request tuning, optional routing capture and a per-token callback.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model.h"
#include "engine/model/routing.h"
#include "engine/model/sampler.h"
#include "engine/model/tuning.h"
#include "protocol/capture_mode.h"

namespace mote {

struct GenerationRequest {
  std::vector<int64_t> prompt;
  int64_t max_tokens = 16;
  SamplingParams sampling;
  std::vector<int64_t> stop_token_ids;  // generation ends after emitting one of these
  // Compiled once per request (CompiledTuning::shared), checked before any work; null: untuned.
  std::shared_ptr<const CompiledTuning> tuning;
  CaptureMode capture = CaptureMode::None;
  bool prompt_logits = false;  // the first event also carries the logits after every prompt token
};

// Sent once per generated token. `routing` covers the tokens the producing forward call processed:
// the whole prompt for index 0, the previous generated token afterwards (positions
// routing_position .. +routing.tokens()).
struct GenerationEvent {
  int64_t token = 0;
  int64_t index = 0;                      // 0-based position in the completion
  const RoutingTrace* routing = nullptr;  // null unless capture is on
  int64_t routing_position = 0;
  at::Tensor logits;         // [V] float32: what the sampler chose `token` from
  at::Tensor prompt_logits;  // [T_prompt, V] float32, index 0 when asked; its last row is logits
};

// Return false to stop generating (client gone, user cancelled).
using TokenCallback = std::function<bool(const GenerationEvent&)>;

struct GenerationResult {
  std::vector<int64_t> tokens;
  std::string finish_reason;  // "stop", "length" or "cancelled"
  RoutingTrace routing;       // all processed tokens (prompt, then generated but the last)
  at::Tensor step_logits;     // [steps, V] float32, when requested
  double prefill_seconds = 0, decode_seconds = 0;
};

// One prompt's prefill in a batch: its routing and the logits after its last token.
struct PrefillResult {
  RoutingTrace routing;    // n_prompt == prompt length
  at::Tensor last_logits;  // [V] float32
};

// Where a Generator's forward steps run: null, the model directly (one caller at a time);
// otherwise a BatchScheduler shared by concurrent callers (engine/model/batch_scheduler.h).
class BatchScheduler;

class Generator {
 public:
  explicit Generator(std::shared_ptr<Transformer> model, BatchScheduler* scheduler = nullptr)
      : model_(std::move(model)), scheduler_(scheduler) {}
  GenerationResult generate(const GenerationRequest& request, const TokenCallback& on_token = {},
                            bool keep_step_logits = false);
  // Prefills several prompts, at most `max_batch` per packed forward (no padding), with one
  // tuning (null: untuned) and routing capture on.
  // Results are in prompt order; `on_result(i, result)` is called as each finishes (return false
  // to stop early).
  std::vector<PrefillResult> prefill_batch(
      const std::vector<std::vector<int64_t>>& prompts, const CompiledTuning* tuning,
      int64_t max_batch, const std::function<bool(size_t, const PrefillResult&)>& on_result = {});
  // The logits after each of `prompt`'s tokens ([T, V] float32), one forward without sampling:
  // scoring a text (logprobs of an echoed prompt with max_tokens 0).
  at::Tensor score(const std::vector<int64_t>& prompt, const CompiledTuning* tuning);
  const Transformer& model() const { return *model_; }

 private:
  std::vector<StepOutput> forward(const std::vector<SequenceStep>& steps);
  std::shared_ptr<Transformer> model_;
  BatchScheduler* scheduler_ = nullptr;
};

}  // namespace mote
