#include "engine/model/attention.h"

#include <cstring>
#include <limits>

#include <ATen/core/grad_mode.h>

#include "engine/error.h"
#include "engine/model/cpu_features.h"
#include "engine/model/gemv.h"
#include "engine/model/latent_attention_kernel.h"

namespace mote {

void LatentCache::reserve(int64_t batch, int64_t positions, const at::TensorOptions& options,
                          int64_t kv_dim, int64_t pe_dim) {
  if (kv.defined() && kv.size(0) == batch && kv.size(1) >= positions &&
      kv.scalar_type() == options.dtype().toScalarType())
    return;
  int64_t capacity = std::max<int64_t>(positions, kv.defined() ? 2 * kv.size(1) : 64);
  at::Tensor new_kv = at::zeros({batch, capacity, kv_dim}, options);
  at::Tensor new_pe = at::zeros({batch, capacity, pe_dim}, options);
  if (kv.defined() && kv.size(0) == batch) {
    new_kv.narrow(1, 0, kv.size(1)).copy_(kv);
    new_pe.narrow(1, 0, pe.size(1)).copy_(pe);
  }
  kv = new_kv;
  pe = new_pe;
}

MLA::MLA(const ModelConfig& c, const WeightLoader& loader, const std::string& p, at::Device device)
    : n_heads_(c.num_attention_heads),
      nope_(c.qk_nope_head_dim),
      rope_dim_(c.qk_rope_head_dim),
      v_dim_(c.v_head_dim),
      kv_rank_(c.kv_lora_rank),
      eps_(c.rms_norm_eps),
      softmax_scale_(c.softmax_scale()),
      wkv_a_(loader.linear(p + ".kv_a_proj_with_mqa.weight", device)),
      kv_norm_(loader.dense(p + ".kv_a_layernorm.weight", at::kFloat, device)),
      wkv_b_(loader.linear(p + ".kv_b_proj.weight", device)),
      wo_(loader.linear(p + ".o_proj.weight", device)) {
  if (!wkv_b_.is_fp8()) {
    at::Tensor w = wkv_b_.weight.view({n_heads_, nope_ + v_dim_, kv_rank_});
    w_k_t_ = w.narrow(1, 0, nope_).transpose(1, 2).contiguous();
    w_v_ = w.narrow(1, nope_, v_dim_);
  }
  if (c.q_lora_rank) {
    wq_a_ = loader.linear(p + ".q_a_proj.weight", device);
    q_norm_ = loader.dense(p + ".q_a_layernorm.weight", at::kFloat, device);
    wq_b_ = loader.linear(p + ".q_b_proj.weight", device);
  } else {
    wq_ = loader.linear(p + ".q_proj.weight", device);
  }
}

int64_t MLA::bytes() const {
  int64_t n = wkv_a_.bytes() + wkv_b_.bytes() + wo_.bytes();
  if (wq_) n += wq_->bytes();
  if (wq_a_) n += wq_a_->bytes() + wq_b_->bytes();
  return n;
}

at::Tensor causal_mask(int64_t T, int64_t start_pos, at::Device device) {
  if (T <= 1) return {};
  return at::full({T, start_pos + T}, -std::numeric_limits<float>::infinity(), at::kFloat)
      .triu_(start_pos + 1)
      .to(device);
}

at::Tensor MLA::forward(const at::Tensor& x, int64_t start_pos, LatentCache& cache,
                        RotaryEmbedding& rope, const at::Tensor& mask) const {
  const int64_t B = x.size(0), T = x.size(1);
  at::Tensor q = wq_ ? linear(x, *wq_) : linear(rms_norm(linear(x, *wq_a_), q_norm_, eps_), *wq_b_);
  q = q.view({B, T, n_heads_, nope_ + rope_dim_});
  at::Tensor q_nope = q.narrow(-1, 0, nope_);                               // [B, T, h, nope]
  at::Tensor q_pe = rope.apply(q.narrow(-1, nope_, rope_dim_), start_pos);  // [B, T, h, rope]

  at::Tensor kv = linear(x, wkv_a_);  // [B, T, rank + rope]
  at::Tensor k_pe =
      rope.apply(kv.narrow(-1, kv_rank_, rope_dim_).unsqueeze(2), start_pos).squeeze(2);
  kv = rms_norm(kv.narrow(-1, 0, kv_rank_), kv_norm_, eps_);  // [B, T, rank]
  return linear(attend(q_nope, q_pe, kv, k_pe, start_pos, cache, mask), wo_);
}

at::Tensor MLA::forward_packed(const at::Tensor& x, const std::vector<AttentionSpan>& spans,
                               RotaryEmbedding& rope) const {
  const int64_t N = x.size(0);
  at::Tensor q = wq_ ? linear(x, *wq_) : linear(rms_norm(linear(x, *wq_a_), q_norm_, eps_), *wq_b_);
  q = q.view({N, n_heads_, nope_ + rope_dim_});
  at::Tensor kv_all = linear(x, wkv_a_);  // [N, rank + rope]
  if (w_k_t_.defined() && x.scalar_type() == at::kFloat && x.device().is_cpu() &&
      (w_k_t_.scalar_type() == at::kFloat || w_k_t_.scalar_type() == at::kBFloat16) &&
      cpu_has_avx2_fma() && !(at::GradMode::is_enabled() && x.requires_grad())) {
    // fp32: every step batched over all rows, a per-sequence part only where the cache is.
    std::vector<int64_t> pos(static_cast<size_t>(N));
    for (const AttentionSpan& s : spans)
      for (int64_t t = 0; t < s.length; ++t)
        pos[static_cast<size_t>(s.offset + t)] = s.start_pos + t;
    at::Tensor positions = at::tensor(pos, at::TensorOptions().dtype(at::kLong));
    at::Tensor q_pe = rope.apply_rows(q.narrow(-1, nope_, rope_dim_), positions);  // [N, h, rope]
    at::Tensor k_pe =
        rope.apply_rows(kv_all.narrow(-1, kv_rank_, rope_dim_).unsqueeze(1), positions)
            .squeeze(1);                                                       // [N, rope]
    at::Tensor kv = rms_norm(kv_all.narrow(-1, 0, kv_rank_), kv_norm_, eps_);  // [N, rank]
    kv = kv.contiguous();
    k_pe = k_pe.contiguous();
    for (const AttentionSpan& s : spans) {
      LatentCache& c = *s.cache;
      c.reserve(1, s.start_pos + s.length, kv.options(), kv_rank_, rope_dim_);
      // Plain row copies into the [1, capacity, dim] cache (two tensor ops per sequence and
      // layer were a visible share of a small model's batched step).
      std::memcpy(c.kv.data_ptr<float>() + s.start_pos * kv_rank_,
                  kv.data_ptr<float>() + s.offset * kv_rank_,
                  static_cast<size_t>(s.length * kv_rank_) * sizeof(float));
      std::memcpy(c.pe.data_ptr<float>() + s.start_pos * rope_dim_,
                  k_pe.data_ptr<float>() + s.offset * rope_dim_,
                  static_cast<size_t>(s.length * rope_dim_) * sizeof(float));
    }
    // The caches were just made fp32 [1, capacity, dim] above: the kernel always applies.
    if (!latent_attention_applicable(kv, spans))
      throw Error("attention: a packed sequence's cache is not an fp32 [1, capacity, dim] cache");
    // Absorb w_k per head with the row-invariant GEMV: [N, nope] x [rank, nope]^T -> [N, rank]
    at::Tensor q_nope = q.narrow(-1, 0, nope_);
    std::vector<at::Tensor> q_abs, o;
    for (int64_t h = 0; h < n_heads_; ++h) q_abs.push_back(gemv(q_nope.select(1, h), w_k_t_[h]));
    at::Tensor lat = latent_attention(at::stack(q_abs, 1), q_pe.contiguous(), spans,
                                      static_cast<float>(softmax_scale_));  // [N, h, rank]
    for (int64_t h = 0; h < n_heads_; ++h) o.push_back(gemv(lat.select(1, h), w_v_[h]));
    return linear(at::stack(o, 1).flatten(1), wo_);  // [N, h, v] -> [N, hidden]
  }
  std::vector<at::Tensor> outputs;
  outputs.reserve(spans.size());
  for (const AttentionSpan& s : spans) {
    const int64_t T = s.length;
    at::Tensor qs = q.narrow(0, s.offset, T).unsqueeze(0);  // [1, T, h, nope + rope]
    at::Tensor q_nope = qs.narrow(-1, 0, nope_);
    at::Tensor q_pe = rope.apply(qs.narrow(-1, nope_, rope_dim_), s.start_pos);
    at::Tensor kv = kv_all.narrow(0, s.offset, T).unsqueeze(0);  // [1, T, rank + rope]
    at::Tensor k_pe =
        rope.apply(kv.narrow(-1, kv_rank_, rope_dim_).unsqueeze(2), s.start_pos).squeeze(2);
    kv = rms_norm(kv.narrow(-1, 0, kv_rank_), kv_norm_, eps_);
    outputs.push_back(attend(q_nope, q_pe, kv, k_pe, s.start_pos, *s.cache,
                             causal_mask(T, s.start_pos, x.device()))
                          .squeeze(0));
  }
  return linear(at::cat(outputs, 0), wo_);  // [N, hidden]
}

at::Tensor MLA::attend(const at::Tensor& q_nope, const at::Tensor& q_pe, const at::Tensor& kv,
                       const at::Tensor& k_pe, int64_t start_pos, LatentCache& cache,
                       const at::Tensor& mask) const {
  const int64_t B = kv.size(0), T = kv.size(1), end_pos = start_pos + T;
  cache.reserve(B, end_pos, kv.options(), kv_rank_, rope_dim_);
  cache.kv.narrow(1, start_pos, T).copy_(kv);
  cache.pe.narrow(1, start_pos, T).copy_(k_pe);
  at::Tensor kv_all = cache.kv.narrow(1, 0, end_pos);  // [B, S, rank]
  at::Tensor pe_all = cache.pe.narrow(1, 0, end_pos);  // [B, S, rope]

  at::Tensor wkv_b =
      wkv_b_.materialize(kv.scalar_type()).view({n_heads_, nope_ + v_dim_, kv_rank_});
  at::Tensor w_k = wkv_b.narrow(1, 0, nope_);       // [h, nope, rank]
  at::Tensor w_v = wkv_b.narrow(1, nope_, v_dim_);  // [h, v, rank]

  // Absorb w_k into the query: [B, T, h, nope] x [h, nope, rank] -> [B, T, h, rank]
  at::Tensor q_abs = at::einsum("bshd,hdc->bshc", {q_nope, w_k});
  at::Tensor scores = (at::einsum("bshc,btc->bsht", {q_abs, kv_all}) +
                       at::einsum("bshr,btr->bsht", {q_pe, pe_all})) *
                      softmax_scale_;  // [B, T, h, S]
  scores = scores.to(at::kFloat);
  if (mask.defined()) scores = scores + mask.unsqueeze(1);  // [T, S] -> [T, 1, S]
  scores = scores.softmax(-1).to(kv.scalar_type());
  at::Tensor o = at::einsum("bsht,btc->bshc", {scores, kv_all});  // [B, T, h, rank]
  o = at::einsum("bshc,hdc->bshd", {o, w_v});                     // [B, T, h, v]
  return o.flatten(2);
}

}  // namespace mote
