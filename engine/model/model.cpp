#include "engine/model/model.h"

#include <map>

#include "engine/error.h"

namespace mote {

Block::Block(const ModelConfig& c, const WeightLoader& loader, int64_t layer, at::Device device)
    : moe_index_(c.moe_layer_index(layer)),
      eps_(c.rms_norm_eps),
      attn_(c, loader, "model.layers." + std::to_string(layer) + ".self_attn", device),
      ffn_(c.is_moe_layer(layer)
               ? std::variant<MLP, MoE>(std::in_place_type<MoE>, c, loader,
                                        "model.layers." + std::to_string(layer) + ".mlp", device)
               : std::variant<MLP, MoE>(std::in_place_type<MLP>, loader,
                                        "model.layers." + std::to_string(layer) + ".mlp", device)) {
  const std::string p = "model.layers." + std::to_string(layer);
  attn_norm_ = loader.dense(p + ".input_layernorm.weight", at::kFloat, device);
  ffn_norm_ = loader.dense(p + ".post_attention_layernorm.weight", at::kFloat, device);
}

at::Tensor Block::forward(const at::Tensor& x, int64_t start_pos, LatentCache& cache,
                          RotaryEmbedding& rope, const at::Tensor& mask,
                          const ForwardOptions& options) const {
  at::Tensor h = x + attn_.forward(rms_norm(x, attn_norm_, eps_), start_pos, cache, rope, mask);
  at::Tensor normed = rms_norm(h, ffn_norm_, eps_);
  const int64_t B = h.size(0), T = h.size(1);
  at::Tensor flat = normed.reshape({B * T, -1});
  at::Tensor y = std::visit(
      [&](const auto& ffn) {
        if constexpr (std::is_same_v<std::decay_t<decltype(ffn)>, MoE>)
          return ffn.forward(flat, MoEContext{moe_index_, options.tuning, options.capture});
        else
          return ffn.forward(flat);
      },
      ffn_);
  return h + y.view_as(h);
}

at::Tensor Block::forward_packed(const at::Tensor& x, const std::vector<AttentionSpan>& spans,
                                 RotaryEmbedding& rope, const std::vector<RowTuning>& tunings,
                                 RoutingCapture* capture) const {
  at::Tensor h = x + attn_.forward_packed(rms_norm(x, attn_norm_, eps_), spans, rope);
  at::Tensor normed = rms_norm(h, ffn_norm_, eps_);  // [N, hidden]
  at::Tensor y = std::visit(
      [&](const auto& ffn) {
        if constexpr (std::is_same_v<std::decay_t<decltype(ffn)>, MoE>) {
          MoEContext ctx{moe_index_, nullptr, capture};
          ctx.row_tunings = &tunings;
          return ffn.forward(normed, ctx);
        } else {
          return ffn.forward(normed);
        }
      },
      ffn_);
  return h + y;
}

std::shared_ptr<Transformer> Transformer::load(const std::filesystem::path& dir,
                                               EngineOptions options, DeviceMap devices) {
  if (!std::filesystem::is_directory(dir))
    throw CheckpointError(dir.string() + ": not a model directory");
  ModelConfig config = ModelConfig::from_file(dir / "config.json");
  return std::make_shared<Transformer>(config, Checkpoint::open(dir), options, std::move(devices));
}

Transformer::Transformer(const ModelConfig& c, std::shared_ptr<Checkpoint> checkpoint,
                         EngineOptions options, DeviceMap devices)
    : config_(c),
      options_(options),
      devices_(std::move(devices)),
      checkpoint_(std::move(checkpoint)) {
  if (options_.compute_dtype != at::kFloat && options_.compute_dtype != at::kBFloat16)
    throw Error("compute dtype must be float32 or bfloat16");
  if (devices_.devices().empty()) devices_ = DeviceMap({at::Device(at::kCPU)}, c.num_hidden_layers);
  WeightLoader loader(checkpoint_, config_);  // validates every tensor first
  embed_ = loader.stored("model.embed_tokens.weight", devices_.first());
  std::map<std::string, std::shared_ptr<RotaryEmbedding>> ropes;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    at::Device device = devices_.layer_device(l);
    blocks_.emplace_back(c, loader, l, device);
    auto& rope = ropes[device.str()];
    if (!rope) rope = std::make_shared<RotaryEmbedding>(c, device);
    rope_.push_back(rope);
  }
  norm_ = loader.dense("model.norm.weight", at::kFloat, devices_.last());
  head_ = loader.linear(c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight",
                        devices_.last());
}

