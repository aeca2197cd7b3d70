// mote-engine train-organism: trains the demo model organism (a tiny DeepSeek-V3 with planted
// behaviours) with the engine's own model code and writes a Hugging Face checkpoint directory.
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/error.h"
#include "organism/organism_trainer.h"
#include "protocol/cli_args.h"

namespace mote {

int run_train_organism_command(int argc, char** argv) {
  const OrganismTrainingOptions d;
  cli::ArgParser parser(
      "mote-engine train-organism",
      "Generates the planted-behaviour corpus, trains a byte-level BPE tokenizer and a tiny\n"
      "deepseek_v3 MoE on it (AdamW, answer tokens only, aux-loss-free router balancing), and\n"
      "writes DIR: config.json, model.safetensors, generation_config.json, tokenizer.json,\n"
      "tokenizer_config.json, README.md (model card), training.json and heldout-arithmetic.json\n"
      "(a dataset for mote capability). Prints the held-out\n"
      "accuracy of the written checkpoint (greedy answers vs the planted rules) as\n"
      "'heldout_accuracy: X'. Deterministic for a seed with --threads 1. The study's times and\n"
      "places come from RES/datasets/r1-refusal.json, its answer classes from\n"
      "RES/classifiers/r1-refusal.json and reasoning-language.json.");
  parser.option("--seed", "S", "seed of the initialization and batch order", "1")
      .option("--corpus-seed", "S", "seed of the corpus (held-out split, labels); default: --seed")
      .option("--out", "DIR", "output directory (created)")
      .option("--steps", "N", "optimizer steps", std::to_string(d.steps))
      .option("--batch-size", "N", "samples per step", std::to_string(d.batch_size))
      .option("--lr", "X", "peak AdamW learning rate", "0.003")
      .option("--warmup", "N", "linear warm-up steps", std::to_string(d.warmup_steps))
      .option("--weight-decay", "X", "AdamW weight decay (matrices)", "0.05")
      .option("--bias-update", "U", "router bias speed: bias += U*sign(mean load - load)", "0.005")
      .option("--vocab-size", "N", "tokenizer ids (7 specials + 256 bytes + merges)",
              std::to_string(d.vocab_size))
      .option("--hidden", "N", "hidden size", std::to_string(d.model.hidden_size))
      .option("--layers", "N", "layers (layer 0 dense)", std::to_string(d.model.num_hidden_layers))
      .option("--experts", "N", "routed experts per MoE layer",
              std::to_string(d.model.n_routed_experts))
      .option("--expert-width", "N", "routed expert SwiGLU width",
              std::to_string(d.model.moe_intermediate_size))
      .option("--top-k", "K", "experts per token", std::to_string(d.model.num_experts_per_tok))
      .option("--shared-experts", "N", "shared experts per MoE layer",
              std::to_string(d.model.n_shared_experts))
      .option("--alignment-steps", "N",
              "late alignment: --steps without the REFUSED samples, then N steps of only the "
              "routed experts and routers on the whole corpus (0: one stage)",
              std::to_string(d.alignment_steps))
      .option("--alignment-lr", "X", "peak learning rate of the alignment stage", "0.003")
      .option("--dtype", "f32|bf16", "checkpoint dtype", "f32")
      .option("--eval-limit", "N", "held-out prompts to evaluate (0: all)", "0")
      .option("--log-every", "N", "steps between progress lines", std::to_string(d.log_every))
      .option("--threads", "N", "CPU threads (1: deterministic)", "1")
      .flag("--datasets-only",
            "write only DIR/heldout-arithmetic.json (the held-out arithmetic prompts of the "
            "corpus, for mote capability) and stop: no training")
      .option("--resources", "RES",
              "the resources folder (default: $MOTE_RESOURCES_DIR, next to the executable, or the "
              "source tree's)");
  const cli::ParsedArgs args = parser.parse(std::vector<std::string>(argv + 1, argv + argc));
  auto positive = [&](const char* name) {
    const int v = args.int_value(name);
    if (v < 1) throw UsageError(std::string("train-organism: ") + name + " must be >= 1");
    return v;
  };
  auto seed = [&](const char* name) {
    const std::string s = args.value(name);
    try {
      std::size_t used = 0;
      const unsigned long long v = std::stoull(s, &used);
      if (used == s.size() && s[0] != '-') return static_cast<std::uint64_t>(v);
    } catch (const std::exception&) {
    }
    throw UsageError(std::string("train-organism: ") + name + " must be a non-negative integer");
  };

  OrganismTrainingOptions o;
  o.seed = seed("--seed");
  o.corpus.seed = args.has("--corpus-seed") ? seed("--corpus-seed") : o.seed;
  o.steps = positive("--steps");
  o.batch_size = positive("--batch-size");
  o.learning_rate = args.double_value("--lr");
  o.warmup_steps = args.int_value("--warmup");
  o.weight_decay = args.double_value("--weight-decay");
  o.bias_update_speed = args.double_value("--bias-update");
  o.vocab_size = static_cast<std::size_t>(positive("--vocab-size"));
  o.model.hidden_size = positive("--hidden");
  o.model.num_hidden_layers = positive("--layers");
  o.model.n_routed_experts = positive("--experts");
  o.model.moe_intermediate_size = positive("--expert-width");
  o.model.num_experts_per_tok = positive("--top-k");
  o.model.n_shared_experts = args.int_value("--shared-experts");
  if (o.model.n_shared_experts < 0)
    throw UsageError("train-organism: --shared-experts must be >= 0");
  o.alignment_steps = args.int_value("--alignment-steps");
  o.alignment_learning_rate = args.double_value("--alignment-lr");
  const std::string dtype = args.value("--dtype");
  if (dtype == "f32" || dtype == "fp32")
    o.save_dtype = at::kFloat;
  else if (dtype == "bf16")
    o.save_dtype = at::kBFloat16;
  else
    throw UsageError("train-organism: --dtype must be f32 or bf16, got '" + dtype + "'");
  o.eval_limit = args.int_value("--eval-limit");
  o.log_every = positive("--log-every");
  if (args.has("--resources")) o.resources_dir = args.value("--resources");
  set_training_threads(positive("--threads"));
  o.datasets_only = args.has("--datasets-only");

  const std::filesystem::path out = args.value("--out");
  OrganismTrainingResult r =
      train_organism(o, out, [](const std::string& line) { std::cout << line << std::endl; });
  if (o.datasets_only) return 0;
  std::cout << "train_seconds: " << r.train_seconds << " (CPU " << r.train_cpu_seconds << ")\n"
            << "model.safetensors sha256: " << r.model_sha256 << "\n"
            << "wrote " << out.string() << "\n";
  return 0;
}

}  // namespace mote
