#include "engine/model/gemv.h"

#include <immintrin.h>

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include "engine/model/cpu_features.h"

namespace mote {
namespace {

// Weights are requested this far ahead of the loads: the hardware prefetcher alone leaves the
// kernels at ~0.6 of the read bandwidth on this VM (bench --layers 1 --threads 1: bandwidth_ratio
// 0.62 without, 0.74 with 2 KB ahead).
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

// GCC 12's AVX-512 intrinsics pass an "undefined" vector as the unused merge source, which
// -Wmaybe-uninitialized reports inside the intrinsic headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The bf16 kernel on AVX-512 CPUs: 32 weights per step (two 16-wide halves), the same per-row
// summation order for every N, so a row's result does not depend on the rows beside it.
__attribute__((target("avx512f,avx512bw"))) inline __m512 bf16x16_to_f32(const uint16_t* p) {
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

template <int N>
__attribute__((target("avx512f,avx512bw"))) void gemv_rows_bf16_avx512(const float* x,
                                                                       const uint16_t* w, float* y,
                                                                       int64_t in, int64_t out,
                                                                       int64_t row_begin,
                                                                       int64_t row_end) {
  // Two weight rows per pass: two read streams in flight, and each x vector loaded once for both.
  constexpr int R = 2;
  int64_t r = row_begin;
  for (; r + R <= row_end; r += R) {
    const uint16_t* wr[R] = {w + r * in, w + (r + 1) * in};
    __m512 acc[R][N][2];
    for (int q = 0; q < R; ++q)
      for (int n = 0; n < N; ++n) acc[q][n][0] = acc[q][n][1] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= in; i += 32) {
      __m512 wv[R][2];
      for (int q = 0; q < R; ++q) {
        _mm_prefetch(reinterpret_cast<const char*>(wr[q] + i) + kPrefetchBytes, _MM_HINT_T0);
        wv[q][0] = bf16x16_to_f32(wr[q] + i);
        wv[q][1] = bf16x16_to_f32(wr[q] + i + 16);
      }
      for (int n = 0; n < N; ++n) {
        const __m512 x0 = _mm512_loadu_ps(x + n * in + i),
                     x1 = _mm512_loadu_ps(x + n * in + i + 16);
        for (int q = 0; q < R; ++q) {
          acc[q][n][0] = _mm512_fmadd_ps(wv[q][0], x0, acc[q][n][0]);
          acc[q][n][1] = _mm512_fmadd_ps(wv[q][1], x1, acc[q][n][1]);
        }
      }
    }
    for (int q = 0; q < R; ++q)
      for (int n = 0; n < N; ++n) {
        float s = _mm512_reduce_add_ps(_mm512_add_ps(acc[q][n][0], acc[q][n][1]));
        for (int64_t j = i; j < in; ++j) s += Bf16Row::load1(wr[q] + j) * x[n * in + j];
        y[n * out + r + q] = s;
      }
  }
  for (; r < row_end; ++r) {
    const uint16_t* wr = w + r * in;
    __m512 acc[N][2];
    for (int n = 0; n < N; ++n) acc[n][0] = acc[n][1] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= in; i += 32) {
      _mm_prefetch(reinterpret_cast<const char*>(wr + i) + kPrefetchBytes, _MM_HINT_T0);
      const __m512 w0 = bf16x16_to_f32(wr + i), w1 = bf16x16_to_f32(wr + i + 16);
      for (int n = 0; n < N; ++n) {
        acc[n][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + n * in + i), acc[n][0]);
        acc[n][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + n * in + i + 16), acc[n][1]);
      }
    }
    for (int n = 0; n < N; ++n) {
      float s = _mm512_reduce_add_ps(_mm512_add_ps(acc[n][0], acc[n][1]));
      for (int64_t j = i; j < in; ++j) s += Bf16Row::load1(wr + j) * x[n * in + j];
      y[n * out + r] = s;
    }
  }
}

#pragma GCC diagnostic pop

// Rows [row_begin, row_end) of y = x @ w^T for one row count N of x.
template <typename T>
using RowsKernel = void (*)(const float* x, const T* w, float* y, int64_t in, int64_t out,
                            int64_t row_begin, int64_t row_end);

template <typename Row>
RowsKernel<typename Row::T> avx2_kernel(int64_t N) {
  static constexpr RowsKernel<typename Row::T> kernels[kGemvMaxRows] = {
      gemv_rows<Row, 1>, gemv_rows<Row, 2>, gemv_rows<Row, 3>, gemv_rows<Row, 4>,
      gemv_rows<Row, 5>, gemv_rows<Row, 6>, gemv_rows<Row, 7>, gemv_rows<Row, 8>};
  return kernels[N - 1];
}

RowsKernel<uint16_t> bf16_avx512_kernel(int64_t N) {
  static constexpr RowsKernel<uint16_t> kernels[kGemvMaxRows] = {
      gemv_rows_bf16_avx512<1>, gemv_rows_bf16_avx512<2>, gemv_rows_bf16_avx512<3>,
      gemv_rows_bf16_avx512<4>, gemv_rows_bf16_avx512<5>, gemv_rows_bf16_avx512<6>,
      gemv_rows_bf16_avx512<7>, gemv_rows_bf16_avx512<8>};
  return kernels[N - 1];
}

template <typename T>
void gemv_dispatch(RowsKernel<T> kernel, const float* x, const T* w, float* y, int64_t in,
                   int64_t out) {
  // ~64 KB of weights per task keeps both cores streaming without scheduling overhead.
  const int64_t grain = std::max<int64_t>(1, (64 << 10) / (in * static_cast<int64_t>(sizeof(T))));
  at::parallel_for(0, out, grain, [&](int64_t b, int64_t e) { kernel(x, w, y, in, out, b, e); });
}

}  // namespace

bool gemv_applicable(const at::Tensor& x, const at::Tensor& w) {
  // The kernel writes raw memory: autograd could not see through it.
  if (at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad())) return false;
  return cpu_has_avx2_fma() && x.device().is_cpu() && w.device().is_cpu() && x.dim() == 2 &&
         w.dim() == 2 && x.size(0) >= 1 && x.size(0) <= kGemvMaxRows && x.size(1) == w.size(1) &&
         w.is_contiguous() && (w.scalar_type() == at::kBFloat16 || w.scalar_type() == at::kFloat) &&
         (x.scalar_type() == at::kBFloat16 || x.scalar_type() == at::kFloat);
}

at::Tensor gemv(const at::Tensor& x, const at::Tensor& w) {
  const int64_t N = x.size(0), in = w.size(1), out = w.size(0);
  at::Tensor xf = x.to(at::kFloat).contiguous();
  at::Tensor y = at::empty({N, out}, x.options().dtype(at::kFloat));
  if (w.scalar_type() == at::kBFloat16) {
    gemv_dispatch(cpu_has_avx512() ? bf16_avx512_kernel(N) : avx2_kernel<Bf16Row>(N),
                  xf.data_ptr<float>(), reinterpret_cast<const uint16_t*>(w.data_ptr()),
                  y.data_ptr<float>(), in, out);
  } else {
    // fp32 weights keep the AVX2 kernel everywhere: fp32 results stay the same on every CPU.
    gemv_dispatch(avx2_kernel<F32Row>(N), xf.data_ptr<float>(), w.data_ptr<float>(),
                  y.data_ptr<float>(), in, out);
  }
  return y.to(x.scalar_type());
}

}  // namespace mote
