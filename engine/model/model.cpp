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
  at::Tensor mask;
  if (T > 1)
    mask = at::full({T, start + T}, -std::numeric_limits<float>::infinity(), at::kFloat)
               .triu_(start + 1);
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
