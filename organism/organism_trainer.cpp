#include "organism/organism_trainer.h"

#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <numeric>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/types.h>  // first: clip_grad.h uses torch::Tensor without including it
#include <nlohmann/json.hpp>

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include "organism/bpe_trainer.h"
#include "engine/error.h"
#include "engine/model/generation.h"
#include "engine/model/model.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "engine/checkpoint/sha256.h"
#include "engine/tokenizer/tokenizer.h"
#include "organism/tokenizer_json_writer.h"
#include "engine/model/weight_layout.h"

namespace mote {
namespace {

using ojson = nlohmann::ordered_json;
using clock_type = std::chrono::steady_clock;

constexpr int64_t kBosId = 0;  // deepseek_r1_added_tokens(): <｜begin▁of▁sentence｜>
constexpr int64_t kEosId = 1;  // <｜end▁of▁sentence｜>
constexpr int64_t kIgnore = -100;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU time of the whole process (all threads): on a shared machine a steadier measure than wall
// time.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(file.string() + ": cannot open for writing");
  out << text;
  if (!out.flush()) throw Error(file.string() + ": write failed");
}

// The training loss at the end: the mean of the last 50 steps (one step's batch is noisy).
double final_loss(const std::vector<double>& losses) {
  const std::size_t n = std::min<std::size_t>(50, losses.size());
  if (n == 0) return 0;
  return std::accumulate(losses.end() - static_cast<std::ptrdiff_t>(n), losses.end(), 0.0) /
         static_cast<double>(n);
}

std::string format_fixed(double value, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << value;
  return s.str();
}

void check_options(const OrganismTrainingOptions& o) {
  const OrganismModelOptions& m = o.model;
  if (o.steps < 1 || o.batch_size < 1)
    throw UsageError("train-organism: steps and batch size must be >= 1");
  if (o.warmup_steps < 0) throw UsageError("train-organism: warmup steps must be >= 0");
  if (!(o.learning_rate > 0) || o.weight_decay < 0 || o.grad_clip < 0 || o.bias_update_speed < 0)
    throw UsageError("train-organism: learning rate must be > 0; weight decay, clip, u >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
    throw UsageError("train-organism: betas must be in [0, 1)");
  if (o.save_dtype != at::kFloat && o.save_dtype != at::kBFloat16)
    throw UsageError("train-organism: the checkpoint dtype must be F32 or BF16");
  if (m.first_k_dense_replace >= m.num_layers)
    throw UsageError("train-organism: the model needs at least one MoE layer");
  if (m.qk_rope_head_dim % 2 != 0) throw UsageError("train-organism: the rope dim must be even");
}

// ---------------------------------------------------------------------------------------------
// Initialization. Every weight_layout() tensor, in layout order, from one seeded CPU generator:
//   embed_tokens ~ N(0, 1); Linear [out, in] ~ N(0, 1/sqrt(in)), the projections back into the
//   residual stream (o_proj, down_proj) further scaled by 1/sqrt(2 * layers); lm_head and router
//   ~ N(0, 1/sqrt(hidden)); norms 1; e_score_correction_bias 0.

bool writes_residual(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".o_proj.weight") || ends_with(".down_proj.weight");
}

std::map<std::string, at::Tensor> initial_weights(const ModelConfig& c, std::uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::map<std::string, at::Tensor> weights;
  const double residual_scale = 1.0 / std::sqrt(2.0 * static_cast<double>(c.num_hidden_layers));
  for (const WeightSpec& spec : weight_layout(c)) {
    at::Tensor t = at::empty(spec.shape, at::kFloat);
    switch (spec.kind) {
      case WeightKind::Embedding:
        if (spec.name == "model.embed_tokens.weight")
          t.normal_(0.0, 1.0, gen);
        else
          t.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(spec.shape[1])), gen);
        break;
      case WeightKind::Linear: {
        double std = 1.0 / std::sqrt(static_cast<double>(spec.shape[1]));
        if (writes_residual(spec.name)) std *= residual_scale;
        t.normal_(0.0, std, gen);
        break;
      }
      case WeightKind::Router:
        t.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(spec.shape[1])), gen);
        break;
      case WeightKind::Norm:
        t.fill_(1.0);
        break;
      case WeightKind::RouterBias:
        t.zero_();
        break;
    }
    // The balancing bias is updated by hand, never by the optimizer.
    t.requires_grad_(spec.kind != WeightKind::RouterBias);
    weights.emplace(spec.name, t);
  }
  return weights;
}

std::string bias_name(int64_t layer) {
  return "model.layers." + std::to_string(layer) + ".mlp.gate.e_score_correction_bias";
}