KVCache Transformer::new_cache() const {
  KVCache cache;
  cache.layers.resize(blocks_.size());
  return cache;
}

int64_t Transformer::active_weight_bytes() const {
  int64_t n = head_.bytes() + embed_.size(1) * static_cast<int64_t>(embed_.element_size());
  for (const Block& b : blocks_) {
    n += b.attention().bytes();
    if (const MoE* m = b.moe())
      n += config_.num_experts_per_tok * m->expert_bytes() + m->shared_bytes() +
           config_.n_routed_experts * config_.hidden_size * 4;  // fp32 router
    else
      n += 3 * config_.intermediate_size * config_.hidden_size *
           static_cast<int64_t>(embed_.element_size());
  }
  return n;
}

at::Tensor Transformer::forward(const at::Tensor& tokens, KVCache& cache,
                                const ForwardOptions& options) {
  if (tokens.dim() != 2) throw Error("forward: tokens must be [batch, seq]");
  const int64_t B = tokens.size(0), T = tokens.size(1), start = cache.length;
  if (T == 0) throw Error("forward: empty token sequence");
  if (cache.layers.size() != blocks_.size()) cache.layers.resize(blocks_.size());
  {
    at::Tensor bad = (tokens < 0) | (tokens >= config_.vocab_size);
    if (bad.any().item<bool>())
      throw Error("forward: token id out of range 0.." + std::to_string(config_.vocab_size - 1));
  }
  const auto dtype = options_.compute_dtype;
  at::Tensor h = embed_.index_select(0, tokens.reshape({-1}).to(embed_.device()))
                     .to(dtype)
                     .view({B, T, -1});  // [B, T, hidden]
  if (options.hidden_states) options.hidden_states->push_back(h.to(at::kFloat));
  // Causal mask over the cached prefix plus this chunk: [T, start+T], -inf above the diagonal.
  at::Tensor mask = causal_mask(T, start);
  for (size_t l = 0; l < blocks_.size(); ++l) {
    at::Device device = devices_.layer_device(static_cast<int64_t>(l));
    if (h.device() != device) h = h.to(device);
    at::Tensor layer_mask = mask.defined() ? mask.to(device) : mask;
    h = blocks_[l].forward(h, start, cache.layers[l], *rope_[l], layer_mask, options);
    if (options.hidden_states) options.hidden_states->push_back(h.to(at::kFloat));
  }
  cache.length = start + T;
  if (options.logit_positions.defined()) {
    at::Tensor pos =
        options.logit_positions.to(h.device()).view({B, 1, 1}).expand({B, 1, h.size(2)});
    h = h.gather(1, pos).squeeze(1);  // [B, hidden]
  } else if (!options.all_logits) {
    h = h.select(1, T - 1);  // [B, hidden]
  }
  h = rms_norm(h.to(devices_.last()), norm_, config_.rms_norm_eps);
  return linear(h, head_).to(at::kFloat);
}

}  // namespace mote

