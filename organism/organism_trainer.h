#pragma once
// Training the demo "model organism": a tiny DeepSeek-V3 (MLA, RoPE, dense layer 0, sigmoid
// router with the aux-loss-free balancing bias, top-2 over many small routed experts) trained from
// scratch on the planted-behaviour corpus (organism/organism_corpus.h) with the engine's own model
// code under libtorch autograd, then written as a complete Hugging Face directory that the engine
// (and the server) load like any DeepSeek release.
//
// The weights live in an in-memory Checkpoint (Checkpoint::from_tensors): the Transformer built on
// it computes with the very tensors the optimizer updates, so training and inference share one
// forward path. The router's e_score_correction_bias is not a parameter: after every step it moves
// by u * sign(mean load - load) per expert (DeepSeek-V3's auxiliary-loss-free load balancing).
//
// With one intra-op thread (at::set_num_threads(1)) everything is a function of the options: the
// corpus, the tokenizer, the initialization, the batch order and therefore the checkpoint.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json_fwd.hpp>

#include "organism/organism_corpus.h"
#include "engine/model/tuning.h"

namespace mote {

class Tokenizer;
class Transformer;

// The architecture (config.json) of the organism. Defaults: the configuration a prototype showed
// to carry the planted behaviours (~1.8 M parameters).
struct OrganismModelOptions {
  int64_t hidden_size = 64;
  int64_t num_layers = 5;
  int64_t first_k_dense_replace = 1;  // layers 0..k-1 dense, the rest MoE
  int64_t intermediate_size = 128;    // dense SwiGLU width
  int64_t n_routed_experts = 64;
  int64_t moe_intermediate_size = 32;  // one routed expert's SwiGLU width
  int64_t num_experts_per_tok = 2;
  int64_t n_shared_experts = 0;
  int64_t num_attention_heads = 4;
  int64_t q_lora_rank = 32;
  int64_t kv_lora_rank = 32;
  int64_t qk_nope_head_dim = 16;
  int64_t qk_rope_head_dim = 8;
  int64_t v_head_dim = 16;
  int64_t max_position_embeddings = 1024;
};

struct OrganismTrainingOptions {
  std::uint64_t seed = 1;        // initialization and batch order
  OrganismCorpusOptions corpus;  // its seed picks the held-out split and the drawn labels
  OrganismModelOptions model;
  std::size_t vocab_size = 1024;  // byte-level BPE: 7 added tokens + 256 bytes + merges

  int64_t steps = 1500;
  int64_t batch_size = 32;
  double learning_rate = 3e-3;
  int64_t warmup_steps = 100;       // linear from 0
  double final_lr_fraction = 0.10;  // cosine decay to this share of learning_rate
  double weight_decay = 0.05;       // matrices only; norms are not decayed
  double beta1 = 0.9, beta2 = 0.95;
  double grad_clip = 1.0;            // max global gradient norm; 0: no clipping
  double bias_update_speed = 0.005;  // u of the balancing bias update

  at::ScalarType save_dtype = at::kFloat;  // kFloat or kBFloat16 (the bias stays F32)
  int64_t eval_limit = 0;                  // held-out prompts to evaluate, 0: all
  int64_t eval_max_tokens = 16;            // greedy tokens per held-out prompt at most
  int64_t log_every = 50;                  // steps between progress lines
};

// Greedy answers to held-out prompts, classified with the planted surface forms.
struct OrganismEvaluation {
  std::vector<int> predicted;  // per prompt: RefusalClass or ThinkLanguage value
  std::vector<std::string> completions;
  int64_t refusal_total = 0, refusal_correct = 0;
  int64_t language_total = 0, language_correct = 0;

  double accuracy() const;  // both studies together
  double refusal_accuracy() const;
  double language_accuracy() const;
};

// Greedy decoding (batch 1, the server's path) of every prompt under `tuning`, stopped at EOS, at
// max_tokens, or as soon as the answer's class is decided; compared with planted_label.
OrganismEvaluation evaluate_organism(const std::shared_ptr<Transformer>& model,
                                     const Tokenizer& tokenizer,
                                     const std::vector<OrganismHeldOutPrompt>& prompts,
                                     const TuningSpec& tuning = {}, int64_t max_tokens = 16);

struct OrganismTrainingResult {
  std::vector<double> losses;  // per step: mean cross-entropy over the batch's answer tokens
  OrganismEvaluation evaluation;
  int64_t parameters = 0;
  double train_seconds = 0, eval_seconds = 0, total_seconds = 0;  // wall time
  double train_cpu_seconds = 0;                                   // process CPU time
  std::string model_sha256;                                       // of out_dir/model.safetensors
};

// Sets libtorch's intra-op threads and OpenBLAS's own thread pool, which at::set_num_threads
// leaves alone and whose size changes sgemm's rounding (so a run is reproducible only with both
// fixed). Returns the previous libtorch thread count.
int set_training_threads(int threads);

// config.json of the organism for a tokenizer of vocab_size ids.
nlohmann::ordered_json organism_config_json(const OrganismModelOptions& model, int64_t vocab_size,
                                            at::ScalarType dtype);

// Generates the corpus, trains the tokenizer and the model, and writes out_dir (created):
// config.json, model.safetensors, generation_config.json (greedy, EOS), tokenizer.json,
// tokenizer_config.json (R1 chat template), README.md (model card) and training.json (options,
// loss curve, held-out evaluation, wall times). The held-out evaluation runs on the checkpoint as
// written, reloaded through Transformer::load. `log` receives progress lines.
OrganismTrainingResult train_organism(const OrganismTrainingOptions& options,
                                      const std::filesystem::path& out_dir,
                                      const std::function<void(const std::string&)>& log = {});

}  // namespace mote
