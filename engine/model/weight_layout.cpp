#include "engine/model/weight_layout.h"

namespace mote {

std::vector<WeightSpec> weight_layout(const ModelConfig& c) {
  std::vector<WeightSpec> out;
  const int64_t H = c.hidden_size, nh = c.num_attention_heads;
  auto add = [&](std::string name, std::vector<int64_t> shape, WeightKind kind) {
    out.push_back(WeightSpec{std::move(name), std::move(shape), kind});
  };
  auto mlp = [&](const std::string& prefix, int64_t width) {
    add(prefix + ".gate_proj.weight", {width, H}, WeightKind::Linear);
    add(prefix + ".up_proj.weight", {width, H}, WeightKind::Linear);
    add(prefix + ".down_proj.weight", {H, width}, WeightKind::Linear);
  };

  add("model.embed_tokens.weight", {c.vocab_size, H}, WeightKind::Embedding);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l);
    add(p + ".input_layernorm.weight", {H}, WeightKind::Norm);
    add(p + ".post_attention_layernorm.weight", {H}, WeightKind::Norm);
    const std::string a = p + ".self_attn";
    if (c.q_lora_rank) {
      add(a + ".q_a_proj.weight", {*c.q_lora_rank, H}, WeightKind::Linear);
      add(a + ".q_a_layernorm.weight", {*c.q_lora_rank}, WeightKind::Norm);
      add(a + ".q_b_proj.weight", {nh * c.qk_head_dim(), *c.q_lora_rank}, WeightKind::Linear);
    } else {
      add(a + ".q_proj.weight", {nh * c.qk_head_dim(), H}, WeightKind::Linear);
    }
    add(a + ".kv_a_proj_with_mqa.weight", {c.kv_lora_rank + c.qk_rope_head_dim, H},
        WeightKind::Linear);
    add(a + ".kv_a_layernorm.weight", {c.kv_lora_rank}, WeightKind::Norm);
    add(a + ".kv_b_proj.weight", {nh * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank},
        WeightKind::Linear);
    add(a + ".o_proj.weight", {H, nh * c.v_head_dim}, WeightKind::Linear);
    if (!c.is_moe_layer(l)) {
      mlp(p + ".mlp", c.intermediate_size);
      continue;
    }
    add(p + ".mlp.gate.weight", {c.n_routed_experts, H}, WeightKind::Router);
    if (c.topk_method == TopkMethod::NoauxTc)
      add(p + ".mlp.gate.e_score_correction_bias", {c.n_routed_experts}, WeightKind::RouterBias);
    for (int64_t e = 0; e < c.n_routed_experts; ++e)
      mlp(p + ".mlp.experts." + std::to_string(e), c.moe_intermediate_size);
    if (c.n_shared_experts > 0)
      mlp(p + ".mlp.shared_experts", c.n_shared_experts * c.moe_intermediate_size);
  }
  add("model.norm.weight", {H}, WeightKind::Norm);
  if (!c.tie_word_embeddings) add("lm_head.weight", {c.vocab_size, H}, WeightKind::Embedding);
  return out;
}

}  // namespace mote
