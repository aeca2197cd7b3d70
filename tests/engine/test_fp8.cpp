// FP8 E4M3FN decode/encode and block (de)quantization, checked against formulas written here
// independently of engine/model/fp8.cpp.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/checkpoint/checkpoint_tools.h"
#include "engine/checkpoint/safetensors.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "engine/error.h"
#include "engine/model/config.h"
#include "engine/model/fp8.h"
#include "engine/model/weight_layout.h"

namespace {

// The E4M3FN value of a code straight from the definition, in double.
double reference_e4m3(int code) {
  const int s = (code >> 7) & 1, e = (code >> 3) & 15, m = code & 7;
  if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
  const double v = e == 0 ? (m / 8.0) * std::pow(2.0, -6) : (1.0 + m / 8.0) * std::pow(2.0, e - 7);
  return s ? -v : v;
}

// Nearest finite E4M3 code by exhaustive search, ties to the even code (the one whose mantissa
// LSB is 0), saturating at 448: the specification of float_to_e4m3.
uint8_t reference_encode(float x) {
  if (std::isnan(x)) return 0x7F;
  const bool negative = std::signbit(x);
  const double a = std::min(std::fabs(static_cast<double>(x)), 448.0);
  int best = 0;
  double best_err = std::numeric_limits<double>::infinity();
  for (int c = 0; c <= 0x7E; ++c) {
    const double err = std::fabs(reference_e4m3(c) - a);
    if (err < best_err || (err == best_err && (c & 1) == 0)) {
      best = c;
      best_err = err;
    }
  }
  return static_cast<uint8_t>(best | (negative ? 0x80 : 0));
}

at::Tensor naive_dequant(const at::Tensor& q, const at::Tensor& s, int64_t br, int64_t bc) {
  at::Tensor out = at::empty(q.sizes(), at::kFloat);
  auto qa = q.accessor<uint8_t, 2>();
  auto sa = s.accessor<float, 2>();
  auto oa = out.accessor<float, 2>();
  for (int64_t i = 0; i < q.size(0); ++i)
    for (int64_t j = 0; j < q.size(1); ++j)
      oa[i][j] = static_cast<float>(reference_e4m3(qa[i][j])) * sa[i / br][j / bc];
  return out;
}

at::Tensor random_codes(at::IntArrayRef shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  at::Tensor q = at::randint(0, 256, shape, gen, at::kLong).to(at::kByte);
  // Replace NaN codes so the comparisons below are plain equalities.
  return at::where((q == 0x7F) | (q == 0xFF), at::zeros_like(q), q);
}

}  // namespace

TEST_CASE("fp8: every code decodes to the E4M3FN value", "[fp8]") {
  for (int c = 0; c < 256; ++c) {
    const double expected = reference_e4m3(c);
    const float got = mote::e4m3_to_float(static_cast<uint8_t>(c));
    INFO("code " << c);
    if (std::isnan(expected)) {
      CHECK(std::isnan(got));
    } else {
      CHECK(static_cast<double>(got) == expected);
      CHECK(std::signbit(got) == ((c & 0x80) != 0));  // 0x80 is -0
    }
    CHECK((mote::e4m3_table()[c] == got || (std::isnan(got) && std::isnan(mote::e4m3_table()[c]))));
  }
  CHECK(std::isnan(mote::e4m3_to_float(0x7F)));
  CHECK(std::isnan(mote::e4m3_to_float(0xFF)));
  CHECK(mote::e4m3_to_float(0x7E) == 448.0f);
  CHECK(mote::e4m3_to_float(0xFE) == -448.0f);
  CHECK(mote::e4m3_to_float(0x01) == std::ldexp(1.0f, -9));         // smallest subnormal
  CHECK(mote::e4m3_to_float(0x07) == 7.0f * std::ldexp(1.0f, -9));  // largest subnormal
  CHECK(mote::e4m3_to_float(0x08) == std::ldexp(1.0f, -6));         // smallest normal
  CHECK(mote::e4m3_to_float(0x38) == 1.0f);
  CHECK(mote::e4m3_to_float(0x78) == 256.0f);  // E4M3FN has exponent 15 with finite values
}

