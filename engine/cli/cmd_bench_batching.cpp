// mote-engine bench-batching: N greedy requests with three different tunings (none, suppress,
// stimulate) and ragged prompts on a real checkpoint, generated one at a time and then all at
// once through the continuous-batching scheduler, in the same run. Prints both throughputs,
// whether every request's tokens and routing are identical (they must be in fp32) and
// `batching_speedup: X` last.
#include <atomic>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <random>
#include <thread>

#include <ATen/Parallel.h>

#include "engine/cli/commands.h"
#include "engine/error.h"
#include "engine/model/batch_scheduler.h"
#include "engine/model/generation.h"
#include "protocol/cli_args.h"
#include "protocol/resources_dir.h"

namespace mote {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Suppresses / stimulates `n` experts per MoE layer, spread over the expert ids.
TuningSpec spread_tuning(const ModelConfig& c, int n, bool stimulate, int offset) {
  TuningSpec spec;
  const int per_layer = std::min<int>(n, static_cast<int>(stimulate ? c.num_experts_per_tok : n));
  for (int64_t layer : c.moe_layers())
    for (int i = 0; i < per_layer; ++i) {
      const int e = static_cast<int>((offset + i * 37 + layer * 11) % c.n_routed_experts);
      (stimulate ? spec.stimulate : spec.suppress).push_back({static_cast<int>(layer), e});
    }
  return spec;
}

bool same(const GenerationResult& a, const GenerationResult& b) {
  return a.tokens == b.tokens && at::equal(a.routing.ids, b.routing.ids) &&
         at::equal(a.routing.weights, b.routing.weights) &&
         at::equal(a.routing.ids_before, b.routing.ids_before) &&
         at::equal(a.routing.weights_before, b.routing.weights_before);
}

}  // namespace

int run_bench_batching_command(int argc, char** argv) {
  cli::ArgParser parser(
      "mote-engine bench-batching",
      "Generates N greedy requests (ragged random prompts, three tunings: none, 10 suppressed\n"
      "experts per MoE layer, one stimulated) one at a time, then all N at once through the\n"
      "continuous-batching scheduler of `serve`, with routing capture on. Checks every request\n"
      "got the same tokens and routing both ways. The last line is 'batching_speedup: X'.");
  parser.option("--model", "DIR", "checkpoint directory (default: the demo model)")
      .option("--requests", "N", "requests", "48")
      .option("--max-batch", "N", "sequences per forward (serve --max-batch)", "32")
      .option("--max-tokens", "N", "tokens per request (no EOS stop)", "40")
      .option("--prompt-tokens", "A-B", "prompt lengths, uniformly in [A, B]", "8-40")
      .option("--dtype", "fp32|bf16", "compute dtype", "fp32")
      .option("--threads", "N", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  const cli::ParsedArgs args = parser.parse(std::vector<std::string>(argv + 1, argv + argc));
  at::set_num_threads(args.int_value("--threads"));
  const int64_t n = args.int_value("--requests"), max_batch = args.int_value("--max-batch"),
                max_tokens = args.int_value("--max-tokens");
  if (n < 1 || n > 4096) throw UsageError("--requests must be in [1, 4096]");
  if (max_batch < 1 || max_batch > 256) throw UsageError("--max-batch must be in [1, 256]");
  if (max_tokens < 1) throw UsageError("--max-tokens must be >= 1");
  int64_t lo = 0, hi = 0;
  {
    const std::string r = args.value("--prompt-tokens");
    const auto dash = r.find('-');
    if (dash == std::string::npos) throw UsageError("--prompt-tokens: expected A-B, got " + r);
    lo = cli::parse_int(r.substr(0, dash), "--prompt-tokens");
    hi = cli::parse_int(r.substr(dash + 1), "--prompt-tokens");
    if (lo < 1 || hi < lo) throw UsageError("--prompt-tokens: need 1 <= A <= B, got " + r);
  }
  std::filesystem::path dir;
  if (auto m = args.get("--model"))
    dir = *m;
  else
    dir = find_resources_dir() / "models" / "mote-organism";
  EngineOptions options;
  const std::string dtype = args.value("--dtype");
  if (dtype == "bf16")
    options.compute_dtype = at::kBFloat16;
  else if (dtype != "fp32")
    throw UsageError("--dtype must be fp32 or bf16, got " + dtype);
  auto model = Transformer::load(dir, options);
  const ModelConfig& c = model->config();

  const std::vector<std::shared_ptr<const CompiledTuning>> tunings = {
      nullptr, CompiledTuning::shared(spread_tuning(c, 10, false, 3), c),
      CompiledTuning::shared(spread_tuning(c, 1, true, 5), c)};
  std::mt19937_64 rng(7);
  std::vector<GenerationRequest> requests(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    GenerationRequest& r = requests[static_cast<size_t>(i)];
    const int64_t len = lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
    for (int64_t j = 0; j < len; ++j)
      r.prompt.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(c.vocab_size)));
    r.max_tokens = max_tokens;
    r.tuning = tunings[static_cast<size_t>(i % 3)];
    r.capture = CaptureMode::IdsAndWeights;
  }
  std::cout << std::fixed << std::setprecision(2);
  std::cout << "model: " << dir.string() << " (" << dtype << ", " << at::get_num_threads()
            << " threads); " << n << " requests x " << max_tokens << " tokens, prompts " << lo
            << "-" << hi << " tokens, tunings: none / suppress / stimulate\n";

  Generator alone(model);
  std::vector<GenerationResult> one_at_a_time;
  auto t0 = clock_type::now();
  for (const auto& r : requests) one_at_a_time.push_back(alone.generate(r));
  const double s1 = seconds_since(t0);

  BatchScheduler scheduler(model, max_batch);
  Generator batched_gen(model, &scheduler);
  std::vector<GenerationResult> batched(requests.size());
  std::atomic<size_t> next{0};
  t0 = clock_type::now();
  {
    // One thread per request in flight, as `serve` has one per request in progress.
    std::vector<std::thread> threads;
    for (int64_t t = 0; t < std::min(n, max_batch); ++t)
      threads.emplace_back([&] {
        for (size_t i = next++; i < requests.size(); i = next++)
          batched[i] = batched_gen.generate(requests[i]);
      });
    for (auto& t : threads) t.join();
  }
  const double sb = seconds_since(t0);
  int64_t identical = 0;
  for (size_t i = 0; i < requests.size(); ++i) identical += same(one_at_a_time[i], batched[i]);
  const auto stats = scheduler.stats();
  const double tokens = static_cast<double>(n * max_tokens);
  std::cout << "one at a time: " << s1 << " s, " << tokens / s1 << " tokens/s\n";
  std::cout << "batched (max-batch " << max_batch << "): " << sb << " s, " << tokens / sb
            << " tokens/s; " << stats.forwards << " forwards, " << std::setprecision(1)
            << static_cast<double>(stats.sequences) / static_cast<double>(stats.forwards)
            << " sequences per forward on average, largest " << stats.largest << "\n"
            << std::setprecision(2);
  std::cout << "identical tokens and routing: " << identical << " of " << n << " requests\n";
  std::cout << "batching_speedup: " << s1 / sb << "\n";
  return identical == n || dtype == "bf16" ? 0 : 1;
}

}  // namespace mote
