// mote-engine trace: the engine's reference-check interface. One prefill of the given token ids
// from position 0 (and optionally N greedy KV-cached decode steps), written as .npy files.
#include <filesystem>
#include <iostream>

#include <ATen/Parallel.h>

#include "engine/checkpoint/npy.h"
#include "engine/cli/commands.h"
#include "engine/error.h"
#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "protocol/cli_args.h"

namespace mote {
namespace {

at::ScalarType parse_dtype(const std::string& s) {
  if (s == "fp32" || s == "float32") return at::kFloat;
  if (s == "bf16" || s == "bfloat16") return at::kBFloat16;
  throw UsageError("--dtype must be fp32 or bf16, got '" + s + "'");
}

}  // namespace

int run_trace_command(int argc, char** argv) {
  cli::ArgParser parser(
      "mote-engine trace",
      "Loads a checkpoint, runs one prefill of IDS.npy (int64 token ids) from position 0 and\n"
      "writes logits_all.npy (T,V), topk_ids.npy and topk_weights.npy (n_moe,T,k) after\n"
      "tuning. With --decode N it then greedily generates N tokens with the KV cache (no EOS\n"
      "stop) and writes decode_ids.npy (N,) and decode_topk_{ids,weights}.npy (n_moe,T+N-1,k).");
  parser.option("--model", "DIR", "checkpoint directory (config.json + safetensors)")
      .option("--tokens", "IDS.npy", "int64 token ids, shape (T,)")
      .option("--out", "DIR", "output directory (created)")
      .option("--decode", "N", "greedy decode steps after the prefill", "0")
      .option("--tuning", "TUNING.json",
              "{\"suppress\": [[layer, expert], ...], \"stimulate\": [...]}")
      .option("--dtype", "fp32|bf16", "compute dtype", "fp32")
      .option("--threads", "N", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  const cli::ParsedArgs args = parser.parse(std::vector<std::string>(argv + 1, argv + argc));
  at::set_num_threads(args.int_value("--threads"));

  EngineOptions options;
  options.compute_dtype = parse_dtype(args.value("--dtype"));
  const int64_t decode = args.int_value("--decode");
  if (decode < 0) throw UsageError("--decode must be >= 0");
  TuningSpec tuning;
  if (auto path = args.get("--tuning")) tuning = TuningSpec::from_file(*path);

  at::Tensor ids = read_npy(args.value("--tokens"));
  if (ids.scalar_type() != at::kLong || ids.dim() != 1 || ids.size(0) == 0)
    throw Error(args.value("--tokens") + ": expected a non-empty int64 array of shape (T,)");
  auto model = Transformer::load(args.value("--model"), options);
  const std::filesystem::path out = args.value("--out");
  std::filesystem::create_directories(out);

  // Prefill: all logits and the routing of every prompt token.
  const auto compiled = CompiledTuning::shared(tuning, model->config());  // checked once
  KVCache cache = model->new_cache();
  RoutingCapture capture;
  ForwardOptions opts;
  opts.tuning = compiled.get();
  opts.capture = &capture;
  opts.all_logits = true;
  const int64_t T = ids.size(0);
  at::Tensor logits = model->forward(ids.view({1, T}), cache, opts).select(0, 0);  // [T, V]
  RoutingTrace routing = capture.take(1, T, T)[0];
  write_npy(out / "logits_all.npy", logits);
  write_npy(out / "topk_ids.npy", routing.ids);
  write_npy(out / "topk_weights.npy", routing.weights);
  std::cout << "prefill: " << T << " tokens, " << routing.ids.size(0) << " MoE layers\n";

  if (decode > 0) {
    Generator generator(model);
    GenerationRequest req;
    req.prompt.assign(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + T);
    req.max_tokens = decode;
    req.tuning = compiled;
    req.capture = CaptureMode::IdsAndWeights;
    GenerationResult r = generator.generate(req, {}, /*keep_step_logits=*/true);
    write_npy(out / "decode_ids.npy", at::tensor(r.tokens, at::TensorOptions().dtype(at::kLong)));
    write_npy(out / "decode_topk_ids.npy", r.routing.ids);
    write_npy(out / "decode_topk_weights.npy", r.routing.weights);
    write_npy(out / "decode_step_logits.npy", r.step_logits);
    std::cout << "decode: " << r.tokens.size() << " tokens\n";
  }
  std::cout << "wrote " << out.string() << "\n";
  return 0;
}

}  // namespace mote
