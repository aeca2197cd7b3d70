#include "engine/model/generation.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>

#include "engine/error.h"
#include "engine/model/batch_scheduler.h"

namespace mote {

std::vector<StepOutput> Generator::forward(const std::vector<SequenceStep>& steps) {
  return scheduler_ ? scheduler_->run(steps) : model_->forward_packed(steps);
}

GenerationResult Generator::generate(const GenerationRequest& req, const TokenCallback& on_token,
                                     bool keep_step_logits) {
  if (req.prompt.empty()) throw Error("generate: empty prompt");
  if (req.max_tokens < 0) throw Error("generate: max_tokens must be >= 0");
  Sampler sampler(req.sampling);
  const bool capture_on = req.capture != CaptureMode::None;
  // Registered with the scheduler while generating: the next step is coming.
  std::optional<BatchScheduler::Member> member;
  if (scheduler_) member.emplace(*scheduler_);

  GenerationResult result;
  result.finish_reason = "length";
  KVCache cache = model_->new_cache();
  std::vector<RoutingTrace> traces;
  std::vector<at::Tensor> logits_steps;
  using clock = std::chrono::steady_clock;

  SequenceStep step;
  step.tokens = at::tensor(req.prompt, at::TensorOptions().dtype(at::kLong));
  step.cache = &cache;
  step.tuning = req.tuning && !req.tuning->empty() ? req.tuning.get() : nullptr;
  step.capture = capture_on;
  step.n_prompt = step.tokens.size(0);
  step.all_logits = req.prompt_logits;
  int64_t processed = 0;  // positions whose routing was captured so far
  for (int64_t index = 0; index < req.max_tokens; ++index) {
    auto t0 = clock::now();
    StepOutput out = std::move(forward({step}).front());
    at::Tensor logits = out.logits;  // [V]
    if (keep_step_logits) logits_steps.push_back(logits);
    const int64_t token = sampler.next(logits);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    (index == 0 ? result.prefill_seconds : result.decode_seconds) += dt;

    GenerationEvent event;
    event.token = token;
    event.index = index;
    event.logits = logits;
    if (index == 0 && req.prompt_logits) event.prompt_logits = out.all_logits;
    if (capture_on) {
      traces.push_back(std::move(out.routing));
      event.routing = &traces.back();
      event.routing_position = processed;
      processed += step.tokens.size(0);
    }
    result.tokens.push_back(token);
    bool keep_going = !on_token || on_token(event);
    if (std::find(req.stop_token_ids.begin(), req.stop_token_ids.end(), token) !=
        req.stop_token_ids.end()) {
      result.finish_reason = "stop";
      break;
    }
    if (!keep_going) {
      result.finish_reason = "cancelled";
      break;
    }
    step.tokens = at::tensor({token}, at::TensorOptions().dtype(at::kLong));
    step.n_prompt = 0;
    step.all_logits = false;
  }
  if (capture_on) result.routing = RoutingTrace::concat(traces);
  if (keep_step_logits && !logits_steps.empty()) result.step_logits = at::stack(logits_steps);
  return result;
}

at::Tensor Generator::score(const std::vector<int64_t>& prompt, const CompiledTuning* tuning) {
  if (prompt.empty()) throw Error("score: empty prompt");
  std::optional<BatchScheduler::Member> member;
  if (scheduler_) member.emplace(*scheduler_);
  KVCache cache = model_->new_cache();
  SequenceStep step;
  step.tokens = at::tensor(prompt, at::TensorOptions().dtype(at::kLong));
  step.cache = &cache;
  step.tuning = tuning && !tuning->empty() ? tuning : nullptr;
  step.n_prompt = step.tokens.size(0);
  step.all_logits = true;
  return std::move(forward({step}).front().all_logits);
}

std::vector<PrefillResult> Generator::prefill_batch(
    const std::vector<std::vector<int64_t>>& prompts, const CompiledTuning* tuning,
    int64_t max_batch, const std::function<bool(size_t, const PrefillResult&)>& on_result) {
  for (size_t i = 0; i < prompts.size(); ++i)
    if (prompts[i].empty()) throw Error("prefill: prompt " + std::to_string(i) + " is empty");
  std::vector<PrefillResult> results(prompts.size());
  const size_t per_forward = static_cast<size_t>(std::max<int64_t>(1, max_batch));
  for (size_t start = 0; start < prompts.size(); start += per_forward) {
    const size_t end = std::min(prompts.size(), start + per_forward);
    std::vector<KVCache> caches(end - start);
    std::vector<SequenceStep> steps(end - start);
    for (size_t i = start; i < end; ++i) {
      SequenceStep& s = steps[i - start];
      s.tokens = at::tensor(prompts[i], at::TensorOptions().dtype(at::kLong));
      s.cache = &caches[i - start];
      s.tuning = tuning && !tuning->empty() ? tuning : nullptr;
      s.capture = true;
      s.n_prompt = s.tokens.size(0);
    }
    std::vector<StepOutput> out = forward(steps);
    for (size_t i = start; i < end; ++i) {
      PrefillResult& r = results[i];
      r.routing = std::move(out[i - start].routing);
      r.last_logits = out[i - start].logits;
      if (on_result && !on_result(i, r)) return results;
    }
  }
  return results;
}

}  // namespace mote