TEST_CASE("fp8: every finite code round-trips through float", "[fp8]") {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7F) == 0x7F) continue;
    INFO("code " << c);
    CHECK(mote::float_to_e4m3(mote::e4m3_to_float(static_cast<uint8_t>(c))) == c);
  }
}

TEST_CASE("fp8: encoding rounds to nearest even and saturates", "[fp8]") {
  // Ties between neighbouring codes go to the even mantissa.
  CHECK(mote::float_to_e4m3(1.0625f) == 0x38);  // halfway 1.0 (m=0) .. 1.125 (m=1) -> 1.0
  CHECK(mote::float_to_e4m3(1.1875f) == 0x3A);  // halfway 1.125 (m=1) .. 1.25 (m=2) -> 1.25
  CHECK(mote::float_to_e4m3(-1.1875f) == 0xBA);
  CHECK(mote::float_to_e4m3(std::nextafter(1.0625f, 2.0f)) == 0x39);  // just above the tie
  CHECK(mote::float_to_e4m3(3.875f) == 0x48);  // 3.75 (m=7) .. 4.0 tie -> 4.0 (carry)
  // Subnormal ties: 0.5 * 2^-9 -> 0, 1.5 * 2^-9 -> 2 * 2^-9, 7.5 * 2^-9 -> 2^-6 (first normal).
  CHECK(mote::float_to_e4m3(std::ldexp(0.5f, -9)) == 0x00);
  CHECK(mote::float_to_e4m3(std::ldexp(1.5f, -9)) == 0x02);
  CHECK(mote::float_to_e4m3(std::ldexp(2.5f, -9)) == 0x02);
  CHECK(mote::float_to_e4m3(std::ldexp(7.5f, -9)) == 0x08);
  CHECK(mote::float_to_e4m3(std::ldexp(0.51f, -9)) == 0x01);
  CHECK(mote::float_to_e4m3(1e-30f) == 0x00);
  CHECK(mote::float_to_e4m3(-1e-30f) == 0x80);
  // Saturation instead of NaN; NaN stays NaN.
  CHECK(mote::float_to_e4m3(448.0f) == 0x7E);
  CHECK(mote::float_to_e4m3(460.0f) == 0x7E);
  CHECK(mote::float_to_e4m3(1e6f) == 0x7E);
  CHECK(mote::float_to_e4m3(-1e6f) == 0xFE);
  CHECK(mote::float_to_e4m3(std::numeric_limits<float>::infinity()) == 0x7E);
  CHECK(mote::float_to_e4m3(-std::numeric_limits<float>::infinity()) == 0xFE);
  CHECK(mote::float_to_e4m3(std::numeric_limits<float>::quiet_NaN()) == 0x7F);
}

