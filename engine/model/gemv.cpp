#include "engine/model/gemv.h"

#include <immintrin.h>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include "engine/model/cpu_features.h"

namespace mote {
namespace {

// Weights are requested this far ahead of the loads: the hardware prefetcher alone left decode at
// ~0.6 of the read bandwidth on this VM (bench --layers 1 --threads 1, bandwidth_ratio: 0.57-0.60
// without, 0.72-0.74 with 2 KB ahead). Prefetching changes no arithmetic.
constexpr int64_t kPrefetchBytes = 2048;

// Weight element loaders: 8 consecutive weights widened to fp32.
struct Bf16Row {
  using T = uint16_t;
  __attribute__((target("avx2,fma"))) static __m256 load8(const T* p) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float load1(const T* p) {
    uint32_t bits = static_cast<uint32_t>(*p) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
};

struct F32Row {
  using T = float;
  __attribute__((target("avx2,fma"))) static __m256 load8(const T* p) { return _mm256_loadu_ps(p); }
  static float load1(const T* p) { return *p; }
};

__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_hadd_ps(s, s);
  s = _mm_hadd_ps(s, s);
  return _mm_cvtss_f32(s);
}

// x: [N, in] fp32 contiguous; w: [out, in]; y: [N, out] fp32. Rows [row_begin, row_end).
template <typename Row, int N>
__attribute__((target("avx2,fma"))) void gemv_rows(const float* x, const typename Row::T* w,
                                                   float* y, int64_t in, int64_t out,
                                                   int64_t row_begin, int64_t row_end) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const typename Row::T* wr = w + r * in;
    __m256 acc[N][2];
    for (int n = 0; n < N; ++n) acc[n][0] = acc[n][1] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= in; i += 16) {
      _mm_prefetch(reinterpret_cast<const char*>(wr + i) + kPrefetchBytes, _MM_HINT_T0);
      __m256 w0 = Row::load8(wr + i), w1 = Row::load8(wr + i + 8);
      for (int n = 0; n < N; ++n) {
        acc[n][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + n * in + i), acc[n][0]);
        acc[n][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + n * in + i + 8), acc[n][1]);
      }
    }
    for (int n = 0; n < N; ++n) {
      float s = hsum(_mm256_add_ps(acc[n][0], acc[n][1]));
      for (int64_t j = i; j < in; ++j) s += Row::load1(wr + j) * x[n * in + j];
      y[n * out + r] = s;
    }
  }
}

template <typename Row>
void gemv_block(int n, const float* x, const typename Row::T* w, float* y, int64_t in, int64_t out,
                int64_t b, int64_t e) {
  switch (n) {
    case 1:
      return gemv_rows<Row, 1>(x, w, y, in, out, b, e);
    case 2:
      return gemv_rows<Row, 2>(x, w, y, in, out, b, e);
    case 3:
      return gemv_rows<Row, 3>(x, w, y, in, out, b, e);
    case 4:
      return gemv_rows<Row, 4>(x, w, y, in, out, b, e);
    case 5:
      return gemv_rows<Row, 5>(x, w, y, in, out, b, e);
    case 6:
      return gemv_rows<Row, 6>(x, w, y, in, out, b, e);
    case 7:
      return gemv_rows<Row, 7>(x, w, y, in, out, b, e);
    default:
      return gemv_rows<Row, 8>(x, w, y, in, out, b, e);
  }
}

template <typename Row>
void gemv_dispatch(int64_t N, const float* x, const typename Row::T* w, float* y, int64_t in,
                   int64_t out) {
  // ~64 KB of weights per task keeps both cores streaming without scheduling overhead; a task
  // takes the rows of x kGemvMaxRows at a time over its weight slice (still in L2 for the next).
  const int64_t grain =
      std::max<int64_t>(1, (64 << 10) / (in * static_cast<int64_t>(sizeof(typename Row::T))));
  at::parallel_for(0, out, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = 0; r < N; r += kGemvMaxRows) {
      const int n = static_cast<int>(std::min<int64_t>(kGemvMaxRows, N - r));
      gemv_block<Row>(n, x + r * in, w, y + r * out, in, out, b, e);
    }
  });
}

template <typename Row>
void gemv_serial_rows(int64_t N, const float* x, const typename Row::T* w, float* y, int64_t in,
                      int64_t out) {
  for (int64_t r = 0; r < N; r += kGemvMaxRows) {
    const int n = static_cast<int>(std::min<int64_t>(kGemvMaxRows, N - r));
    gemv_block<Row>(n, x + r * in, w, y + r * out, in, out, 0, out);
  }
}

}  // namespace

void gemv_serial(const float* x, int64_t N, const at::Tensor& w, float* y) {
  const int64_t in = w.size(1), out = w.size(0);
  if (w.scalar_type() == at::kBFloat16)
    gemv_serial_rows<Bf16Row>(N, x, reinterpret_cast<const uint16_t*>(w.data_ptr()), y, in, out);
  else
    gemv_serial_rows<F32Row>(N, x, w.data_ptr<float>(), y, in, out);
}

bool gemv_applicable(const at::Tensor& x, const at::Tensor& w) {
  // The kernel writes raw memory: autograd could not see through it.
  if (at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad())) return false;
  return cpu_has_avx2_fma() && x.device().is_cpu() && w.device().is_cpu() && x.dim() == 2 &&
         w.dim() == 2 && x.size(0) >= 1 && x.size(1) == w.size(1) && w.is_contiguous() &&
         (w.scalar_type() == at::kBFloat16 || w.scalar_type() == at::kFloat) &&
         (x.scalar_type() == at::kBFloat16 || x.scalar_type() == at::kFloat);
}

at::Tensor gemv(const at::Tensor& x, const at::Tensor& w) {
  const int64_t N = x.size(0), in = w.size(1), out = w.size(0);
  at::Tensor xf = x.to(at::kFloat).contiguous();
  at::Tensor y = at::empty({N, out}, x.options().dtype(at::kFloat));
  if (w.scalar_type() == at::kBFloat16)
    gemv_dispatch<Bf16Row>(N, xf.data_ptr<float>(), reinterpret_cast<const uint16_t*>(w.data_ptr()),
                           y.data_ptr<float>(), in, out);
  else
    gemv_dispatch<F32Row>(N, xf.data_ptr<float>(), w.data_ptr<float>(), y.data_ptr<float>(), in,
                          out);
  return y.to(x.scalar_type());
}

}  // namespace mote
