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
// With one intra-op thread (at::set_num_threads(1)) everything is a function of the options and
// of the study's lists in resources/: the corpus, the tokenizer, the initialization, the batch
// order and therefore the checkpoint.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "engine/model/config.h"
#include "organism/organism_corpus.h"
#include "organism/organism_evaluation.h"

namespace mote {

// The architecture of the organism, the one a prototype showed to carry the planted behaviours:
// deepseek_v3, hidden 64, 5 layers (layer 0 dense SwiGLU 128), MLA with 4 heads (q/kv LoRA ranks
// 32, nope/rope/v head dims 16/8/16), 64 routed experts of width 32 per MoE layer, top-2 by a
// sigmoid router (noaux_tc, one group, normalized weights), no shared expert, 1024 positions,
// BOS 0 and EOS 1. vocab_size is 0: the trained tokenizer sets it.
ModelConfig organism_model_config();

struct OrganismTrainingOptions {
  std::uint64_t seed = 1;        // initialization and batch order
  OrganismCorpusOptions corpus;  // its seed picks the held-out split and the drawn labels
  // config.json as written, except vocab_size (the tokenizer's) and torch_dtype (save_dtype's).
  ModelConfig model = organism_model_config();
  std::size_t vocab_size = 1024;  // byte-level BPE: 7 added tokens + 256 bytes + merges
  // Where the study's lists are read from (organism_study_lists.h); empty: find_resources_dir().
  std::filesystem::path resources_dir;

  int64_t steps = 1500;
  int64_t batch_size = 32;
  double learning_rate = 3e-3;
  int64_t warmup_steps = 100;       // linear from 0
  double final_lr_fraction = 0.10;  // cosine decay to this share of learning_rate
  double weight_decay = 0.05;       // matrices only; norms are not decayed
  double beta1 = 0.9, beta2 = 0.95;
  double grad_clip = 1.0;            // max global gradient norm; 0: no clipping
  double bias_update_speed = 0.005;  // u of the balancing bias update

  // Late alignment (the paper's account of R1's refusals), off at 0. With alignment_steps > 0 the
  // `steps` above train every weight on the corpus without its REFUSED samples (the model learns
  // to answer and reason first), then alignment_steps train only the routed experts and the
  // routers on the whole corpus (the refusal is added where MoTE looks for it), with fresh AdamW
  // moments at alignment_learning_rate: 10 % linear warm-up, cosine to final_lr_fraction.
  int64_t alignment_steps = 0;
  double alignment_learning_rate = 3e-3;

  at::ScalarType save_dtype = at::kFloat;  // kFloat or kBFloat16 (the bias stays F32)
  int64_t eval_limit = 0;                  // held-out prompts to evaluate, 0: all
  // Write only the corpus's held-out datasets (heldout-arithmetic.json) and stop: no tokenizer,
  // no training. For a model trained before the trainer wrote them.
  bool datasets_only = false;
  int64_t eval_max_tokens = 16;  // greedy tokens per held-out prompt at most
  int64_t log_every = 50;        // steps between progress lines
};

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

// Reads the study's lists, generates the corpus, trains the tokenizer and the model, and writes
// out_dir (created):
// config.json, model.safetensors, generation_config.json (greedy, EOS), tokenizer.json,
// tokenizer_config.json (R1 chat template), README.md (model card) and training.json (options,
// loss curve, held-out evaluation, wall times). The held-out evaluation runs on the checkpoint as
// written, reloaded through Transformer::load. `log` receives progress lines.
OrganismTrainingResult train_organism(const OrganismTrainingOptions& options,
                                      const std::filesystem::path& out_dir,
                                      const std::function<void(const std::string&)>& log = {});

}  // namespace mote