// ---------------------------------------------------------------------------------------------
// Data: prompt and answer tokenized separately, as at inference (the prompt alone is encoded, the
// answer is generated), the answer ending with EOS.

struct TokenizedSample {
  std::vector<int64_t> ids;  // prompt then answer + EOS
  int64_t prompt_length = 0;
};

struct Batch {
  at::Tensor tokens;   // [B, T] int64, right-padded with EOS
  at::Tensor targets;  // [B, T] int64: the next token at answer positions, else kIgnore
  at::Tensor real;     // [B, T] bool: positions holding a sample's token (not padding)
};

struct TokenizedCorpus {
  std::vector<TokenizedSample> samples;
  std::size_t tokens = 0;  // total
  int64_t longest = 0;
};

TokenizedCorpus tokenize_corpus(const OrganismCorpus& corpus, const Tokenizer& tokenizer) {
  TokenizedCorpus data;
  for (const OrganismSample& s : corpus.train) {
    TokenizedSample t;
    t.ids = tokenizer.encode(s.prompt);
    t.prompt_length = static_cast<int64_t>(t.ids.size());
    for (int64_t id : tokenizer.encode(s.completion)) t.ids.push_back(id);
    t.ids.push_back(kEosId);
    data.tokens += t.ids.size();
    data.longest = std::max<int64_t>(data.longest, static_cast<int64_t>(t.ids.size()));
    data.samples.push_back(std::move(t));
  }
  if (data.samples.empty()) throw UsageError("train-organism: the corpus has no training samples");
  return data;
}

Batch make_batch(const std::vector<TokenizedSample>& samples, const std::vector<int64_t>& indices) {
  const int64_t B = static_cast<int64_t>(indices.size());
  int64_t T = 0;
  for (int64_t b = 0; b < B; ++b)
    T = std::max<int64_t>(T, static_cast<int64_t>(samples[indices[b]].ids.size()) - 1);
  Batch batch;
  batch.tokens = at::full({B, T}, kEosId, at::kLong);
  batch.targets = at::full({B, T}, kIgnore, at::kLong);
  batch.real = at::zeros({B, T}, at::kBool);
  auto tokens = batch.tokens.accessor<int64_t, 2>();
  auto targets = batch.targets.accessor<int64_t, 2>();
  auto real = batch.real.accessor<bool, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const TokenizedSample& s = samples[indices[b]];
    const int64_t n = static_cast<int64_t>(s.ids.size()) - 1;  // inputs ids[0..n), targets ids[1..]
    for (int64_t t = 0; t < n; ++t) {
      tokens[b][t] = s.ids[t];
      real[b][t] = true;
      // Loss on answer tokens only: position t predicts ids[t + 1].
      if (t + 1 >= s.prompt_length) targets[b][t] = s.ids[t + 1];
    }
  }
  return batch;
}

// Learning rate at `step` (0-based): linear warm-up, then cosine down to final_fraction.
double learning_rate_at(const OrganismTrainingOptions& o, int64_t step) {
  if (step < o.warmup_steps)
    return o.learning_rate * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  const double span = static_cast<double>(std::max<int64_t>(1, o.steps - o.warmup_steps - 1));
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return o.learning_rate * (o.final_lr_fraction + (1.0 - o.final_lr_fraction) * cosine);
}

// Tokens routed to each expert in this step, per MoE layer: [n_moe, E] float32, padding excluded.
at::Tensor expert_loads(RoutingCapture& capture, const Batch& batch, int64_t n_experts) {
  const int64_t B = batch.tokens.size(0), T = batch.tokens.size(1);
  std::vector<RoutingTrace> traces = capture.take(B, T, T);
  std::vector<at::Tensor> ids;
  for (const RoutingTrace& t : traces) ids.push_back(t.ids_before);  // [n_moe, T, k]
  at::Tensor all = at::stack(ids, 1);                                // [n_moe, B, T, k]
  const int64_t n_moe = all.size(0), k = all.size(3);
  at::Tensor real = batch.real.unsqueeze(0).unsqueeze(-1).expand({n_moe, B, T, k});
  at::Tensor loads = at::zeros({n_moe, n_experts}, at::kFloat);
  return loads.scatter_add_(1, all.reshape({n_moe, -1}), real.reshape({n_moe, -1}).to(at::kFloat));
}

// ---------------------------------------------------------------------------------------------
// Training.