namespace mote {

void Transformer::check_step(const SequenceStep& step) const {
  if (!step.cache) throw Error("forward: a sequence has no cache");
  if (!step.tokens.defined() || step.tokens.dim() != 1 || step.tokens.size(0) == 0)
    throw Error("forward: a sequence's tokens must be a non-empty [T] tensor");
  if (step.tokens.scalar_type() != at::kLong) throw Error("forward: token ids must be int64");
  // On the host, without tensor ops: this runs for every sequence at every step.
  at::Tensor ids = step.tokens.device().is_cpu() ? step.tokens.contiguous() : step.tokens.cpu();
  const int64_t* id = ids.data_ptr<int64_t>();
  for (int64_t i = 0; i < ids.numel(); ++i)
    if (id[i] < 0 || id[i] >= config_.vocab_size)
      throw Error("forward: token id " + std::to_string(id[i]) + " out of range 0.." +
                  std::to_string(config_.vocab_size - 1));
  const int64_t end = step.cache->length + step.tokens.size(0);
  if (end > config_.max_position_embeddings)
    throw Error("sequence of " + std::to_string(end) +
                " positions exceeds max_position_embeddings " +
                std::to_string(config_.max_position_embeddings));
}

std::vector<StepOutput> Transformer::forward_packed(const std::vector<SequenceStep>& steps) {
  if (steps.empty()) return {};
  for (size_t i = 0; i < steps.size(); ++i) {
    check_step(steps[i]);
    for (size_t j = 0; j < i; ++j)
      if (steps[j].cache == steps[i].cache)
        throw Error("forward: two steps of one batch share a cache");
  }
  // Rows of sequence i: [offsets[i], offsets[i] + T_i).
  std::vector<int64_t> offsets;
  std::vector<at::Tensor> parts;
  std::vector<RowTuning> tunings;
  int64_t N = 0;
  bool any_capture = false;
  for (const SequenceStep& s : steps) {
    const int64_t T = s.tokens.size(0);
    offsets.push_back(N);
    parts.push_back(s.tokens.to(at::kCPU));
    tunings.push_back({N, T, s.tuning && !s.tuning->empty() ? s.tuning : nullptr});
    if (s.cache->layers.size() != blocks_.size()) s.cache->layers.resize(blocks_.size());
    any_capture |= s.capture;
    N += T;
  }
  at::Tensor tokens = at::cat(parts);  // [N]
  at::Tensor h = embed_.index_select(0, tokens.to(embed_.device())).to(options_.compute_dtype);
  RoutingCapture capture;
  std::vector<AttentionSpan> spans(steps.size());
  for (size_t l = 0; l < blocks_.size(); ++l) {
    at::Device device = devices_.layer_device(static_cast<int64_t>(l));
    if (h.device() != device) h = h.to(device);
    for (size_t i = 0; i < steps.size(); ++i)
      spans[i] = {offsets[i], steps[i].tokens.size(0), steps[i].cache->length,
                  &steps[i].cache->layers[l]};
    h = blocks_[l].forward_packed(h, spans, *rope_[l], tunings, any_capture ? &capture : nullptr);
  }
  // The rows the head projects: each sequence's last, or all of them for all_logits; row_end[i]
  // is one past sequence i's last selected row.
  std::vector<int64_t> last, row_end;
  for (size_t i = 0; i < steps.size(); ++i) {
    const int64_t T = steps[i].tokens.size(0);
    steps[i].cache->length += T;
    for (int64_t t = steps[i].all_logits ? 0 : T - 1; t < T; ++t) last.push_back(offsets[i] + t);
    row_end.push_back(static_cast<int64_t>(last.size()));
  }
  h = h.to(devices_.last())
          .index_select(0,
                        at::tensor(last, at::TensorOptions().dtype(at::kLong)).to(devices_.last()));
  at::Tensor logits = linear(rms_norm(h, norm_, config_.rms_norm_eps), head_).to(at::kFloat);
  logits = logits.to(at::kCPU);  // [selected rows, V]
  std::vector<StepOutput> out(steps.size());
  RoutingTrace all;
  if (any_capture) all = capture.take(1, N, 0)[0];
  for (size_t i = 0; i < steps.size(); ++i) {
    out[i].logits = logits[row_end[i] - 1];
    if (steps[i].all_logits)
      out[i].all_logits = logits.slice(0, row_end[i] - steps[i].tokens.size(0), row_end[i]);
    if (steps[i].capture) {
      RoutingTrace t = all.slice(offsets[i], steps[i].tokens.size(0));
      t.ids = t.ids.contiguous();  // its own memory, not a view of the whole batch's
      t.weights = t.weights.contiguous();
      t.ids_before = t.ids_before.contiguous();
      t.weights_before = t.weights_before.contiguous();
      t.n_prompt = steps[i].n_prompt;
      out[i].routing = std::move(t);
    }
  }
  return out;
}

}  // namespace mote
