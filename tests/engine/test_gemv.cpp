// The GEMV kernel behind decode: it matches libtorch's GEMM, and an output row never depends on
// the other rows of x (the kernel's summation order is per row), whatever the number of rows and
// the weight's dtype.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include "engine/model/cpu_features.h"
#include "engine/model/gemv.h"

using namespace mote;

namespace {

// [rows, in] x and [out, in] w, with `in` not a multiple of any vector width (tails run too).
std::pair<at::Tensor, at::Tensor> operands(int64_t rows, at::ScalarType w_dtype) {
  at::manual_seed(7);
  const int64_t in = 2 * 32 * 3 + 13, out = 67;
  return {at::randn({rows, in}), at::randn({out, in}).to(w_dtype)};
}

}  // namespace

TEST_CASE("gemv takes any number of rows of a contiguous weight", "[gemv]") {
  if (!cpu_has_avx2_fma()) {
    WARN("no AVX2 + FMA: gemv is not used on this CPU");
    return;
  }
  auto [x, w] = operands(3 * kGemvMaxRows + 5, at::kFloat);
  CHECK(gemv_applicable(x, w));
  CHECK(gemv_applicable(x.narrow(0, 0, kGemvMaxRows), w));
  CHECK_FALSE(gemv_applicable(x, w.t()));               // not contiguous
  CHECK_FALSE(gemv_applicable(x.narrow(1, 0, 10), w));  // shapes disagree
}

TEST_CASE("gemv matches libtorch's GEMM for fp32 and bf16 weights", "[gemv]") {
  if (!cpu_has_avx2_fma()) {
    WARN("no AVX2 + FMA: gemv is not used on this CPU");
    return;
  }
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    for (int64_t rows : {int64_t{1}, int64_t{2}, int64_t{5}, kGemvMaxRows, kGemvMaxRows + 1,
                         3 * kGemvMaxRows + 5}) {
      auto [x, w] = operands(rows, dtype);
      REQUIRE(gemv_applicable(x, w));
      const at::Tensor expected = at::linear(x, w.to(at::kFloat));
      const at::Tensor got = gemv(x, w);
      CHECK(got.sizes() == expected.sizes());
      CHECK(at::allclose(got, expected, 1e-4, 1e-4));
    }
  }
}

TEST_CASE("a row's gemv result is bit for bit the same alone or among other rows", "[gemv]") {
  if (!cpu_has_avx2_fma()) {
    WARN("no AVX2 + FMA: gemv is not used on this CPU");
    return;
  }
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    // More rows than one pass takes: rows are split kGemvMaxRows at a time, so a row's place in
    // the batch changes which pass and which position in the pass computes it.
    const int64_t rows = 3 * kGemvMaxRows + 5;
    auto [x, w] = operands(rows, dtype);
    const at::Tensor all = gemv(x, w);
    for (int64_t n = 0; n < rows; ++n) {
      const at::Tensor alone = gemv(x.narrow(0, n, 1), w);
      CHECK(at::equal(alone, all.narrow(0, n, 1)));
    }
    const at::Tensor middle = gemv(x.narrow(0, 3, 11), w);
    CHECK(at::equal(middle, all.narrow(0, 3, 11)));
  }
}
