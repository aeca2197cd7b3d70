#include "engine/generation.h"

#include <algorithm>
#include <chrono>

#include "engine/error.h"

namespace mote {

GenerationResult Generator::generate(const GenerationRequest& req, const TokenCallback& on_token,
                                     bool keep_step_logits) {
  if (req.prompt.empty()) throw Error("generate: empty prompt");
  if (req.max_tokens < 0) throw Error("generate: max_tokens must be >= 0");
  CompiledTuning tuning(req.tuning, model_->config());  // TuningError before any work
  Sampler sampler(req.sampling);
  const bool capture_on = req.capture != CaptureMode::None;

  GenerationResult result;
  result.finish_reason = "length";
  KVCache cache = model_->new_cache();
  std::vector<RoutingTrace> traces;
  std::vector<at::Tensor> logits_steps;
  using clock = std::chrono::steady_clock;

  at::Tensor input = at::tensor(req.prompt, at::TensorOptions().dtype(at::kLong)).view({1, -1});
  int64_t processed = 0;  // positions whose routing was captured so far
  for (int64_t step = 0; step < req.max_tokens; ++step) {
    auto t0 = clock::now();
    RoutingCapture capture;
    ForwardOptions opts;
    opts.tuning = tuning.empty() ? nullptr : &tuning;
    opts.capture = capture_on ? &capture : nullptr;
    at::Tensor logits = model_->forward(input, cache, opts).select(0, 0);  // [V]
    if (keep_step_logits) logits_steps.push_back(logits);
    const int64_t token = sampler.next(logits);
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    (step == 0 ? result.prefill_seconds : result.decode_seconds) += dt;

    GenerationEvent event;
    event.token = token;
    event.index = step;
    if (capture_on) {
      traces.push_back(capture.take(1, input.size(1), step == 0 ? input.size(1) : 0)[0]);
      event.routing = &traces.back();
      event.routing_position = processed;
      processed += input.size(1);
    }
    result.tokens.push_back(token);
    bool keep_going = !on_token || on_token(event);
    if (std::find(req.stop_token_ids.begin(), req.stop_token_ids.end(), token) != req.stop_token_ids.end()) {
      result.finish_reason = "stop";
      break;
    }
    if (!keep_going) {
      result.finish_reason = "cancelled";
      break;
    }
    input = at::tensor({token}, at::TensorOptions().dtype(at::kLong)).view({1, 1});
  }
  if (capture_on) result.routing = RoutingTrace::concat(traces);
  if (keep_step_logits && !logits_steps.empty()) result.step_logits = at::stack(logits_steps);
  return result;
}

}  // namespace mote
