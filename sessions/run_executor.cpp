#include "sessions/run_executor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "sessions/session_error.h"

namespace mote::sessions {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Execution {
  SessionStore& store;
  std::int64_t run_id;
  const EngineClient& client;
  const RunExecutorOptions& options;
  const std::function<void(const RunProgress&)>& on_progress;
  const std::atomic<bool>* cancel;
  RunConfig config;
  DatasetInfo dataset;
  std::string classifier_name;
  RunProgress progress;
  Clock::time_point started = Clock::now();

  bool cancelled() const { return cancel && cancel->load(); }

  void record(const StoredPrompt& prompt, const AnswerRecord& answer, bool classify) {
    std::vector<RuleLabel> labels;
    std::string label;
    if (classify && options.classifier) {
      const AnswerClassifier::Result r = options.classifier->classify(answer.text);
      // Unmatched answers are stored too (empty label), as classify_run does.
      labels.push_back({prompt.id, r.label, r.rule_index});
      label = r.label;
    }
    store.record_answer(run_id, prompt.id, answer, labels.empty() ? std::string() : classifier_name,
                        labels);
    ++progress.done;
    ++progress.done_this_call;
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    progress.prompts_per_second = seconds > 0 ? progress.done_this_call / seconds : 0.0;
    progress.eta_seconds = progress.prompts_per_second > 0
                               ? (progress.total - progress.done) / progress.prompts_per_second
                               : 0.0;
    progress.last_label = label;
    if (on_progress) on_progress(progress);
  }
};

DatasetInfo find_dataset(SessionStore& store, std::int64_t dataset_id) {
  for (auto& d : store.list_datasets())
    if (d.id == dataset_id) return d;
  throw SessionError(store.path().string() + ": no dataset with id " + std::to_string(dataset_id));
}

// The run's sampling JSON: SamplingSettings keys plus an optional "stop" (a string or strings).
// max_tokens and seed are the run's own columns; the JSON may repeat but not contradict them.
SamplingSettings run_sampling(const RunConfig& config, std::int64_t run_id,
                              std::vector<std::string>& stop) {
  json sampling = config.sampling.is_null() ? json::object() : config.sampling;
  if (!sampling.is_object())
    throw SessionError("run " + std::to_string(run_id) + ": sampling is not a JSON object");
  if (const auto it = sampling.find("stop"); it != sampling.end()) {
    if (it->is_string()) {
      stop.push_back(it->get<std::string>());
    } else if (it->is_array() &&
               std::all_of(it->begin(), it->end(), [](const json& s) { return s.is_string(); })) {
      stop = it->get<std::vector<std::string>>();
    } else {
      throw SessionError("run " + std::to_string(run_id) + ": sampling stop must be strings");
    }
    sampling.erase(it);
  }
  SamplingSettings s = SamplingSettings::from_json(sampling);
  if (sampling.contains("max_tokens") && s.max_tokens != config.max_tokens)
    throw SessionError("run " + std::to_string(run_id) + ": sampling max_tokens " +
                       std::to_string(s.max_tokens) + " contradicts the run's max_tokens " +
                       std::to_string(config.max_tokens));
  if (sampling.contains("seed") && s.seed != config.seed)
    throw SessionError("run " + std::to_string(run_id) +
                       ": sampling seed contradicts the run's seed");
  s.max_tokens = config.max_tokens;
  return s;
}

std::vector<ChatMessage> chat_messages(const DatasetInfo& dataset, const Prompt& prompt) {
  std::vector<ChatMessage> messages;
  if (dataset.system_prompt) messages.push_back({"system", *dataset.system_prompt});
  messages.push_back({"user", prompt.text});
  return messages;
}

// One prompt's generation, on a worker thread: the answer to record, maps checked.
AnswerRecord generate_one(const Execution& x, const EngineClient& client,
                          const StoredPrompt& prompt, const SamplingSettings& sampling,
                          const std::vector<std::string>& stop, bool& cancelled) {
  GenerationRequest request;
  request.chat = x.dataset.mode == PromptMode::kChat;
  if (request.chat)
    request.messages = chat_messages(x.dataset, prompt.prompt);
  else
    request.prompt = prompt.prompt.text;
  request.sampling = sampling;
  request.sampling.seed = prompt_seed(x.config.seed, prompt.position);
  request.tuning = x.config.tuning;
  request.capture = x.options.weighted_maps ? CaptureMode::IdsAndWeights : CaptureMode::Ids;
  request.stop = stop;
  const GenerationResult result = client.generate(request, {}, x.cancel);
  if (result.finish_reason == "cancelled") {
    if (x.cancelled()) {
      cancelled = true;
      return {};
    }
    throw EngineError(EngineError::Kind::kHttp,
                      "the engine at " + client.endpoint().url +
                          " stopped while generating prompt " + std::to_string(prompt.position) +
                          " (finish_reason \"cancelled\")",
                      503, "shutting_down");
  }
  const GenerationMaps maps = maps_from_routing(result.routing, x.config.geometry, request.tuning);
  // The engine counts the prompt map itself; both must agree or the rows are not what we think.
  if (result.prompt_counts && *result.prompt_counts != maps.prompt_counts) {
    throw EngineError(EngineError::Kind::kProtocol,
                      "the engine at " + client.endpoint().url + ": prompt " +
                          std::to_string(prompt.position) +
                          "'s prompt_counts differ from the counts of its routing rows");
  }
  AnswerRecord answer;
  answer.text = result.text;
  answer.prompt_tokens = result.prompt_tokens;
  answer.completion_tokens = result.completion_tokens;
  answer.finish_reason = result.finish_reason;
  answer.prompt_map = maps.prompt_counts;
  if (x.options.completion_maps) answer.completion_map = maps.completion_counts;
  if (x.options.weighted_maps) answer.weighted_map = maps.prompt_weighted;
  answer.elapsed_ms = result.elapsed_ms;
  return answer;
}

// Up to options.concurrency prompts in flight, spread over the engines; each answer is recorded
// on this thread as it finishes (one transaction each), in whatever order they finish. The stored
// answers do not depend on the concurrency: every prompt has its own seed and the engine's fp32
// batching is invisible (docs/engine.md). The first failure stops new prompts; the ones in flight
// finish and are recorded, then it is rethrown. Returns false when cancelled.
bool generate_all(Execution& x, const std::vector<StoredPrompt>& pending,
                  const std::vector<const EngineClient*>& engines) {
  std::vector<std::string> stop;
  const SamplingSettings sampling = run_sampling(x.config, x.run_id, stop);
  const std::size_t n_workers =
      std::min(pending.size(), static_cast<std::size_t>(std::max(1, x.options.concurrency)));
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::pair<const StoredPrompt*, AnswerRecord>> finished;
  std::size_t next = 0, workers_left = n_workers;
  bool stop_dispatch = false, cancelled = false;
  std::exception_ptr failure;
  auto work = [&](std::size_t w) {
    // One client per thread (engine_client.h), on engine w modulo the number of engines.
    const EngineClient client = *engines[w % engines.size()];
    for (;;) {
      const StoredPrompt* prompt = nullptr;
      {
        std::lock_guard lock(mutex);
        if (stop_dispatch || next >= pending.size() || x.cancelled()) break;
        prompt = &pending[next++];
      }
      try {
        bool was_cancelled = false;
        AnswerRecord answer = generate_one(x, client, *prompt, sampling, stop, was_cancelled);
        std::lock_guard lock(mutex);
        if (was_cancelled) {
          cancelled = stop_dispatch = true;
        } else {
          finished.emplace_back(prompt, std::move(answer));
        }
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        stop_dispatch = true;
      }
      cv.notify_all();
    }
    std::lock_guard lock(mutex);
    --workers_left;
    cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (std::size_t w = 0; w < n_workers; ++w) threads.emplace_back(work, w);
  std::exception_ptr record_failure;
  {
    std::unique_lock lock(mutex);
    for (;;) {
      cv.wait(lock, [&] { return !finished.empty() || workers_left == 0; });
      if (finished.empty()) break;
      auto [prompt, answer] = std::move(finished.front());
      finished.pop_front();
      lock.unlock();
      try {
        // Once cancelled nothing more is stored.
        if (!record_failure && !x.cancelled()) x.record(*prompt, answer, /*classify=*/true);
      } catch (...) {
        record_failure = std::current_exception();
      }
      lock.lock();
      if (record_failure) stop_dispatch = true;
    }
  }
  for (auto& t : threads) t.join();
  if (record_failure) std::rethrow_exception(record_failure);
  if (failure) std::rethrow_exception(failure);
  return !cancelled && !x.cancelled();
}

std::int64_t limit(const json& limits, const char* key, std::int64_t fallback) {
  if (!limits.is_object()) return fallback;
  const auto it = limits.find(key);
  return it != limits.end() && it->is_number_integer() && it->get<std::int64_t>() > 0
             ? it->get<std::int64_t>()
             : fallback;
}

// max_tokens 0: prompt maps from the engine's batched prefill. Returns false when cancelled.
bool scan_all(Execution& x, const std::vector<StoredPrompt>& pending, const ModelInfo& info) {
  const auto per_request = static_cast<std::size_t>(std::max<std::int64_t>(
      1, std::min<std::int64_t>(static_cast<std::int64_t>(x.options.scan_request_prompts),
                                limit(info.limits, "max_scan_prompts", 1024))));
  ScanOptions scan;
  scan.batch_size = static_cast<int>(std::max<std::int64_t>(
      1,
      std::min<std::int64_t>(x.options.scan_batch_size, limit(info.limits, "max_scan_batch", 32))));
  scan.weighted = x.options.weighted_maps;
  scan.tuning = x.config.tuning;
  for (std::size_t begin = 0; begin < pending.size(); begin += per_request) {
    if (x.cancelled()) return false;
    const std::size_t end = std::min(pending.size(), begin + per_request);
    std::vector<ScanPrompt> prompts;
    for (std::size_t i = begin; i < end; ++i) {
      ScanPrompt p;
      p.chat = x.dataset.mode == PromptMode::kChat;
      if (p.chat)
        p.messages = chat_messages(x.dataset, pending[i].prompt);
      else
        p.text = pending[i].prompt.text;
      prompts.push_back(std::move(p));
    }
    // Batched prompts finish together; each answer's elapsed_ms is the time since the previous
    // result (or the request's start), so the column still sums to the wall time.
    auto last = Clock::now();
    x.client.scan(
        prompts, scan, x.config.geometry,
        [&](const ScanResult& r) {
          const auto now = Clock::now();
          AnswerRecord answer;
          answer.prompt_tokens = r.prompt_tokens;
          answer.finish_reason = "length";
          answer.prompt_map = r.counts;
          if (x.options.weighted_maps) answer.weighted_map = r.weighted_counts;
          answer.elapsed_ms = std::chrono::duration<double, std::milli>(now - last).count();
          last = now;
          x.record(pending[begin + r.index], answer, /*classify=*/false);
        },
        x.cancel);
  }
  return true;
}

void set_status_quietly(SessionStore& store, std::int64_t run_id, RunStatus status) {
  try {
    store.set_run_status(run_id, status);
  } catch (...) {
    // Reporting the original failure matters more than this status update.
  }
}

}  // namespace

std::int64_t prompt_seed(std::int64_t run_seed, std::size_t position) {
  // SplitMix64: consecutive positions give unrelated seeds, and nearby run seeds do not share
  // streams shifted by one prompt.
  std::uint64_t z = static_cast<std::uint64_t>(run_seed) +
                    (static_cast<std::uint64_t>(position) + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<std::int64_t>(z & 0x7fffffffffffffffULL);
}

RunStatus execute_run(SessionStore& store, std::int64_t run_id, const EngineClient& client,
                      const RunExecutorOptions& options,
                      const std::function<void(const RunProgress&)>& on_progress,
                      const std::atomic<bool>* cancel) {
  Execution x{store, run_id, client, options, on_progress, cancel, {}, {}, {}, {}, Clock::now()};
  x.config = store.run(run_id).config;
  const ModelInfo info = client.model();
  const ModelGeometry& g = x.config.geometry;
  if (info.geometry.moe_layers != g.moe_layers || info.geometry.n_experts != g.n_experts ||
      info.geometry.top_k != g.top_k) {
    throw SessionError("run " + std::to_string(run_id) + " (model " + x.config.model_id + ", " +
                       std::to_string(g.n_moe_layers()) + " MoE layers x " +
                       std::to_string(g.n_experts) + " experts, top-" + std::to_string(g.top_k) +
                       ") cannot run on the engine at " + client.endpoint().url + " (model " +
                       info.id + ", " + std::to_string(info.geometry.n_moe_layers()) + " x " +
                       std::to_string(info.geometry.n_experts) + ", top-" +
                       std::to_string(info.geometry.top_k) + ")");
  }
  // More engines serving the same model: same id and geometry, or the run does not start.
  std::vector<const EngineClient*> engines{&client};
  for (const EngineClient* more : options.more_engines) {
    const ModelInfo other = more->model();
    if (other.id != info.id || other.geometry != info.geometry)
      throw SessionError(
          "the engine at " + more->endpoint().url + " serves " + other.id + " (" +
          std::to_string(other.geometry.n_moe_layers()) + " MoE layers x " +
          std::to_string(other.geometry.n_experts) + " experts, top-" +
          std::to_string(other.geometry.top_k) + "), the engine at " + client.endpoint().url +
          " serves " + info.id + " (" + std::to_string(info.geometry.n_moe_layers()) + " x " +
          std::to_string(info.geometry.n_experts) + ", top-" + std::to_string(info.geometry.top_k) +
          "): a run's engines must serve the same model");
    engines.push_back(more);
  }
  x.dataset = find_dataset(store, x.config.dataset_id);
  x.classifier_name = options.classifier_name.empty() && options.classifier
                          ? options.classifier->name()
                          : options.classifier_name;
  std::vector<StoredPrompt> pending = store.pending_prompts(run_id);
  // A limit takes the first pending prompts by position, whatever order answers finish in.
  if (options.limit && *options.limit < pending.size()) pending.resize(*options.limit);
  x.progress.total = x.dataset.n_prompts;
  x.progress.done = x.dataset.n_prompts - pending.size();

  store.set_run_status(run_id, RunStatus::kRunning);
  try {
    if (options.classifier && x.config.max_tokens > 0)
      store.store_classifier(x.classifier_name, options.classifier->source());
    x.started = Clock::now();
    const bool complete =
        x.config.max_tokens == 0 ? scan_all(x, pending, info) : generate_all(x, pending, engines);
    // Finished means every prompt asked for is answered, the whole dataset or the first `limit`
    // of it (the answer count says which); only a raised `cancel` leaves a run kCancelled.
    const RunStatus status = complete ? RunStatus::kFinished : RunStatus::kCancelled;
    store.set_run_status(run_id, status);
    return status;
  } catch (const EngineError& e) {
    if (e.kind() == EngineError::Kind::kCancelled) {
      set_status_quietly(store, run_id, RunStatus::kCancelled);
      return RunStatus::kCancelled;
    }
    set_status_quietly(store, run_id, RunStatus::kFailed);
    throw;
  } catch (...) {
    set_status_quietly(store, run_id, RunStatus::kFailed);
    throw;
  }
}

}  // namespace mote::sessions
