#include "engine/model/generation.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "engine/error.h"

namespace mote {

GenerationResult Generator::generate(const GenerationRequest& req, const TokenCallback& on_token,
                                     bool keep_step_logits) {
  if (req.prompt.empty()) throw Error("generate: empty prompt");
  if (req.max_tokens < 0) throw Error("generate: max_tokens must be >= 0");
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
    opts.tuning = req.tuning && !req.tuning->empty() ? req.tuning.get() : nullptr;
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
    if (std::find(req.stop_token_ids.begin(), req.stop_token_ids.end(), token) !=
        req.stop_token_ids.end()) {
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

std::vector<PrefillResult> Generator::prefill_batch(
    const std::vector<std::vector<int64_t>>& prompts, const CompiledTuning* tuning,
    int64_t max_batch, const std::function<bool(size_t, const PrefillResult&)>& on_result) {
  for (size_t i = 0; i < prompts.size(); ++i)
    if (prompts[i].empty()) throw Error("prefill: prompt " + std::to_string(i) + " is empty");
  // Similar lengths batch together, so padding stays small; results go back in prompt order.
  std::vector<size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return prompts[a].size() < prompts[b].size(); });
  std::vector<PrefillResult> results(prompts.size());
  max_batch = std::max<int64_t>(1, max_batch);
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(max_batch)) {
    const size_t end = std::min(order.size(), start + static_cast<size_t>(max_batch));
    const int64_t B = static_cast<int64_t>(end - start);
    int64_t T = 0;
    for (size_t i = start; i < end; ++i)
      T = std::max<int64_t>(T, static_cast<int64_t>(prompts[order[i]].size()));
    at::Tensor tokens = at::zeros({B, T}, at::kLong);  // pad id 0: never seen by real tokens
    at::Tensor last = at::empty({B}, at::kLong);
    for (int64_t b = 0; b < B; ++b) {
      const auto& p = prompts[order[start + b]];
      tokens[b]
          .narrow(0, 0, static_cast<int64_t>(p.size()))
          .copy_(at::tensor(p, at::TensorOptions().dtype(at::kLong)));
      last[b] = static_cast<int64_t>(p.size()) - 1;
    }
    KVCache cache = model_->new_cache();
    RoutingCapture capture;
    ForwardOptions opts;
    opts.tuning = tuning && !tuning->empty() ? tuning : nullptr;
    opts.capture = &capture;
    opts.logit_positions = last;
    at::Tensor logits = model_->forward(tokens, cache, opts);  // [B, V]
    std::vector<RoutingTrace> traces = capture.take(B, T, T);
    for (int64_t b = 0; b < B; ++b) {
      const size_t index = order[start + b];
      const int64_t len = static_cast<int64_t>(prompts[index].size());
      PrefillResult& r = results[index];
      r.routing = traces[b].slice(0, len);
      r.last_logits = logits[b];
      if (on_result && !on_result(index, r)) return results;
    }
  }
  return results;
}

}  // namespace mote
