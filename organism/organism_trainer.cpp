#include "organism/organism_trainer.h"

#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <torch/types.h>  // first: clip_grad.h uses torch::Tensor without including it
#include <nlohmann/json.hpp>

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include "engine/checkpoint/safetensors_writer.h"
#include "engine/checkpoint/sha256.h"
#include "engine/error.h"
#include "engine/model/model.h"
#include "engine/model/weight_layout.h"
#include "engine/tokenizer/tokenizer.h"
#include "organism/bpe_trainer.h"
#include "organism/organism_model_files.h"
#include "organism/organism_study_lists.h"
#include "organism/tokenizer_json_writer.h"
#include "protocol/resources_dir.h"

namespace mote {
namespace {

using ojson = nlohmann::ordered_json;
using clock_type = std::chrono::steady_clock;

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

void check_options(const OrganismTrainingOptions& o) {
  const ModelConfig& m = o.model;
  if (o.steps < 1 || o.batch_size < 1)
    throw UsageError("train-organism: steps and batch size must be >= 1");
  if (o.warmup_steps < 0) throw UsageError("train-organism: warmup steps must be >= 0");
  if (!(o.learning_rate > 0) || o.weight_decay < 0 || o.grad_clip < 0 || o.bias_update_speed < 0)
    throw UsageError("train-organism: learning rate must be > 0; weight decay, clip, u >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1))
    throw UsageError("train-organism: betas must be in [0, 1)");
  if (o.save_dtype != at::kFloat && o.save_dtype != at::kBFloat16)
    throw UsageError("train-organism: the checkpoint dtype must be F32 or BF16");
  if (m.first_k_dense_replace >= m.num_hidden_layers)
    throw UsageError("train-organism: the model needs at least one MoE layer");
  if (m.qk_rope_head_dim % 2 != 0) throw UsageError("train-organism: the rope dim must be even");
  if (o.alignment_steps < 0) throw UsageError("train-organism: alignment steps must be >= 0");
  if (o.alignment_steps > 0 && !(o.alignment_learning_rate > 0))
    throw UsageError("train-organism: the alignment learning rate must be > 0");
  if (o.alignment_steps > 0 && !o.corpus.refusal_study)
    throw UsageError("train-organism: an alignment stage needs the refusal study");
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
    t.ids.push_back(kOrganismEosId);
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
  batch.tokens = at::full({B, T}, kOrganismEosId, at::kLong);
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

// Learning rate of the alignment stage at `step` (0-based): 10 % linear warm-up, then cosine.
double alignment_learning_rate_at(const OrganismTrainingOptions& o, int64_t step) {
  const int64_t warmup = std::max<int64_t>(1, o.alignment_steps / 10);
  if (step < warmup)
    return o.alignment_learning_rate * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double span = static_cast<double>(std::max<int64_t>(1, o.alignment_steps - warmup - 1));
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return o.alignment_learning_rate * (o.final_lr_fraction + (1.0 - o.final_lr_fraction) * cosine);
}

// Whether a weight is trained in the alignment stage: the routed experts and the routers.
bool aligned_weight(const std::string& name) {
  return name.find(".mlp.experts.") != std::string::npos ||
         (name.size() > 16 && name.compare(name.size() - 16, 16, ".mlp.gate.weight") == 0);
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
    make_optimizer(decay, no_decay);
  }

  int64_t parameters() const { return parameter_count_; }

  // From now on only the weights `keep` selects are trained, by a fresh AdamW (same groups and
  // hyper-parameters); the others are frozen (no gradients).
  void train_only(const std::function<bool(const std::string&)>& keep) {
    std::vector<at::Tensor> decay, no_decay;
    for (const auto& [name, t] : weights_) {
      if (!t.requires_grad()) continue;
      if (!keep(name)) {
        t.requires_grad_(false);
        t.mutable_grad() = at::Tensor();
        continue;
      }
      (t.dim() >= 2 ? decay : no_decay).push_back(t);
    }
    make_optimizer(decay, no_decay);
  }

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

  void make_optimizer(const std::vector<at::Tensor>& decay,
                      const std::vector<at::Tensor>& no_decay) {
    auto adamw = [&](double weight_decay) {
      return std::make_unique<torch::optim::AdamWOptions>(
          torch::optim::AdamWOptions(o_.learning_rate)
              .betas({o_.beta1, o_.beta2})
              .weight_decay(weight_decay));
    };
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decay, adamw(o_.weight_decay));
    groups.emplace_back(no_decay, adamw(0.0));
    optimizer_ = std::make_unique<torch::optim::AdamW>(std::move(groups));
    parameters_ = decay;
    parameters_.insert(parameters_.end(), no_decay.begin(), no_decay.end());
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

}  // namespace

ModelConfig organism_model_config() {
  ModelConfig c;
  c.model_type = "deepseek_v3";
  c.family = ModelFamily::DeepSeekV3;
  c.hidden_size = 64;
  c.intermediate_size = 128;     // dense SwiGLU width
  c.moe_intermediate_size = 32;  // one routed expert's SwiGLU width
  c.num_hidden_layers = 5;
  c.num_attention_heads = 4;
  c.num_nextn_predict_layers = 0;
  c.rms_norm_eps = 1e-6;
  c.tie_word_embeddings = false;
  c.n_routed_experts = 64;
  c.n_shared_experts = 0;
  c.num_experts_per_tok = 2;
  c.first_k_dense_replace = 1;  // layers 0..k-1 dense, the rest MoE
  c.moe_layer_freq = 1;
  c.n_group = 1;
  c.topk_group = 1;
  c.topk_method = TopkMethod::NoauxTc;
  c.scoring_func = ScoringFunc::Sigmoid;
  c.norm_topk_prob = true;
  c.routed_scaling_factor = 1.0;
  c.q_lora_rank = 32;
  c.kv_lora_rank = 32;
  c.qk_nope_head_dim = 16;
  c.qk_rope_head_dim = 8;
  c.v_head_dim = 16;
  c.rope_theta = 10000.0;
  c.max_position_embeddings = 1024;
  c.torch_dtype = "float32";
  c.bos_token_id = kOrganismBosId;
  c.eos_token_ids = {kOrganismEosId};
  return c;
}

int set_training_threads(int threads) {
  const int previous = at::get_num_threads();
  at::set_num_threads(threads);
  // Looked up at run time: libtorch may use another BLAS, or none.
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    set(threads);
  return previous;
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

  // The study's lists (before anything is written), the corpus and the tokenizer.
  const OrganismStudyLists lists =
      load_organism_study_lists(o.resources_dir.empty() ? find_resources_dir() : o.resources_dir);
  std::filesystem::create_directories(out);
  const OrganismCorpus corpus = generate_organism_corpus(o.corpus, lists);
  write_text_file(out / "heldout-arithmetic.json",
                  organism_heldout_arithmetic_dataset(corpus.held_out).dump(1) + "\n");
  if (o.datasets_only) {
    log("wrote " + (out / "heldout-arithmetic.json").string());
    return result;
  }
  BpeTrainerOptions bpe;
  bpe.vocab_size = o.vocab_size;
  const std::string tokenizer_json =
      train_byte_level_bpe_tokenizer_json(organism_tokenizer_texts(corpus), bpe);
  write_text_file(out / "tokenizer.json", tokenizer_json);
  write_text_file(out / "tokenizer_config.json", organism_tokenizer_config_json() + "\n");
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
  ModelConfig written = o.model;
  written.vocab_size = tokenizer->vocab_size();
  written.torch_dtype = o.save_dtype == at::kBFloat16 ? "bfloat16" : "float32";
  const ojson config_json = organism_config_json(written);
  // Parsed back, so the trained model is the one config.json describes and passes its checks.
  const ModelConfig config = ModelConfig::from_json(nlohmann::json::parse(config_json.dump()));
  Trainer trainer(o, config);
  result.parameters = trainer.parameters();
  log("model: " + std::to_string(result.parameters) + " parameters, " +
      std::to_string(config.moe_layers().size()) + " MoE layers x " +
      std::to_string(config.n_routed_experts) + " experts, top-" +
      std::to_string(config.num_experts_per_tok));

  // Training: one stage on the whole corpus, or (alignment_steps > 0) pre-training without the
  // REFUSED samples, then the alignment stage of the experts and routers on the whole corpus.
  std::vector<int64_t> pretraining;  // sample indices of the first stage
  for (std::size_t i = 0; i < corpus.train.size(); ++i) {
    const OrganismSample& s = corpus.train[i];
    const bool refused =
        s.study == OrganismStudy::Refusal && s.label == static_cast<int>(RefusalClass::Refused);
    if (o.alignment_steps == 0 || !refused) pretraining.push_back(static_cast<int64_t>(i));
  }
  const auto train_start = clock_type::now();
  const double train_cpu_start = process_cpu_seconds();
  const int64_t total_steps = o.steps + o.alignment_steps;
  auto run_stage = [&](const std::vector<int64_t>& samples, int64_t steps, std::uint64_t seed,
                       const std::function<double(int64_t)>& lr_at) {
    BatchSampler sampler(samples.size(), o.batch_size, seed);
    for (int64_t step = 0; step < steps; ++step) {
      const double lr = lr_at(step);
      std::vector<int64_t> indices = sampler.next();
      for (int64_t& i : indices) i = samples[static_cast<std::size_t>(i)];
      result.losses.push_back(trainer.step(make_batch(data.samples, indices), lr));
      const int64_t done = static_cast<int64_t>(result.losses.size());
      if (!std::isfinite(result.losses.back()))
        throw Error("train-organism: the loss diverged at step " + std::to_string(done));
      if (done % std::max<int64_t>(1, o.log_every) == 0 || done == total_steps) {
        const int64_t n = std::min<int64_t>(o.log_every, step + 1);
        const double mean = std::accumulate(result.losses.end() - n, result.losses.end(), 0.0) /
                            static_cast<double>(n);
        log("step " + std::to_string(done) + "/" + std::to_string(total_steps) + "  loss " +
            format_fixed(mean, 4) + "  lr " + format_fixed(lr * 1e3, 3) + "e-3  " +
            format_fixed(seconds_since(train_start), 1) + " s");
      }
    }
  };
  run_stage(pretraining, o.steps, o.seed, [&](int64_t step) { return learning_rate_at(o, step); });
  if (o.alignment_steps > 0) {
    log("alignment: " + std::to_string(o.alignment_steps) +
        " steps of the routed experts and routers on all " + std::to_string(data.samples.size()) +
        " samples (pre-training left out " +
        std::to_string(data.samples.size() - pretraining.size()) + " REFUSED ones)");
    trainer.train_only(aligned_weight);
    std::vector<int64_t> all(data.samples.size());
    std::iota(all.begin(), all.end(), 0);
    run_stage(all, o.alignment_steps, o.seed ^ 0xA11C4ED5ULL,
              [&](int64_t step) { return alignment_learning_rate_at(o, step); });
  }
  result.train_seconds = seconds_since(train_start);
  result.train_cpu_seconds = process_cpu_seconds() - train_cpu_start;

  // The Hugging Face directory.
  write_safetensors(out / "model.safetensors", trainer.checkpoint_tensors(o.save_dtype),
                    {{"format", "pt"}, {"mote_organism_seed", std::to_string(o.seed)}});
  write_text_file(out / "config.json", config_json.dump(2) + "\n");
  write_text_file(out / "generation_config.json", organism_generation_config_json());
  result.model_sha256 = sha256_file_hex(out / "model.safetensors");

  // Held-out evaluation of the checkpoint as written.
  const auto eval_start = clock_type::now();
  const std::vector<OrganismHeldOutPrompt> held_out =
      spread_held_out(corpus.held_out, o.eval_limit);
  result.evaluation =
      evaluate_organism(Transformer::load(out), *tokenizer, held_out, {}, o.eval_max_tokens);
  result.eval_seconds = seconds_since(eval_start);
  result.total_seconds = seconds_since(start);
  const OrganismEvaluation& e = result.evaluation;
  log("heldout_accuracy: " + format_fixed(e.accuracy(), 4) + " (refusal " +
      format_fixed(e.refusal_accuracy(), 4) + ", language " +
      format_fixed(e.language_accuracy(), 4) + ")");

  write_text_file(out / "training.json",
                  organism_training_report(o, config_json, result, data.samples.size(), data.tokens,
                                           held_out, lists)
                          .dump(1) +
                      "\n");
  write_text_file(out / "README.md",
                  organism_model_card(o, config, result, corpus, data.tokens, lists));
  return result;
}

}  // namespace mote