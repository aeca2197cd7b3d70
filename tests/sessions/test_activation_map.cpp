#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "sessions/activation_map.h"
#include "sessions/npy_writer.h"
#include "sessions/session_error.h"
#include "sessions/tuning_spec.h"

using namespace mote::sessions;

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

TEST_CASE("geometry maps addresses to flat indices and back", "[geometry]") {
  const auto g = ModelGeometry::deepseek_r1();
  REQUIRE(g.n_moe_layers() == 58);
  REQUIRE(g.n_cells() == 14848);
  REQUIRE(g.flat_index({3, 0}) == 0);
  REQUIRE(g.flat_index({48, 176}) == 45u * 256 + 176);
  REQUIRE(g.address_of(45u * 256 + 176) == ExpertAddress{48, 176});
  REQUIRE_THROWS_WITH(g.moe_index(2), Catch::Contains("layer 2 is not a MoE layer"));
  REQUIRE_THROWS_AS(g.flat_index({3, 256}), SessionError);
  REQUIRE(ModelGeometry::from_json(g.to_json()).moe_layers == g.moe_layers);
  REQUIRE_THROWS_WITH(
      ModelGeometry::from_json({{"moe_layers", {3, 3}}, {"n_experts", 4}, {"top_k", 2}}),
      Catch::Contains("ascending"));
  REQUIRE_THROWS_AS(ModelGeometry::from_json({{"n_experts", 4}}), SessionError);
}

TEST_CASE("tuning spec round-trips and rejects bad specs", "[tuning]") {
  const auto g = tiny_geometry();
  auto spec = TuningSpec::parse(R"({"suppress": [[1, 3], [2, 0]], "stimulate": [[2, 1]]})");
  REQUIRE(spec.suppress.size() == 2);
  REQUIRE_NOTHROW(spec.validate(g));
  REQUIRE(TuningSpec::from_json(spec.to_json()) == spec);
  REQUIRE_THROWS_WITH(
      TuningSpec::parse(R"({"suppress": [[1, 3]], "stimulate": [[1, 3]]})").validate(g),
      Catch::Contains("both suppressed and stimulated"));
  REQUIRE_THROWS_WITH(TuningSpec::parse(R"({"suppress": [[0, 3]]})").validate(g),
                      Catch::Contains("not an expert"));
  REQUIRE_THROWS_WITH(TuningSpec::parse(R"({"suppress": [[1]]})"),
                      Catch::Contains("[layer, expert]"));
  REQUIRE_THROWS_WITH(TuningSpec::parse(R"({"supress": []})"), Catch::Contains("unknown key"));
  REQUIRE_THROWS_WITH(TuningSpec::parse("{"), Catch::Contains("invalid JSON"));
}

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
  REQUIRE_THROWS_AS(activation_map_from_routing(bad, g, TokenSelection::kAll, false), SessionError);
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