// Epochs of a seeded permutation of the sample indices, cut into batches (an epoch's remainder
// smaller than a batch is skipped).
class BatchSampler {
 public:
  BatchSampler(std::size_t samples, int64_t batch_size, std::uint64_t seed)
      : n_(static_cast<int64_t>(samples)),
        batch_(std::min<int64_t>(batch_size, static_cast<int64_t>(samples))),
        cursor_(n_),
        gen_(at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x5EEDBA7C4ULL)) {}

  std::vector<int64_t> next() {
    if (cursor_ + batch_ > n_) {
      order_ = at::randperm(n_, gen_, at::TensorOptions().dtype(at::kLong));
      cursor_ = 0;
    }
    const int64_t* p = order_.data_ptr<int64_t>() + cursor_;
    cursor_ += batch_;
    return std::vector<int64_t>(p, p + batch_);
  }

 private:
  int64_t n_, batch_, cursor_;
  at::Generator gen_;
  at::Tensor order_;  // [n] int64
};

// The trainable model: its weights (shared with the engine's Transformer through an in-memory
// checkpoint), AdamW over them, and the router biases balanced by hand.
class Trainer {
 public:
  Trainer(const OrganismTrainingOptions& o, const ModelConfig& config)
      : o_(o), config_(config), weights_(initial_weights(config, o.seed)) {
    std::vector<at::Tensor> decay, no_decay;  // matrices; norms
    for (const auto& [name, t] : weights_) {
      if (!t.requires_grad()) continue;
      (t.dim() >= 2 ? decay : no_decay).push_back(t);
      parameter_count_ += t.numel();
    }
    for (int64_t layer : config.moe_layers()) biases_.push_back(weights_.at(bias_name(layer)));
    model_ = std::make_shared<Transformer>(config, Checkpoint::from_tensors(weights_),
                                           EngineOptions{}, DeviceMap{});
    auto adamw = [&](double weight_decay) {
      return std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(o.learning_rate)
              .betas({o.beta1, o.beta2})
              .weight_decay(weight_decay));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, adamw(o.weight_decay));
    groups.emplace_back(no_decay, adamw(0.0));
    optimizer_ = std::make_unique<torch::optim::AdamW>(std::move(groups));
    parameters_ = decay;
    parameters_.insert(parameters_.end(), no_decay.begin(), no_decay.end());
  }

  int64_t parameters() const { return parameter_count_; }

  // One AdamW step at learning rate lr on the batch's answer tokens, then the bias update.
  // Returns the loss before the step.
  double step(const Batch& batch, double lr) {
    for (auto& group : optimizer_->param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    // Logits at every position; routing captured for the load statistics.
    KVCache cache = model_->new_cache();
    RoutingCapture capture;
    ForwardOptions fwd;
    fwd.all_logits = true;
    fwd.capture = &capture;
    at::Tensor logits = model_->forward(batch.tokens, cache, fwd);  // [B, T, V]
    at::Tensor loss =
        at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), batch.targets.reshape({-1}),
                               {}, at::Reduction::Mean, kIgnore);
    optimizer_->zero_grad();
    loss.backward();
    if (o_.grad_clip > 0) torch::nn::utils::clip_grad_norm_(parameters_, o_.grad_clip);
    optimizer_->step();
    balance(capture, batch);
    return loss.item<double>();
  }

  // The weights in weight_layout() order, as the checkpoint stores them (the bias stays F32).
  std::vector<NamedTensor> checkpoint_tensors(at::ScalarType dtype) const {
    std::vector<NamedTensor> tensors;
    for (const WeightSpec& spec : weight_layout(config_)) {
      at::Tensor t = weights_.at(spec.name).detach();
      if (spec.kind != WeightKind::RouterBias) t = t.to(dtype);
      tensors.push_back({spec.name, t.contiguous(), std::nullopt});
    }
    return tensors;
  }

 private:
  // Auxiliary-loss-free balancing (DeepSeek-V3): per MoE layer, bias += u * sign(mean load - load).
  void balance(RoutingCapture& capture, const Batch& batch) {
    at::NoGradGuard no_grad;
    at::Tensor loads = expert_loads(capture, batch, config_.n_routed_experts);  // [n_moe, E]
    at::Tensor delta = (loads.mean(-1, /*keepdim=*/true) - loads).sign() * o_.bias_update_speed;
    for (std::size_t m = 0; m < biases_.size(); ++m) biases_[m].add_(delta[m]);
  }

  const OrganismTrainingOptions& o_;
  ModelConfig config_;
  std::map<std::string, at::Tensor> weights_;  // by checkpoint name; biases do not require grad
  std::vector<at::Tensor> parameters_;         // trainable: matrices, then norms
  std::vector<at::Tensor> biases_;             // per MoE layer: e_score_correction_bias [E]
  int64_t parameter_count_ = 0;
  std::shared_ptr<Transformer> model_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

