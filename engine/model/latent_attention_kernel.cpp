#include "engine/model/latent_attention_kernel.h"

#include <immintrin.h>

#include <cmath>
#include <limits>

#include <ATen/Parallel.h>

#include "engine/model/cpu_features.h"

namespace mote {
namespace {

__attribute__((target("avx2,fma"))) float dot(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  __m256 v = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  float r = _mm_cvtss_f32(s);
  for (; i < n; ++i) r += a[i] * b[i];
  return r;
}

// out[0..n) += p * x[0..n)
__attribute__((target("avx2,fma"))) void axpy(float p, const float* x, float* out, int64_t n) {
  const __m256 vp = _mm256_set1_ps(p);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i,
                     _mm256_fmadd_ps(vp, _mm256_loadu_ps(x + i), _mm256_loadu_ps(out + i)));
  for (; i < n; ++i) out[i] += p * x[i];
}

}  // namespace

bool latent_attention_applicable(const at::Tensor& q_abs, const std::vector<AttentionSpan>& spans) {
  if (!cpu_has_avx2_fma() || !q_abs.device().is_cpu() || q_abs.scalar_type() != at::kFloat)
    return false;
  for (const AttentionSpan& s : spans)
    if (!s.cache || !s.cache->kv.defined() || s.cache->kv.scalar_type() != at::kFloat ||
        !s.cache->kv.is_contiguous() || !s.cache->pe.is_contiguous() || s.cache->kv.size(0) != 1)
      return false;
  return true;
}

at::Tensor latent_attention(const at::Tensor& q_abs, const at::Tensor& q_pe,
                            const std::vector<AttentionSpan>& spans, float scale) {
  const int64_t N = q_abs.size(0), H = q_abs.size(1), rank = q_abs.size(2), rope = q_pe.size(2);
  at::Tensor out = at::zeros({N, H, rank}, q_abs.options());
  // Row r of the packed batch: its span and the last position it may see.
  std::vector<const AttentionSpan*> span_of(static_cast<size_t>(N));
  std::vector<int64_t> last(static_cast<size_t>(N));
  for (const AttentionSpan& s : spans)
    for (int64_t t = 0; t < s.length; ++t) {
      span_of[static_cast<size_t>(s.offset + t)] = &s;
      last[static_cast<size_t>(s.offset + t)] = s.start_pos + t;
    }
  const float* qa = q_abs.data_ptr<float>();
  const float* qp = q_pe.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, N * H, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t r = item / H, h = item % H;
      const AttentionSpan& s = *span_of[static_cast<size_t>(r)];
      const int64_t S = last[static_cast<size_t>(r)] + 1;
      const float* kv = s.cache->kv.data_ptr<float>();  // [1, capacity, rank]
      const float* pe = s.cache->pe.data_ptr<float>();  // [1, capacity, rope]
      const float* q1 = qa + (r * H + h) * rank;
      const float* q2 = qp + (r * H + h) * rope;
      scores.resize(static_cast<size_t>(S));
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < S; ++j) {
        const float v = (dot(q1, kv + j * rank, rank) + dot(q2, pe + j * rope, rope)) * scale;
        scores[static_cast<size_t>(j)] = v;
        m = std::max(m, v);
      }
      float sum = 0;
      for (int64_t j = 0; j < S; ++j) {
        const float e = std::exp(scores[static_cast<size_t>(j)] - m);
        scores[static_cast<size_t>(j)] = e;
        sum += e;
      }
      float* y = o + (r * H + h) * rank;
      for (int64_t j = 0; j < S; ++j)
        axpy(scores[static_cast<size_t>(j)] / sum, kv + j * rank, y, rank);
    }
  });
  return out;
}

}  // namespace mote