TEST_CASE("fp8: encoding matches an exhaustive nearest search", "[fp8]") {
  // All midpoints between neighbouring codes, their float neighbours, and a random sweep.
  std::vector<float> xs;
  for (int c = 0; c < 0x7E; ++c) {
    const float lo = static_cast<float>(reference_e4m3(c)),
                hi = static_cast<float>(reference_e4m3(c + 1));
    const float mid = (lo + hi) / 2;
    xs.insert(xs.end(), {lo, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1000.0f)});
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  at::Tensor r = at::randn({20000}, gen) * at::exp(at::randn({20000}, gen) * 4);
  for (int64_t i = 0; i < r.numel(); ++i) xs.push_back(r[i].item<float>());
  int mismatches = 0;
  for (float x : xs) {
    for (float v : {x, -x}) {
      if (mote::float_to_e4m3(v) != reference_encode(v)) {
        if (++mismatches < 10) FAIL_CHECK("value " << v);
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("fp8: block dequantization with edge blocks matches a naive loop", "[fp8]") {
  const at::Tensor q = random_codes({300, 200}, 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  const at::Tensor scale = at::rand({3, 2}, gen) + 0.01;
  CHECK(mote::fp8_scale_shape(300, 200, 128, 128) == std::vector<int64_t>{3, 2});
  const at::Tensor expected = naive_dequant(q, scale, 128, 128);

  const at::Tensor f32 = mote::dequantize_fp8_blocks(q, scale, 128, 128, at::kFloat);
  CHECK(f32.scalar_type() == at::kFloat);
  CHECK(f32.sizes() == q.sizes());
  CHECK(at::equal(f32, expected));
  // bf16 output is the float product rounded once.
  const at::Tensor bf16 = mote::dequantize_fp8_blocks(q, scale, 128, 128, at::kBFloat16);
  CHECK(bf16.scalar_type() == at::kBFloat16);
  CHECK(at::equal(bf16, expected.to(at::kBFloat16)));
  const at::Tensor f64 = mote::dequantize_fp8_blocks(q, scale, 128, 128, at::kDouble);
  CHECK(at::equal(f64, expected.to(at::kDouble)));

  // Non-square blocks and a non-contiguous input.
  const at::Tensor qt = random_codes({70, 50}, 3).t();  // [50, 70]
  const at::Tensor s2 = at::rand({4, 3}, gen);
  CHECK(at::equal(mote::dequantize_fp8_blocks(qt, s2, 16, 32, at::kFloat),
                  naive_dequant(qt.contiguous(), s2, 16, 32)));
}

TEST_CASE("fp8: dequantization rejects mismatched scales", "[fp8]") {
  const at::Tensor q = at::zeros({300, 200}, at::kByte);
  CHECK_THROWS_AS(mote::dequantize_fp8_blocks(q, at::ones({2, 2}), 128, 128, at::kFloat),
                  mote::CheckpointError);
  CHECK_THROWS_AS(
      mote::dequantize_fp8_blocks(q.to(at::kFloat), at::ones({3, 2}), 128, 128, at::kFloat),
      mote::CheckpointError);
  CHECK_THROWS_AS(mote::dequantize_fp8_blocks(q, at::ones({3, 2}, at::kInt), 128, 128, at::kFloat),
                  mote::CheckpointError);
}

TEST_CASE("fp8: quantize then dequantize stays within half an E4M3 step", "[fp8]") {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  // Blocks of very different magnitudes, an all-zero block, and edge blocks.
  at::Tensor w = at::randn({300, 200}, gen);
  w.slice(0, 0, 128).slice(1, 0, 128).mul_(1e-3);
  w.slice(0, 128, 256).slice(1, 128, 200).zero_();
  w.slice(0, 256, 300).mul_(50);
  auto [q, scale] = mote::quantize_fp8_blocks(w, 128, 128);
  REQUIRE(q.scalar_type() == at::kByte);
  REQUIRE(scale.scalar_type() == at::kFloat);
  REQUIRE(scale.sizes() == at::IntArrayRef({3, 2}));
  CHECK(scale[1][1].item<float>() == 1.0f);  // all-zero block
  // Every block's amax maps to exactly 448.
  CHECK(at::equal(scale[0][0], w.slice(0, 0, 128).slice(1, 0, 128).abs().max() / 448));

  const at::Tensor d = mote::dequantize_fp8_blocks(q, scale, 128, 128, at::kFloat);
  // Relative spacing of E4M3 normals is 2^-3, so the rounding error is at most 2^-4 relative;
  // values in the subnormal range err by at most 2^-10 * scale.
  const at::Tensor s_full =
      scale.repeat_interleave(128, 0).repeat_interleave(128, 1).slice(0, 0, 300).slice(1, 0, 200);
  const at::Tensor bound =
      at::maximum(w.abs() * (1.0 / 16), s_full * std::ldexp(1.0, -10)) * 1.0001;
  CHECK(((d - w).abs() <= bound).all().item<bool>());
  // Quantizing a dequantized weight again is exact.
  auto [q2, scale2] = mote::quantize_fp8_blocks(d, 128, 128);
  CHECK(at::equal(mote::dequantize_fp8_blocks(q2, scale2, 128, 128, at::kFloat), d));
  CHECK_THROWS_AS(mote::quantize_fp8_blocks(at::full({4, 4}, NAN), 128, 128), mote::Error);
}

TEST_CASE("fp8: the torch-ops path equals the CPU loop", "[fp8]") {
  // The device-agnostic path is what runs on GPUs; run it on CPU through a dtype the loop does
  // not take (double) and compare with the loop's float result.
  const at::Tensor q = random_codes({257, 129}, 5);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(6);
  const at::Tensor scale = at::rand({3, 2}, gen);
  const at::Tensor loop = mote::dequantize_fp8_blocks(q, scale, 128, 128, at::kFloat);
  const at::Tensor ops = mote::dequantize_fp8_blocks(q, scale, 128, 128, at::kDouble);
  CHECK(at::equal(ops.to(at::kFloat), loop));
}

TEST_CASE("fp8: quantize_checkpoint_fp8 of v3-tiny", "[fp8][checkpoint]") {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "mote-fp8-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path tmp = tmpl;
  const fs::path src = fs::path(MOTE_TEST_DATA_DIR) / "v3-tiny";
  mote::quantize_checkpoint_fp8(src, tmp / "fp8", tmp / "deq");

  // config.json: R1's quantization block added, nothing else changed.
  std::ifstream in_src(src / "config.json"), in_fp8(tmp / "fp8" / "config.json"),
      in_deq(tmp / "deq" / "config.json");
  nlohmann::json src_cfg = nlohmann::json::parse(in_src), fp8_cfg = nlohmann::json::parse(in_fp8),
                 deq_cfg = nlohmann::json::parse(in_deq);
  CHECK(fp8_cfg["quantization_config"] ==
        nlohmann::json::parse(R"({"activation_scheme": "dynamic", "fmt": "e4m3",
                                  "quant_method": "fp8", "weight_block_size": [128, 128]})"));
  fp8_cfg.erase("quantization_config");
  CHECK(fp8_cfg == src_cfg);
  CHECK(deq_cfg == src_cfg);
  CHECK(mote::ModelConfig::from_file(tmp / "fp8" / "config.json").fp8);
  CHECK(fs::exists(tmp / "fp8" / "generation_config.json"));
  CHECK(fs::exists(tmp / "deq" / "generation_config.json"));

  const auto config = mote::ModelConfig::from_file(src / "config.json");
  const auto source = mote::Checkpoint::open(src);
  const auto fp8 = mote::Checkpoint::open(tmp / "fp8");
  const auto deq = mote::Checkpoint::open(tmp / "deq");
  std::set<std::string> linear;
  for (const auto& w : mote::weight_layout(config)) {
    INFO(w.name);
    if (w.kind != mote::WeightKind::Linear) {
      // Unchanged in both copies: same dtype, same bytes.
      CHECK(fp8->entry(w.name).dtype == source->entry(w.name).dtype);
      CHECK(at::equal(fp8->tensor(w.name), source->tensor(w.name)));
      CHECK(at::equal(deq->tensor(w.name), source->tensor(w.name)));
      continue;
    }
    linear.insert(w.name);
    const std::vector<int64_t> scale_shape =
        mote::fp8_scale_shape(w.shape[0], w.shape[1], 128, 128);
    const at::Tensor q = fp8->tensor(w.name, w.shape, {mote::DType::F8_E4M3});
    const at::Tensor s = fp8->tensor(mote::scale_inv_name(w.name), scale_shape, {mote::DType::F32});
    const at::Tensor d = deq->tensor(w.name, w.shape, {mote::DType::F32});
    CHECK(!deq->contains(mote::scale_inv_name(w.name)));
    CHECK(at::equal(d, mote::dequantize_fp8_blocks(q, s, 128, 128, at::kFloat)));
    // Within E4M3's rounding of the BF16 source.
    const at::Tensor w0 = source->tensor(w.name).to(at::kFloat);
    const double amax = w0.abs().max().item<double>();
    CHECK(((d - w0).abs() <= w0.abs() / 16 + amax / 448 / 1024 + 1e-12).all().item<bool>());
  }
  CHECK(linear.count("model.layers.0.self_attn.q_a_proj.weight"));
  CHECK(linear.count("model.layers.3.mlp.experts.15.down_proj.weight"));
  // R1's release quantizes the MTP layer's projections too; its other tensors pass through.
  CHECK(fp8->entry("model.layers.4.self_attn.q_a_proj.weight").dtype == mote::DType::F8_E4M3);
  CHECK(fp8->contains("model.layers.4.self_attn.q_a_proj.weight_scale_inv"));
  CHECK(deq->entry("model.layers.4.self_attn.q_a_proj.weight").dtype == mote::DType::F32);
  // Every source tensor is in both copies; the FP8 copy adds exactly one scale per FP8 weight.
  size_t fp8_weights = 0;
  for (const auto& name : fp8->names())
    if (fp8->entry(name).dtype == mote::DType::F8_E4M3) ++fp8_weights;
  CHECK(fp8->names().size() == source->names().size() + fp8_weights);
  CHECK(deq->names().size() == source->names().size());

  // An FP8 checkpoint is not quantized twice.
  CHECK_THROWS_AS(mote::quantize_checkpoint_fp8(tmp / "fp8", tmp / "fp8b", tmp / "deqb"),
                  mote::ConfigError);
  CHECK_THROWS_AS(mote::quantize_checkpoint_fp8(src, src, tmp / "deqc"), mote::Error);
  CHECK_THROWS_AS(mote::quantize_checkpoint_fp8(src, tmp / "same", tmp / "same/"), mote::Error);
  // A source missing a tensor the layout needs fails naming it, before writing anything.
  fs::create_directories(tmp / "partial");
  mote::write_safetensors(
      tmp / "partial" / "model.safetensors",
      {{"model.embed_tokens.weight", source->tensor("model.embed_tokens.weight"), {}}});
  fs::copy_file(src / "config.json", tmp / "partial" / "config.json");
  try {
    mote::quantize_checkpoint_fp8(tmp / "partial", tmp / "fp8p", tmp / "deqp");
    FAIL("no exception");
  } catch (const mote::CheckpointError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Matchers::Contains("model.layers.0."));
  }
  CHECK(!fs::exists(tmp / "fp8p" / "model.safetensors"));
  fs::remove_all(tmp);
}

// Not run by default ([.]): `mote_engine_tests "[.fp8bench]"` prints dequantization throughput.
TEST_CASE("fp8: dequantization throughput", "[.fp8bench]") {
  const at::Tensor q = random_codes({7168, 2048}, 9);
  const at::Tensor scale = at::rand({56, 16});
  for (auto dtype : {at::kFloat, at::kBFloat16}) {
    mote::dequantize_fp8_blocks(q, scale, 128, 128, dtype);  // warm up
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) mote::dequantize_fp8_blocks(q, scale, 128, 128, dtype);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 5;
    WARN(c10::toString(dtype) << ": " << q.numel() / s / 1e9 << " G elements/s");
  }
  // For scale: a plain torch conversion of the same bytes on the same (possibly busy) machine.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) (void)q.to(at::kFloat).mul_(2.0f);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 5;
  WARN("torch q.to(float).mul_: " << q.numel() / s / 1e9 << " G elements/s");
}