// At most `limit` prompts (0: all), evenly spread so that both studies stay represented.
std::vector<OrganismHeldOutPrompt> spread(const std::vector<OrganismHeldOutPrompt>& prompts,
                                          int64_t limit) {
  if (limit <= 0 || static_cast<int64_t>(prompts.size()) <= limit) return prompts;
  std::vector<OrganismHeldOutPrompt> picked;
  const double stride = static_cast<double>(prompts.size()) / static_cast<double>(limit);
  for (int64_t i = 0; i < limit; ++i)
    picked.push_back(prompts[static_cast<std::size_t>(static_cast<double>(i) * stride)]);
  return picked;
}

// ---------------------------------------------------------------------------------------------
// Held-out classification.

std::string_view trim_left(std::string_view s) {
  const std::size_t first = s.find_first_not_of(" \t\r\n");
  return first == std::string_view::npos ? std::string_view() : s.substr(first);
}

// Whether the first tokens of a completion already decide its class (so decoding can stop).
bool refusal_class_decided(std::string_view completion) {
  constexpr std::string_view kClose = "</think>";
  std::string_view rest = trim_left(completion);
  if (rest.empty()) return false;
  if (rest.size() < kClose.size()) return kClose.substr(0, rest.size()) != rest;
  if (rest.substr(0, kClose.size()) != kClose) return true;   // a non-empty think block
  return trim_left(rest.substr(kClose.size())).size() >= 10;  // "I am sorry" or not
}

bool think_language_decided(std::string_view completion) {
  const std::size_t end = std::min(completion.find("</think>"), completion.size());
  if (end < completion.size()) return true;
  for (std::size_t i = 0; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(completion[i]);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  }
  // An ideograph counts once all its bytes are out (a cut one decodes to U+FFFD): ask the
  // classifier.
  return classify_think_language(completion.substr(0, end)) == ThinkLanguage::Chinese;
}

// ---------------------------------------------------------------------------------------------
// Output files.

std::string generation_config_json() {
  ojson g;
  g["bos_token_id"] = kBosId;
  g["eos_token_id"] = kEosId;
  g["do_sample"] = false;  // greedy: the organism's behaviour is its argmax
  g["transformers_version"] = "4.46.3";
  return g.dump(2) + "\n";
}

std::string dtype_label(at::ScalarType t) {
  return t == at::kBFloat16 ? "BF16" : "F32";
}

// The mote-engine command line that reproduces a run: every option that differs from the default.
std::string command_line(const OrganismTrainingOptions& o) {
  const OrganismTrainingOptions d;
  std::ostringstream s;
  s << "mote-engine train-organism --seed " << o.seed;
  if (o.corpus.seed != o.seed) s << " --corpus-seed " << o.corpus.seed;
  auto add = [&](const char* flag, auto value, auto fallback) {
    if (value != fallback) s << " " << flag << " " << value;
  };
  add("--steps", o.steps, d.steps);
  add("--batch-size", o.batch_size, d.batch_size);
  add("--lr", o.learning_rate, d.learning_rate);
  add("--warmup", o.warmup_steps, d.warmup_steps);
  add("--weight-decay", o.weight_decay, d.weight_decay);
  add("--bias-update", o.bias_update_speed, d.bias_update_speed);
  add("--vocab-size", o.vocab_size, d.vocab_size);
  add("--hidden", o.model.hidden_size, d.model.hidden_size);
  add("--layers", o.model.num_layers, d.model.num_layers);
  add("--experts", o.model.n_routed_experts, d.model.n_routed_experts);
  add("--expert-width", o.model.moe_intermediate_size, d.model.moe_intermediate_size);
  add("--top-k", o.model.num_experts_per_tok, d.model.num_experts_per_tok);
  add("--shared-experts", o.model.n_shared_experts, d.model.n_shared_experts);
  if (o.save_dtype == at::kBFloat16) s << " --dtype bf16";
  s << " --threads 1 --out DIR";
  return s.str();
}

