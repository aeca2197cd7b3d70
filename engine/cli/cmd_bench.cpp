// mote-engine bench: decode and prefill speed of a synthetic bandwidth-bound MoE (random bf16
// weights) against this machine's memory read bandwidth measured in the same run, plus the cost
// of routing capture and of a 10-expert tuning.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/checkpoint_tools.h"
#include "engine/cli/commands.h"
#include "engine/error.h"
#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "engine/model/weight_layout.h"
#include "protocol/cli_args.h"

namespace mote {
namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

__attribute__((target("avx2"))) float sum_avx2(const float* p, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float s = 0;
  for (float v : lanes) s += v;
  for (; i < n; ++i) s += p[i];
  return s;
}

// Read bandwidth: all threads summing disjoint parts of a buffer far larger than the caches.
double measure_read_bandwidth(int64_t bytes) {
  at::Tensor buf = at::rand({bytes / 4}, at::kFloat);
  const float* p = buf.data_ptr<float>();
  const int64_t n = buf.numel();
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::atomic<float> sink{0};
    auto t0 = clock_type::now();
    at::parallel_for(0, n, 1 << 20,
                     [&](int64_t b, int64_t e) { sink = sink + sum_avx2(p + b, e - b); });
    best = std::max(best, static_cast<double>(bytes) / seconds_since(t0));
    if (sink.load() == -1.0f) std::cout << "";  // keep the sum alive
  }
  return best;
}

nlohmann::json bench_config(int64_t layers, int64_t hidden, int64_t experts, int64_t top_k,
                            int64_t moe_inter, int64_t shared) {
  return {{"model_type", "deepseek_v3"},
          {"architectures", {"DeepseekV3ForCausalLM"}},
          {"vocab_size", 32000},
          {"hidden_size", hidden},
          {"intermediate_size", 4 * hidden},
          {"moe_intermediate_size", moe_inter},
          {"num_hidden_layers", layers},
          {"num_attention_heads", 16},
          {"num_key_value_heads", 16},
          {"n_routed_experts", experts},
          {"n_shared_experts", shared},
          {"num_experts_per_tok", top_k},
          {"first_k_dense_replace", 0},
          {"moe_layer_freq", 1},
          {"n_group", 1},
          {"topk_group", 1},
          {"topk_method", "noaux_tc"},
          {"scoring_func", "sigmoid"},
          {"norm_topk_prob", true},
          {"routed_scaling_factor", 2.5},
          {"q_lora_rank", nullptr},
          {"kv_lora_rank", 512},
          {"qk_nope_head_dim", 128},
          {"qk_rope_head_dim", 64},
          {"v_head_dim", 128},
          {"rms_norm_eps", 1e-6},
          {"rope_theta", 10000},
          {"max_position_embeddings", 4096},
          {"tie_word_embeddings", false},
          {"bos_token_id", 0},
          {"eos_token_id", 1},
          {"torch_dtype", "bfloat16"}};
}

// Bytes of weights one token reads, from the layout alone (k of the routed experts).
int64_t estimate_active_bytes(const ModelConfig& c) {
  int64_t n = 0;
  for (const auto& w : weight_layout(c)) {
    int64_t numel = 1;
    for (int64_t d : w.shape) numel *= d;
    if (w.name.find(".experts.") != std::string::npos) continue;
    if (w.name == "model.embed_tokens.weight") numel = c.hidden_size;
    n += numel * (w.kind == WeightKind::Router ? 4 : 2);
  }
  return n + static_cast<int64_t>(c.moe_layers().size()) * c.num_experts_per_tok * 3 *
                 c.hidden_size * c.moe_intermediate_size * 2;
}

struct DecodeTiming {
  double tokens_per_second = 0;
};

double decode_rate(Generator& gen, const std::vector<int64_t>& prompt, int64_t tokens,
                   const std::shared_ptr<const CompiledTuning>& tuning, CaptureMode capture) {
  GenerationRequest req;
  req.prompt = prompt;
  req.max_tokens = tokens;
  req.tuning = tuning;
  req.capture = capture;
  GenerationResult r = gen.generate(req);
  return static_cast<double>(r.tokens.size() - 1) / r.decode_seconds;
}

// B sequences decoding together: one [B, 1] forward per step on one cache (a static batch of
// equal-length random prompts; what continuous batching in `serve` runs per step).
struct BatchDecode {
  double tokens_per_second = 0;  // aggregate over the batch
  double experts_per_layer = 0;  // mean distinct routed experts one step reads per MoE layer
};

