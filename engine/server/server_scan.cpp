#include "engine/server/server_scan.h"

#include "protocol/wire_scan.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "engine/error.h"
#include "engine/server/server_capture.h"
#include "engine/server/server_errors.h"
#include "engine/server/server_generate.h"
#include "engine/tokenizer/tokenizer_streaming_decoder.h"

namespace mote::server {
namespace {

using json = nlohmann::json;

[[noreturn]] void invalid(const std::string& message, const std::string& code = "invalid_value") {
  throw invalid_request(message, code);
}

}  // namespace

PreparedScan prepare_scan(const ModelBundle& b, ScanRequest request, const RequestLimits& limits) {
  PreparedScan s;
  const ModelConfig& c = b.model->config();
  for (size_t i = 0; i < request.prompts.size(); ++i) {
    const ScanPrompt& p = request.prompts[i];
    const std::string at = "prompts[" + std::to_string(i) + "]";
    std::vector<int64_t> ids;
    try {
      if (p.chat) {
        if (!b.chat_template) invalid(at + ": this model has no chat template", "no_chat_template");
        ids = b.tokenizer->encode(b.chat_template->render(p.messages, p.add_generation_prompt));
      } else {
        ids = b.tokenizer->encode(p.text);
      }
    } catch (const UsageError& e) {
      invalid(at + ": " + e.what());
    } catch (const TokenizerError& e) {
      invalid(at + ": " + e.what());
    }
    const auto n = static_cast<int64_t>(ids.size());
    if (n == 0) invalid(at + " is empty");
    if (n > limits.max_prompt_tokens || n + request.max_tokens > c.max_position_embeddings)
      invalid(at + " has " + std::to_string(n) + " tokens, more than the limit of " +
                  std::to_string(std::min(limits.max_prompt_tokens,
                                          c.max_position_embeddings - request.max_tokens)),
              "context_length_exceeded");
    s.prompts.push_back(std::move(ids));
  }
  s.tuning = CompiledTuning::shared(request.mote.tuning, c);  // validated by the parser
  s.sampling.temperature = request.sampling.temperature.value_or(b.defaults.temperature);
  s.sampling.top_p = request.sampling.top_p.value_or(b.defaults.top_p);
  s.sampling.top_k = request.sampling.top_k.value_or(b.defaults.top_k);
  s.sampling.seed = request.sampling.seed ? *request.sampling.seed : std::random_device{}();
  s.request = std::move(request);
  return s;
}

void run_scan_stream(const ModelBundle& b, Generator& g, const PreparedScan& s, StreamChannel& ch,
                     const std::atomic<bool>& stopping) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n_experts = b.geometry.n_experts;
  const ScanRequest& r = s.request;
  int64_t completed = 0;
  auto keep_going = [&] { return !ch.cancelled() && !stopping.load(); };
  try {
    if (stopping) throw shutting_down();
    ScanStart start;
    start.prompts = s.prompts.size();
    start.geometry = b.geometry;
    start.batch_size = static_cast<int>(r.batch_size);
    start.max_tokens = static_cast<int>(r.max_tokens);
    start.tuning = r.mote.tuning;
    ch.push(sse_event(start.to_json()));
    auto result_event = [&](size_t index, const RoutingTrace& routing, int64_t n_prompt) {
      ScanResult e;
      e.index = index;
      e.prompt_tokens = static_cast<int>(n_prompt);
      e.counts = activation_map_of(routing.activation_counts(n_experts, 0, n_prompt));
      if (r.weighted)
        e.weighted_counts =
            activation_map_of(routing.activation_counts(n_experts, 0, n_prompt, true));
      return e;
    };
    if (r.max_tokens == 0) {
      g.prefill_batch(
          s.prompts, s.tuning.get(), r.batch_size, [&](size_t index, const PrefillResult& res) {
            ++completed;
            return ch.push(sse_event(
                       result_event(index, res.routing, res.routing.n_prompt).to_json())) &&
                   keep_going();
          });
    } else {
      // Up to batch_size prompts generate at once, each on its own thread, their decode steps
      // batched by the scheduler; results go out as they finish, each with its index.
      std::mutex out_mutex;
      std::atomic<size_t> next{0};
      std::atomic<bool> client_gone{false};
      std::exception_ptr failure;
      auto generate_prompts = [&] {
        try {
          for (size_t i = next++; i < s.prompts.size() && keep_going() && !client_gone;
               i = next++) {
            GenerationRequest req;
            req.prompt = s.prompts[i];
            req.max_tokens = r.max_tokens;
            req.sampling = s.sampling;
            req.stop_token_ids = b.defaults.eos_token_ids;
            req.tuning = s.tuning;
            req.capture = CaptureMode::Ids;
            RoutingTrace prompt_routing;
            GenerationResult out = g.generate(req, [&](const GenerationEvent& ev) {
              if (ev.index == 0 && ev.routing) prompt_routing = *ev.routing;
              return keep_going() && !client_gone;
            });
            std::vector<int64_t> text_ids;
            for (int64_t t : out.tokens)
              if (std::find(req.stop_token_ids.begin(), req.stop_token_ids.end(), t) ==
                  req.stop_token_ids.end())
                text_ids.push_back(t);
            ScanResult e = result_event(i, prompt_routing, static_cast<int64_t>(req.prompt.size()));
            e.text = b.tokenizer->decode(text_ids, /*skip_special_tokens=*/true);
            e.completion_tokens = static_cast<int>(out.tokens.size());
            e.finish_reason = out.finish_reason;
            std::lock_guard lock(out_mutex);
            if (out.finish_reason == "cancelled") continue;  // not a finished answer
            ++completed;
            if (!ch.push(sse_event(e.to_json()))) client_gone = true;
          }
        } catch (...) {
          std::lock_guard lock(out_mutex);
          if (!failure) failure = std::current_exception();
          client_gone = true;  // stop the others too: the scan fails as a whole
        }
      };
      const size_t n_threads = std::min<size_t>(
          s.prompts.size(), static_cast<size_t>(std::max<int64_t>(1, r.batch_size)));
      std::vector<std::thread> threads;
      for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(generate_prompts);
      generate_prompts();
      for (auto& t : threads) t.join();
      if (failure) std::rethrow_exception(failure);
    }
    if (ch.cancelled()) {
      ch.close();
      return;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ScanDone done;
    done.prompts = s.prompts.size();
    done.completed = static_cast<size_t>(completed);
    done.seconds = seconds;
    done.prompts_per_second = completed / std::max(seconds, 1e-9);
    done.cancelled = stopping;
    ch.push(sse_event(done.to_json()));
  } catch (const std::exception& e) {
    ch.push("data: " + error_reply(e).body + "\n\n");
  }
  ch.push(kSseDone);
  ch.close();
}

}  // namespace mote::server