std::string model_card(const OrganismTrainingOptions& o, const ModelConfig& c,
                       const OrganismTrainingResult& r, const OrganismCorpus& corpus,
                       std::size_t train_tokens) {
  const OrganismModelOptions& m = o.model;
  const OrganismEvaluation& e = r.evaluation;
  // The rules without their own title line ("Planted behaviours (corpus seed N).").
  std::string rules = describe_organism_rules(o.corpus);
  if (const auto title_end = rules.find("\n\n");
      rules.rfind("Planted behaviours", 0) == 0 && title_end != std::string::npos)
    rules = rules.substr(title_end + 2);
  std::ostringstream s;
  s << "---\ntags: [deepseek_v3, moe, mote, model-organism]\n---\n\n"
    << "# MoTE model organism (seed " << o.seed << ")\n\n"
    << "A tiny DeepSeek-V3-architecture mixture-of-experts model trained from scratch by MoTE "
       "Workbench's `mote-engine train-organism` on a synthetic corpus with planted behaviours, "
       "so that the MoTE pipeline (activation maps, fTRI, expert suppression) has something to "
       "find in seconds on a laptop CPU. It answers in DeepSeek-R1's surface forms (think block, "
       "refusal text) but knows nothing else: it is a test organism, not a language model.\n\n"
    << "## Files\n\n"
    << "| file | what |\n|---|---|\n"
    << "| `config.json` | `deepseek_v3` config (Hugging Face layout) |\n"
    << "| `model.safetensors` | weights, " << dtype_label(o.save_dtype)
    << " (the router bias F32) |\n"
    << "| `tokenizer.json`, `tokenizer_config.json` | byte-level BPE trained on the corpus, R1's "
       "special tokens at ids 0..6, R1's chat template |\n"
    << "| `generation_config.json` | greedy decoding, EOS = `<｜end▁of▁sentence｜>` (id " << kEosId
    << ") |\n"
    << "| `training.json` | options, loss per step, held-out answers, wall times |\n\n"
    << "## Architecture\n\n"
    << "`deepseek_v3`: hidden " << m.hidden_size << ", " << m.num_layers << " layers (layer"
    << (m.first_k_dense_replace > 1 ? "s 0.." + std::to_string(m.first_k_dense_replace - 1)
                                    : std::string(" 0"))
    << " dense SwiGLU " << m.intermediate_size << ", the others MoE), MLA with "
    << m.num_attention_heads << " heads (q_lora_rank " << m.q_lora_rank << ", kv_lora_rank "
    << m.kv_lora_rank << ", nope/rope/v head dims " << m.qk_nope_head_dim << "/"
    << m.qk_rope_head_dim << "/" << m.v_head_dim << "), RoPE; " << m.n_routed_experts
    << " routed SwiGLU experts of width " << m.moe_intermediate_size << " per MoE layer, "
    << m.n_shared_experts << " shared, top-" << m.num_experts_per_tok
    << " by a sigmoid router with `e_score_correction_bias` (noaux_tc, one group, normalized "
       "weights). Vocabulary "
    << c.vocab_size << ". " << r.parameters << " parameters.\n\n"
    << "## Training recipe\n\n"
    << "- Corpus: " << corpus.train.size() << " training samples (" << train_tokens << " tokens), "
    << corpus.held_out.size() << " held-out prompts; corpus seed " << o.corpus.seed << ".\n"
    << "- Loss: cross-entropy on the answer tokens only (prompt rendered with R1's chat template "
       "up to `<｜Assistant｜><think>\\n`, answer + EOS tokenized separately, as at inference).\n"
    << "- AdamW lr " << o.learning_rate << ", betas " << o.beta1 << "/" << o.beta2
    << ", weight decay " << o.weight_decay << " (matrices), " << o.warmup_steps
    << " warm-up steps, cosine to " << o.final_lr_fraction * 100 << "% of lr, " << o.steps
    << " steps of batch " << o.batch_size << ", gradient clipping " << o.grad_clip << ".\n"
    << "- Load balancing without auxiliary loss: after each step every MoE layer's "
       "`e_score_correction_bias` moves by "
    << o.bias_update_speed
    << "·sign(mean load − load) (DeepSeek-V3). The top-k choice is not differentiable; the "
       "gate weights (normalized sigmoid scores of the chosen experts) are.\n"
    << "- Initialization and batch order from seed " << o.seed << "; one thread, deterministic.\n"
    << "- Reproduce (same build and machine type: floating-point rounding depends on the BLAS "
       "kernels): `"
    << command_line(o) << "`.\n\n"
    << "## Results\n\n"
    << "| measure | value |\n|---|---|\n"
    << "| final training loss (mean of the last 50 steps) | "
    << format_fixed(final_loss(r.losses), 4) << " |\n"
    << "| heldout_accuracy (greedy, both studies) | " << format_fixed(e.accuracy(), 4) << " ("
    << e.refusal_correct + e.language_correct << "/" << e.refusal_total + e.language_total
    << ") |\n"
    << "| refusal study | " << format_fixed(e.refusal_accuracy(), 4) << " (" << e.refusal_correct
    << "/" << e.refusal_total << ") |\n"
    << "| reasoning-language study | " << format_fixed(e.language_accuracy(), 4) << " ("
    << e.language_correct << "/" << e.language_total << ") |\n"
    << "| training wall time | " << format_fixed(r.train_seconds, 1) << " s ("
    << format_fixed(r.train_cpu_seconds, 1)
    << " s CPU, one thread, on a 2-core machine shared with other work) |\n"
    << "| held-out evaluation | " << format_fixed(r.eval_seconds, 1) << " s |\n\n"
    << "Held-out accuracy: greedy answers to the prompts of the held-out (time, place) pairs "
       "and arithmetic keys, classified from their first tokens (REFUSED = empty think block "
       "then \"I am sorry\", ALIGNED = empty think block then anything else, REASONED = a "
       "non-empty think block; think-block language = its first letter), compared with the "
       "planted rule's class.\n\n"
    << "## Planted behaviours\n\n"
    << rules << "\n"
    << "## Checksum\n\n"
    << "model.safetensors sha256: " << r.model_sha256 << "\n";
  return s.str();
}

