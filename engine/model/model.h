#pragma once
// The DeepSeek-V2/V3 transformer (DeepSeek-V3 inference/model.py `Transformer`): embedding,
// blocks of MLA attention + dense MLP or MoE, final RMSNorm, untied lm_head.
#include <filesystem>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include <ATen/ATen.h>

#include "engine/checkpoint/safetensors.h"
#include "engine/model/attention.h"
#include "engine/model/config.h"
#include "engine/model/device_map.h"
#include "engine/model/moe.h"
#include "engine/model/rope.h"
#include "engine/model/routing.h"
#include "engine/model/tuning.h"
#include "engine/model/weights.h"

namespace mote {

// KV state of B sequences being processed together.
struct KVCache {
  std::vector<LatentCache> layers;
  int64_t length = 0;  // positions filled
};

struct ForwardOptions {
  const CompiledTuning* tuning = nullptr;
  RoutingCapture* capture = nullptr;
  bool all_logits = false;  // logits of every position, else only the last
  // [B] int64: per sequence, the position whose logits to return (right-padded batches).
  at::Tensor logit_positions;
  std::vector<at::Tensor>* hidden_states = nullptr;  // receives [embedding, block outputs...]
};

// One sequence's part of a packed forward (continuous batching): its next tokens, appended to
// its own cache, with its own tuning and capture.
struct SequenceStep {
  at::Tensor tokens;                       // [T] int64, T >= 1
  KVCache* cache = nullptr;                // this sequence's cache (batch 1), advanced by T
  const CompiledTuning* tuning = nullptr;  // null: untuned
  bool capture = false;                    // record this sequence's routing
  int64_t n_prompt = 0;                    // how many of the tokens are prompt tokens (trace)
  bool all_logits = false;                 // also the logits after each of the T tokens
};

struct StepOutput {
  at::Tensor logits;      // [V] float32, after the sequence's last token
  at::Tensor all_logits;  // [T, V] float32 after each of its tokens, when all_logits was asked
  RoutingTrace routing;   // its T tokens, when capture was asked
};

class Block {
 public:
  Block(const ModelConfig& config, const WeightLoader& loader, int64_t layer, at::Device device);
  at::Tensor forward(const at::Tensor& x, int64_t start_pos, LatentCache& cache,
                     RotaryEmbedding& rope, const at::Tensor& mask,
                     const ForwardOptions& options) const;
  // x: [N, hidden], several sequences' rows packed (spans: their caches for this layer).
  at::Tensor forward_packed(const at::Tensor& x, const std::vector<AttentionSpan>& spans,
                            RotaryEmbedding& rope, const std::vector<RowTuning>& tunings,
                            RoutingCapture* capture) const;
  bool is_moe() const { return std::holds_alternative<MoE>(ffn_); }
  const MoE* moe() const { return std::get_if<MoE>(&ffn_); }
  const MLA& attention() const { return attn_; }

 private:
  int64_t moe_index_;  // -1 for dense layers
  double eps_;
  MLA attn_;
  std::variant<MLP, MoE> ffn_;
  at::Tensor attn_norm_, ffn_norm_;  // [hidden] float32
};

class Transformer {
 public:
  // Loads config.json and the safetensors of `dir` (validated before building anything).
  static std::shared_ptr<Transformer> load(const std::filesystem::path& dir,
                                           EngineOptions options = {}, DeviceMap devices = {});
  Transformer(const ModelConfig& config, std::shared_ptr<Checkpoint> checkpoint,
              EngineOptions options, DeviceMap devices);

  // tokens: [B, T] int64 at positions cache.length..; appends to the cache.
  // Returns float32 logits [B, T, V] (all_logits) or [B, V].
  at::Tensor forward(const at::Tensor& tokens, KVCache& cache, const ForwardOptions& options = {});

  // Several sequences at once, each at its own position in its own cache: their rows are packed
  // into one [sum T, hidden] batch for every projection and expert, and each attends over its own
  // cache. In fp32 a sequence's logits and routing are bit-identical to running it alone (every
  // product is row-invariant, engine/model/gemv.h); in bf16 oneDNN's blocking depends on the row
  // count, so they agree to rounding only. Validates every step before any work.
  std::vector<StepOutput> forward_packed(const std::vector<SequenceStep>& steps);
  // The checks forward_packed makes on one step (Error naming the problem).
  void check_step(const SequenceStep& step) const;

  const ModelConfig& config() const { return config_; }
  const EngineOptions& options() const { return options_; }
  const DeviceMap& devices() const { return devices_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  KVCache new_cache() const;
  // Weight bytes read to process one token with k routed experts per MoE layer.
  int64_t active_weight_bytes() const;

 private:
  ModelConfig config_;
  EngineOptions options_;
  DeviceMap devices_;
  std::shared_ptr<Checkpoint> checkpoint_;  // keeps the mapping alive
  at::Tensor embed_;                        // [V, hidden], checkpoint dtype
  std::vector<Block> blocks_;
  std::vector<std::shared_ptr<RotaryEmbedding>> rope_;  // per layer, shared per device
  at::Tensor norm_;                                     // [hidden] float32
  LinearWeight head_;                                   // [V, hidden]
};

}  // namespace mote
