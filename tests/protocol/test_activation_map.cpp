#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "protocol/activation_map.h"
#include "protocol/error.h"
#include "protocol/npy.h"
#include "protocol/tuning_spec.h"

using namespace mote;

namespace {
ModelGeometry tiny_geometry() {
  return ModelGeometry{{1, 2}, 4, 2};
}

// 3 tokens (2 prompt, 1 completion), 2 MoE layers, k = 2.
RoutingRecord tiny_record() {
  RoutingRecord r;
  r.n_tokens = 3;
  r.n_moe_layers = 2;
  r.top_k = 2;
  r.ids = {0, 1, 2, 3,   // token 0: layer0 {0,1}, layer1 {2,3}
           0, 2, 2, 1,   // token 1
           3, 0, 0, 1};  // token 2 (completion)
  r.weights = {0.6f, 0.4f, 0.5f, 0.5f, 0.7f, 0.3f, 0.9f, 0.1f, 0.2f, 0.8f, 1.0f, 0.0f};
  r.is_prompt = {1, 1, 0};
  return r;
}
}  // namespace

TEST_CASE("activation maps count prompt, completion and weighted selections", "[activation]") {
  const auto g = tiny_geometry();
  const auto r = tiny_record();
  auto prompt = activation_map_from_routing(r, g, TokenSelection::kPrompt, false);
  REQUIRE(prompt.values == std::vector<float>{2, 1, 1, 0, 0, 1, 2, 1});
  auto completion = activation_map_from_routing(r, g, TokenSelection::kCompletion, false);
  REQUIRE(completion.values == std::vector<float>{1, 0, 0, 1, 1, 1, 0, 0});
  auto all = activation_map_from_routing(r, g, TokenSelection::kAll, false);
  REQUIRE(all.values == std::vector<float>{3, 1, 1, 1, 1, 2, 2, 1});
  auto weighted = activation_map_from_routing(r, g, TokenSelection::kPrompt, true);
  REQUIRE(weighted.at(0, 0) == Approx(1.3f));
  REQUIRE(weighted.at(1, 2) == Approx(1.4f));
  REQUIRE(weighted.at(1, 1) == Approx(0.1f));

  auto bad = r;
  bad.ids[5] = 4;
  REQUIRE_THROWS_WITH(activation_map_from_routing(bad, g, TokenSelection::kAll, false),
                      Catch::Contains("out of range at token 1"));
  bad = r;
  bad.weights.clear();
  REQUIRE_THROWS_WITH(activation_map_from_routing(bad, g, TokenSelection::kAll, true),
                      Catch::Contains("weights"));
  bad = r;
  bad.is_prompt.pop_back();
  REQUIRE_THROWS_AS(activation_map_from_routing(bad, g, TokenSelection::kAll, false),
                    ActivationMapError);
}

TEST_CASE("activation map BLOB encodings round-trip", "[activation]") {
  const auto g = ModelGeometry::deepseek_r1();
  ActivationMap counts = ActivationMap::zeros(g);
  counts.at(0, 5) = 3;
  counts.at(57, 255) = 70000;  // larger than uint16
  counts.at(20, 0) = 1;
  const auto blob = encode_activation_map(counts);
  REQUIRE(blob.size() < 40);
  REQUIRE(decode_activation_map(blob) == counts);

  ActivationMap weighted = counts;
  weighted.at(0, 5) = 0.25f;
  REQUIRE(decode_activation_map(encode_activation_map(weighted)) == weighted);

  ActivationMap dense(3, 4);
  for (std::size_t i = 0; i < dense.size(); ++i) dense.values[i] = 0.5f + static_cast<float>(i);
  const auto dense_blob = encode_activation_map(dense);
  REQUIRE(dense_blob.size() == 13 + 12 * 4);
  REQUIRE(decode_activation_map(dense_blob) == dense);

  REQUIRE_THROWS_WITH(decode_activation_map("garbage"), Catch::Contains("bad magic"));
  REQUIRE_THROWS_WITH(decode_activation_map(blob.substr(0, blob.size() - 1)),
                      Catch::Contains("truncated"));
  auto corrupt = blob;
  corrupt[4] = 9;
  REQUIRE_THROWS_WITH(decode_activation_map(corrupt), Catch::Contains("unknown encoding"));
  corrupt = blob;
  corrupt[8] = '\x7f';  // rows' high byte: a huge shape must be refused before allocating
  REQUIRE_THROWS_WITH(decode_activation_map(corrupt), Catch::Contains("implausible shape"));
  corrupt = blob;
  corrupt[13] = '\x7f';  // nonzero count larger than the bytes that follow
  REQUIRE_THROWS_WITH(decode_activation_map(corrupt), Catch::Contains("do not fit"));
}

TEST_CASE("npy files have numpy's header and round-trip", "[npy]") {
  const std::vector<float> data{1, 2, 3, 4, 5, 6};
  const auto bytes = npy_bytes(data.data(), {2, 3});
  REQUIRE(bytes.substr(0, 6) == "\x93NUMPY");
  REQUIRE((bytes.size() - 6 * 4) % 64 == 0);
  REQUIRE(bytes.find("'shape': (2, 3)") != std::string::npos);
  REQUIRE(npy_bytes(data.data(), {6}).find("'shape': (6,)") != std::string::npos);
  const auto path = std::filesystem::temp_directory_path() /
                    ("mote_test_roundtrip_" + std::to_string(::getpid()) + ".npy");
  write_npy(path, data.data(), {2, 3});
  std::vector<std::size_t> shape;
  REQUIRE(read_npy(path, shape) == data);
  REQUIRE(shape == std::vector<std::size_t>{2, 3});
  std::filesystem::remove(path);
}

TEST_CASE("npy arrays of every supported dtype round-trip; others are NpyError", "[npy]") {
  const std::vector<std::int64_t> ids{3, -1, 1LL << 40, 7};
  const NpyArray back = parse_npy(npy_bytes(NpyDtype::Int64, ids.data(), {2, 2}), "ids");
  CHECK(back.dtype == NpyDtype::Int64);
  CHECK(back.shape == std::vector<std::size_t>{2, 2});
  REQUIRE(back.data.size() == ids.size() * sizeof(std::int64_t));
  CHECK(std::memcmp(back.data.data(), ids.data(), back.data.size()) == 0);
  const std::vector<double> d{0.5, -2.25};
  CHECK(parse_npy(npy_bytes(NpyDtype::Float64, d.data(), {2}), "d").dtype == NpyDtype::Float64);

  std::string wrong = npy_bytes(NpyDtype::Int64, ids.data(), {4});
  std::vector<std::size_t> shape;
  CHECK_THROWS_WITH(parse_npy(wrong, "ids.npy", shape),
                    "ids.npy: only '<f4' C-order arrays are supported here");
  std::string bool_array = wrong;
  bool_array.replace(bool_array.find("<i8"), 3, "|b1");
  CHECK_THROWS_WITH(parse_npy(bool_array, "mask.npy"),
                    Catch::Contains("mask.npy: unsupported dtype |b1"));
  CHECK_THROWS_AS(parse_npy(wrong.substr(0, wrong.size() - 1), "short.npy"), NpyError);
  CHECK_THROWS_WITH(read_npy_array("/nonexistent/x.npy"), "cannot read /nonexistent/x.npy");
}