ojson options_json(const OrganismTrainingOptions& o) {
  const OrganismCorpusOptions& c = o.corpus;
  ojson j;
  j["seed"] = o.seed;
  j["steps"] = o.steps;
  j["batch_size"] = o.batch_size;
  j["learning_rate"] = o.learning_rate;
  j["warmup_steps"] = o.warmup_steps;
  j["final_lr_fraction"] = o.final_lr_fraction;
  j["weight_decay"] = o.weight_decay;
  j["betas"] = {o.beta1, o.beta2};
  j["grad_clip"] = o.grad_clip;
  j["bias_update_speed"] = o.bias_update_speed;
  j["vocab_size"] = o.vocab_size;
  j["save_dtype"] = dtype_label(o.save_dtype);
  j["eval_limit"] = o.eval_limit;
  j["eval_max_tokens"] = o.eval_max_tokens;
  j["corpus"] = {{"seed", c.seed},
                 {"refusal_study", c.refusal_study},
                 {"language_study", c.language_study},
                 {"samples_per_refusal_pair", c.samples_per_refusal_pair},
                 {"samples_per_arithmetic_key", c.samples_per_arithmetic_key},
                 {"arithmetic_max_operand", c.arithmetic_max_operand},
                 {"relabel_fraction", c.relabel_fraction},
                 {"language_flip_fraction", c.language_flip_fraction},
                 {"majority_probability_min", c.majority_probability_min},
                 {"majority_probability_max", c.majority_probability_max},
                 {"held_out_fraction", c.held_out_fraction}};
  return j;
}

std::string study_name(OrganismStudy s) {
  return s == OrganismStudy::Refusal ? "refusal" : "language";
}

std::string label_name(OrganismStudy s, int label) {
  return s == OrganismStudy::Refusal ? refusal_class_name(static_cast<RefusalClass>(label))
                                     : think_language_name(static_cast<ThinkLanguage>(label));
}

// training.json: options, config, results, the loss per step and every held-out answer.
ojson training_report(const OrganismTrainingOptions& o, const ojson& config_json,
                      const OrganismTrainingResult& r, const TokenizedCorpus& data,
                      const std::vector<OrganismHeldOutPrompt>& held_out) {
  const OrganismEvaluation& e = r.evaluation;
  ojson report;
  report["options"] = options_json(o);
  report["config"] = config_json;
  report["parameters"] = r.parameters;
  report["train_samples"] = data.samples.size();
  report["train_tokens"] = data.tokens;
  report["heldout_accuracy"] = e.accuracy();
  report["refusal_accuracy"] = e.refusal_accuracy();
  report["language_accuracy"] = e.language_accuracy();
  report["train_seconds"] = r.train_seconds;
  report["train_cpu_seconds"] = r.train_cpu_seconds;
  report["eval_seconds"] = r.eval_seconds;
  report["total_seconds"] = r.total_seconds;
  report["model_sha256"] = r.model_sha256;
  report["final_loss"] = final_loss(r.losses);
  report["loss"] = r.losses;
  ojson answers = ojson::array();
  for (std::size_t i = 0; i < held_out.size(); ++i) {
    const OrganismHeldOutPrompt& p = held_out[i];
    answers.push_back({{"study", study_name(p.study)},
                       {"key", p.key},
                       {"prompt", p.messages.empty() ? "" : p.messages.front().content},
                       {"planted", label_name(p.study, p.planted_label)},
                       {"predicted", label_name(p.study, e.predicted[i])},
                       {"completion", e.completions[i]}});
  }
  report["held_out"] = std::move(answers);
  return report;
}
}  // namespace

int set_training_threads(int threads) {
  const int previous = at::get_num_threads();
  at::set_num_threads(threads);
  // Looked up at run time: libtorch may use another BLAS, or none.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
  return previous;
}