BatchDecode batch_decode_rate(Transformer& model, int64_t batch, int64_t steps, uint64_t seed) {
  std::mt19937_64 rng(seed);
  at::Tensor tokens = at::empty({batch, 8}, at::kLong);
  for (int64_t i = 0; i < tokens.numel(); ++i)
    tokens.data_ptr<int64_t>()[i] = static_cast<int64_t>(rng() % 32000);
  KVCache cache = model.new_cache();
  at::Tensor next = model.forward(tokens, cache).reshape({batch, -1}).argmax(-1);  // [B]
  const int64_t n_moe = static_cast<int64_t>(model.config().moe_layers().size());
  double distinct = 0, seconds = 0;
  for (int64_t step = 0; step < steps; ++step) {
    RoutingCapture capture;
    ForwardOptions options;
    options.capture = &capture;
    const auto t0 = clock_type::now();
    next = model.forward(next.unsqueeze(1), cache, options).reshape({batch, -1}).argmax(-1);
    seconds += seconds_since(t0);
    // ids: [n_moe, 1, k] per sequence -> distinct experts per layer over the batch
    const std::vector<RoutingTrace> traces = capture.take(batch, 1, 0);
    std::vector<at::Tensor> ids;
    for (const RoutingTrace& t : traces) ids.push_back(t.ids.reshape({n_moe, -1}));
    const at::Tensor all = at::cat(ids, 1);  // [n_moe, B * k]
    for (int64_t l = 0; l < n_moe; ++l)
      distinct += static_cast<double>(std::get<0>(at::_unique(all[l])).numel());
  }
  return {static_cast<double>(batch * steps) / seconds,
          distinct / static_cast<double>(steps * n_moe)};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int run_bench_command(int argc, char** argv) {
  cli::ArgParser parser(
      "mote-engine bench",
      "Builds a synthetic MoE checkpoint with random bf16 weights (by default hidden 2048,\n"
      "64 experts top-6, moe_intermediate 1408, 2 shared experts, enough layers for >= 1 GB of\n"
      "active weights per token), then measures decode and prefill speed, this machine's\n"
      "memory read bandwidth, and the slowdown from routing capture and a 10-expert tuning.\n"
      "The last line is 'bandwidth_ratio: R' = decode_tok_s * active_bytes / bandwidth.");
  parser.option("--layers", "N", "MoE layers (0: fewest giving >= 1 GB active per token)", "0")
      .option("--hidden", "N", "hidden size", "2048")
      .option("--experts", "N", "routed experts per layer", "64")
      .option("--top-k", "N", "experts per token", "6")
      .option("--moe-intermediate", "N", "expert width", "1408")
      .option("--shared", "N", "shared experts", "2")
      .option("--decode", "N", "decode steps per measurement", "24")
      .option("--prefill", "N", "prefill tokens", "128")
      .option("--rounds", "N", "measurement rounds (median reported)", "3")
      .option("--batch", "B",
              "also decode B sequences together and report batch_speedup against batch 1 and "
              "the bound for that batch (1: off)",
              "1")
      .option("--threads", "N", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())))
      .option("--dir", "DIR",
              "where to write the synthetic checkpoint (default: /dev/shm or temp)");
  const cli::ParsedArgs args = parser.parse(std::vector<std::string>(argv + 1, argv + argc));
  at::set_num_threads(args.int_value("--threads"));
  const int64_t batch = args.int_value("--batch");
  if (batch < 1 || batch > 256)
    throw UsageError("--batch must be in [1, 256], got " + std::to_string(batch));

  const int64_t hidden = args.int_value("--hidden"), experts = args.int_value("--experts"),
                top_k = args.int_value("--top-k"), inter = args.int_value("--moe-intermediate"),
                shared = args.int_value("--shared");
  int64_t layers = args.int_value("--layers");
  if (layers <= 0) {
    layers = 1;
    while (estimate_active_bytes(ModelConfig::from_json(
               bench_config(layers, hidden, experts, top_k, inter, shared))) < (int64_t{1} << 30))
      ++layers;
  }
  nlohmann::json config = bench_config(layers, hidden, experts, top_k, inter, shared);

  std::filesystem::path base =
      std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  if (auto d = args.get("--dir")) base = *d;
  const std::filesystem::path dir = base / ("mote-bench-" + std::to_string(::getpid()));
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{dir};

  std::cout << std::fixed << std::setprecision(2);
  std::cout << "config: " << layers << " MoE layers, hidden " << hidden << ", " << experts
            << " experts top-" << top_k << ", moe_intermediate " << inter << ", " << shared
            << " shared, bf16 weights, " << at::get_num_threads() << " threads\n";
  auto t0 = clock_type::now();
  write_random_checkpoint(dir, config, /*seed=*/1, at::kBFloat16);
  std::cout << "synthetic checkpoint written in " << seconds_since(t0) << " s (" << dir.string()
            << ")\n";

  EngineOptions options;
  options.compute_dtype = at::kBFloat16;
  auto model = Transformer::load(dir, options);
  const int64_t active = model->active_weight_bytes();
  Generator gen(model);

  std::mt19937_64 rng(7);
  std::vector<int64_t> prompt(8), long_prompt(args.int_value("--prefill"));
  for (auto& t : prompt) t = static_cast<int64_t>(rng() % 32000);
  for (auto& t : long_prompt) t = static_cast<int64_t>(rng() % 32000);

  // Ten distinct random experts spread over the MoE layers.
  TuningSpec tuning;
  const auto moe_layers = model->config().moe_layers();
  while (tuning.suppress.size() < 10) {
    ExpertAddress a{static_cast<int>(moe_layers[rng() % moe_layers.size()]),
                    static_cast<int>(rng() % experts)};
    if (std::find(tuning.suppress.begin(), tuning.suppress.end(), a) == tuning.suppress.end())
      tuning.suppress.push_back(a);
  }

  const auto compiled = CompiledTuning::shared(tuning, model->config());
  const int64_t decode = args.int_value("--decode");
  decode_rate(gen, prompt, 4, {}, CaptureMode::None);  // warm-up: page in, allocator
  const double bandwidth = measure_read_bandwidth(int64_t{1} << 30);

  std::vector<double> plain, captured, tuned, prefill;
  for (int64_t round = 0; round < args.int_value("--rounds"); ++round) {
    // Interleaved so drift on a shared machine hits all variants alike.
    plain.push_back(decode_rate(gen, prompt, decode, {}, CaptureMode::None));
    captured.push_back(decode_rate(gen, prompt, decode, {}, CaptureMode::IdsAndWeights));
    tuned.push_back(decode_rate(gen, prompt, decode, compiled, CaptureMode::None));
    GenerationRequest req;
    req.prompt = long_prompt;
    req.max_tokens = 1;
    GenerationResult r = gen.generate(req);
    prefill.push_back(static_cast<double>(long_prompt.size()) / r.prefill_seconds);
  }
  const double decode_tps = median(plain), capture_tps = median(captured),
               tuned_tps = median(tuned);
  const double ratio = decode_tps * static_cast<double>(active) / bandwidth;
  std::cout << "active weight bytes per token: " << active << " (" << active / 1e9 << " GB)\n";
  std::cout << "memory read bandwidth: " << bandwidth / 1e9 << " GB/s\n";
  std::cout << "decode: " << decode_tps << " tokens/s (" << decode_tps * active / 1e9
            << " GB/s of weights)\n";
  std::cout << "prefill: " << median(prefill) << " tokens/s (" << long_prompt.size()
            << "-token prompt)\n";
  std::cout << "routing capture slowdown: " << 100.0 * (decode_tps / capture_tps - 1) << " %\n";
  std::cout << "10-expert tuning slowdown: " << 100.0 * (decode_tps / tuned_tps - 1) << " %\n";
  if (batch > 1) {
    // Batch 1 and batch B the same way (static batch, one forward per step), interleaved.
    std::vector<double> one, many, union_sizes;
    for (int64_t round = 0; round < args.int_value("--rounds"); ++round) {
      one.push_back(batch_decode_rate(*model, 1, decode, 100 + round).tokens_per_second);
      const BatchDecode b = batch_decode_rate(*model, batch, decode, 200 + round);
      many.push_back(b.tokens_per_second);
      union_sizes.push_back(b.experts_per_layer);
    }
    // A step reads the non-expert weights once and each distinct chosen expert once.
    const int64_t n_moe = static_cast<int64_t>(moe_layers.size());
    const int64_t expert_bytes = model->blocks()[moe_layers.front()].moe()->expert_bytes();
    const double fixed = static_cast<double>(active - n_moe * top_k * expert_bytes);
    const double union_experts = median(union_sizes);
    const double step_bytes = fixed + static_cast<double>(n_moe) * union_experts * expert_bytes;
    const double bound = static_cast<double>(batch) * bandwidth / step_bytes;
    const double bytes_fall = static_cast<double>(active) * batch / step_bytes;
    std::cout << std::setprecision(2) << "batch " << batch << " decode: " << median(many)
              << " tokens/s aggregate (batch 1: " << median(one) << " tokens/s)\n";
    std::cout << "batch " << batch << " reads " << union_experts << " of " << experts
              << " experts per MoE layer per step\n";
    std::cout << "batch_bound: " << bound
              << " tokens/s (batch 1's bound: " << bandwidth / static_cast<double>(active)
              << " tokens/s)\n";
    std::cout << std::setprecision(3) << "batch_speedup: " << median(many) / median(one) << "\n";
    std::cout << "bound_speedup: " << bytes_fall << "\n";
    std::cout << "batch_bound_ratio: " << median(many) / bound << "\n";
  }
  std::cout << std::setprecision(3) << "bandwidth_ratio: " << ratio << "\n";
  return 0;
}

}  // namespace mote