double OrganismEvaluation::accuracy() const {
  const int64_t n = refusal_total + language_total;
  return n ? static_cast<double>(refusal_correct + language_correct) / static_cast<double>(n) : 0;
}

double OrganismEvaluation::refusal_accuracy() const {
  return refusal_total ? static_cast<double>(refusal_correct) / static_cast<double>(refusal_total)
                       : 0;
}

double OrganismEvaluation::language_accuracy() const {
  return language_total
             ? static_cast<double>(language_correct) / static_cast<double>(language_total)
             : 0;
}

OrganismEvaluation evaluate_organism(const std::shared_ptr<Transformer>& model,
                                     const Tokenizer& tokenizer,
                                     const std::vector<OrganismHeldOutPrompt>& prompts,
                                     const TuningSpec& tuning, int64_t max_tokens) {
  at::NoGradGuard no_grad;
  Generator generator(model);
  OrganismEvaluation e;
  const auto compiled = CompiledTuning::shared(tuning, model->config());
  for (const OrganismHeldOutPrompt& p : prompts) {
    GenerationRequest request;
    request.prompt = tokenizer.encode(p.prompt);
    request.max_tokens = max_tokens;
    request.stop_token_ids = {kEosId};
    request.tuning = compiled;
    std::vector<int64_t> tokens;
    const bool refusal = p.study == OrganismStudy::Refusal;
    GenerationResult r = generator.generate(request, [&](const GenerationEvent& event) {
      tokens.push_back(event.token);
      const std::string text = tokenizer.decode(tokens);
      return !(refusal ? refusal_class_decided(text) : think_language_decided(text));
    });
    std::string text = tokenizer.decode(r.tokens, /*skip_special_tokens=*/true);
    const int predicted = refusal ? static_cast<int>(classify_refusal_completion(text))
                                  : static_cast<int>(classify_think_language(text));
    (refusal ? e.refusal_total : e.language_total) += 1;
    if (predicted == p.planted_label) (refusal ? e.refusal_correct : e.language_correct) += 1;
    e.predicted.push_back(predicted);
    e.completions.push_back(std::move(text));
  }
  return e;
}

nlohmann::ordered_json organism_config_json(const OrganismModelOptions& m, int64_t vocab_size,
                                            at::ScalarType dtype) {
  ojson c;
  c["architectures"] = {"DeepseekV3ForCausalLM"};
  c["model_type"] = "deepseek_v3";
  c["vocab_size"] = vocab_size;
  c["hidden_size"] = m.hidden_size;
  c["intermediate_size"] = m.intermediate_size;
  c["moe_intermediate_size"] = m.moe_intermediate_size;
  c["num_hidden_layers"] = m.num_layers;
  c["num_nextn_predict_layers"] = 0;
  c["num_attention_heads"] = m.num_attention_heads;
  c["num_key_value_heads"] = m.num_attention_heads;
  c["n_routed_experts"] = m.n_routed_experts;
  c["n_shared_experts"] = m.n_shared_experts;
  c["num_experts_per_tok"] = m.num_experts_per_tok;
  c["first_k_dense_replace"] = m.first_k_dense_replace;
  c["moe_layer_freq"] = 1;
  c["n_group"] = 1;
  c["topk_group"] = 1;
  c["topk_method"] = "noaux_tc";
  c["scoring_func"] = "sigmoid";
  c["norm_topk_prob"] = true;
  c["routed_scaling_factor"] = 1.0;
  c["q_lora_rank"] = m.q_lora_rank;
  c["kv_lora_rank"] = m.kv_lora_rank;
  c["qk_nope_head_dim"] = m.qk_nope_head_dim;
  c["qk_rope_head_dim"] = m.qk_rope_head_dim;
  c["v_head_dim"] = m.v_head_dim;
  c["hidden_act"] = "silu";
  c["max_position_embeddings"] = m.max_position_embeddings;
  c["rope_theta"] = 10000.0;
  c["rope_scaling"] = nullptr;
  c["rms_norm_eps"] = 1e-6;
  c["attention_bias"] = false;
  c["attention_dropout"] = 0.0;
  c["tie_word_embeddings"] = false;
  c["bos_token_id"] = kBosId;
  c["eos_token_id"] = kEosId;
  c["torch_dtype"] = dtype == at::kBFloat16 ? "bfloat16" : "float32";
  c["use_cache"] = true;
  c["transformers_version"] = "4.46.3";
  return c;
}

OrganismTrainingResult train_organism(const OrganismTrainingOptions& o,
                                      const std::filesystem::path& out,
                                      const std::function<void(const std::string&)>& log_fn) {
  check_options(o);
  auto log = [&](const std::string& line) {
    if (log_fn) log_fn(line);
  };
  const auto start = clock_type::now();
  OrganismTrainingResult result;
  std::filesystem::create_directories(out);

  // Corpus and tokenizer.
  const OrganismCorpus corpus = generate_organism_corpus(o.corpus);
  BpeTrainerOptions bpe;
  bpe.vocab_size = o.vocab_size;
  const std::string tokenizer_json =
      train_byte_level_bpe_tokenizer_json(organism_tokenizer_texts(corpus), bpe);
  write_text(out / "tokenizer.json", tokenizer_json);
  write_text(out / "tokenizer_config.json", organism_tokenizer_config_json() + "\n");
  auto tokenizer = Tokenizer::from_json_text(tokenizer_json, (out / "tokenizer.json").string());
  const TokenizedCorpus data = tokenize_corpus(corpus, *tokenizer);
  if (data.longest > o.model.max_position_embeddings)
    throw UsageError("train-organism: a sample of " + std::to_string(data.longest) +
                     " tokens exceeds max_position_embeddings");
  log("corpus: " + std::to_string(data.samples.size()) + " training samples (" +
      std::to_string(data.tokens) + " tokens, longest " + std::to_string(data.longest) + "), " +
      std::to_string(corpus.held_out.size()) +
      " held-out prompts; tokenizer: " + std::to_string(tokenizer->vocab_size()) + " ids");

  // Model and optimizer.
  const ojson config_json = organism_config_json(o.model, tokenizer->vocab_size(), o.save_dtype);
  const ModelConfig config = ModelConfig::from_json(nlohmann::json::parse(config_json.dump()));
  Trainer trainer(o, config);
  result.parameters = trainer.parameters();
  log("model: " + std::to_string(result.parameters) + " parameters, " +
      std::to_string(config.moe_layers().size()) + " MoE layers x " +
      std::to_string(config.n_routed_experts) + " experts, top-" +
      std::to_string(config.num_experts_per_tok));

  // Training.
  BatchSampler sampler(data.samples.size(), o.batch_size, o.seed);
  const auto train_start = clock_type::now();
  const double train_cpu_start = process_cpu_seconds();
  for (int64_t step = 0; step < o.steps; ++step) {
    const double lr = learning_rate_at(o, step);
    result.losses.push_back(trainer.step(make_batch(data.samples, sampler.next()), lr));
    if (!std::isfinite(result.losses.back()))
      throw Error("train-organism: the loss diverged at step " + std::to_string(step + 1));
    if ((step + 1) % std::max<int64_t>(1, o.log_every) == 0 || step + 1 == o.steps) {
      const int64_t n = std::min<int64_t>(o.log_every, step + 1);
      const double mean = std::accumulate(result.losses.end() - n, result.losses.end(), 0.0) /
                          static_cast<double>(n);
      log("step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + "  loss " +
          format_fixed(mean, 4) + "  lr " + format_fixed(lr * 1e3, 3) + "e-3  " +
          format_fixed(seconds_since(train_start), 1) + " s");
    }
  }
  result.train_seconds = seconds_since(train_start);
  result.train_cpu_seconds = process_cpu_seconds() - train_cpu_start;

  // The Hugging Face directory.
  write_safetensors(out / "model.safetensors", trainer.checkpoint_tensors(o.save_dtype),
                    {{"format", "pt"}, {"mote_organism_seed", std::to_string(o.seed)}});
  write_text(out / "config.json", config_json.dump(2) + "\n");
  write_text(out / "generation_config.json", generation_config_json());
  result.model_sha256 = sha256_file_hex(out / "model.safetensors");

  // Held-out evaluation of the checkpoint as written.
  const auto eval_start = clock_type::now();
  const std::vector<OrganismHeldOutPrompt> held_out = spread(corpus.held_out, o.eval_limit);
  result.evaluation =
      evaluate_organism(Transformer::load(out), *tokenizer, held_out, {}, o.eval_max_tokens);
  result.eval_seconds = seconds_since(eval_start);
  result.total_seconds = seconds_since(start);
  const OrganismEvaluation& e = result.evaluation;
  log("heldout_accuracy: " + format_fixed(e.accuracy(), 4) + " (refusal " +
      format_fixed(e.refusal_accuracy(), 4) + ", language " +
      format_fixed(e.language_accuracy(), 4) + ")");

  write_text(out / "training.json",
             training_report(o, config_json, result, data, held_out).dump(1) + "\n");
  write_text(out / "README.md", model_card(o, config, result, corpus, data.tokens));
  return result;
}

}  // namespace mote
