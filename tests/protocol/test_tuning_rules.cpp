// The project's one tuning rule set (protocol/tuning_spec.h) and the geometry it checks against:
// every rule, with the exact message the server's 400, `mote` and the workbench show.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "protocol/error.h"
#include "protocol/expert_counting.h"
#include "protocol/model_geometry.h"
#include "protocol/tuning_spec.h"

using namespace mote;

namespace {

// MoE layers 1..3 of a 4-layer model, 16 experts, top-4 (the tiny test checkpoints' shape).
ModelGeometry tiny() {
  return {{1, 2, 3}, 16, 4};
}

std::string rule_message(const std::string& json) {
  try {
    TuningSpec::parse(json).validate(tiny());
  } catch (const TuningError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a valid tuning passes and round-trips through JSON", "[protocol][tuning]") {
  const auto spec = TuningSpec::parse(R"({"suppress": [[1, 3], [2, 0]], "stimulate": [[2, 1]]})");
  CHECK_NOTHROW(spec.validate(tiny()));
  CHECK(TuningSpec::from_json(spec.to_json()) == spec);
  CHECK(spec.experts() == std::vector<ExpertAddress>{{1, 3}, {2, 0}, {2, 1}});
  CHECK(spec.to_json().dump() == R"({"stimulate":[[2,1]],"suppress":[[1,3],[2,0]]})");
  CHECK(TuningSpec::parse("{}").empty());
  // Exactly top-k stimulated in one layer is allowed.
  CHECK(rule_message(R"({"stimulate": [[1, 0], [1, 1], [1, 2], [1, 3]]})").empty());
}

TEST_CASE("every tuning rule is an error with one message", "[protocol][tuning]") {
  CHECK(rule_message(R"({"suppress": [[1, 1], [1, 1]]})") ==
        "tuning: suppress [1, 1] is listed twice");
  CHECK(rule_message(R"({"stimulate": [[3, 9], [3, 9]]})") ==
        "tuning: stimulate [3, 9] is listed twice");
  CHECK(rule_message(R"({"suppress": [[2, 3]], "stimulate": [[2, 3]]})") ==
        "tuning: [2, 3] is both suppressed and stimulated");
  CHECK(rule_message(R"({"stimulate": [[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]]})") ==
        "tuning: layer 1 stimulates more than 4 experts (at most top-k = 4 per layer)");
  CHECK(rule_message(R"({"suppress": [[0, 1]]})") ==
        "tuning: suppress [0, 1]: layer 0 is not a MoE layer of this model (MoE layers: 1..3)");
  CHECK(rule_message(R"({"stimulate": [[1, 16]]})") ==
        "tuning: stimulate [1, 16]: expert out of range 0..15");
  CHECK(rule_message(R"({"suppress": [[1, -1]]})") ==
        "tuning: suppress [1, -1]: expert out of range 0..15");
}

TEST_CASE("malformed tuning JSON names what is wrong", "[protocol][tuning]") {
  auto shape_message = [](const std::string& json) {
    try {
      TuningSpec::parse(json);
    } catch (const TuningError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(shape_message("[1, 2]") == "tuning: expected a JSON object, got [1,2]");
  CHECK(shape_message(R"({"supress": []})") ==
        "tuning: unknown key \"supress\" (expected suppress, stimulate)");
  CHECK(shape_message(R"({"suppress": {"1": 2}})") ==
        "tuning: \"suppress\" must be a list of [layer, expert] pairs");
  CHECK(shape_message(R"({"suppress": [[1]]})") ==
        "tuning: suppress[0] must be a [layer, expert] pair of integers, got [1]");
  CHECK(shape_message(R"({"stimulate": [[1, 2], [1, 2.5]]})") ==
        "tuning: stimulate[1] must be a [layer, expert] pair of integers, got [1,2.5]");
  CHECK_THAT(shape_message(R"({"suppress": [[1, 18446744073709551615]]})"),
             Catch::StartsWith("tuning: suppress[0] must be a [layer, expert] pair of integers"));
  CHECK_THAT(shape_message("{"), Catch::StartsWith("tuning: invalid JSON"));
  CHECK_THAT(shape_message(""), Catch::StartsWith("tuning: invalid JSON"));
}

TEST_CASE("a tuning file's errors start with its path", "[protocol][tuning]") {
  CHECK_THROWS_WITH(TuningSpec::from_file("/nonexistent/t.json"),
                    "cannot open tuning file /nonexistent/t.json");
}

TEST_CASE("the counting rule: non-zero weight, or not suppressed when only ids are known",
          "[protocol][counting]") {
  const ExpertCountingRule rule(tiny(), TuningSpec::parse(R"({"suppress": [[2, 5]]})"));
  const float zero = 0.0f, some = 0.25f;
  CHECK_FALSE(rule.counts(1, 5, nullptr));  // layer 2 is MoE index 1: suppressed there
  CHECK(rule.counts(0, 5, nullptr));        // the same expert in another layer is not
  CHECK(rule.counts(1, 6, nullptr));
  CHECK_FALSE(rule.counts(1, 6, &zero));  // a weight decides when it was captured
  CHECK(rule.counts(1, 5, &some));
  CHECK(ExpertCountingRule().counts(1, 5, nullptr));  // untuned: every selected slot counts
  CHECK_THROWS_AS(ExpertCountingRule(tiny(), TuningSpec::parse(R"({"suppress": [[0, 5]]})")),
                  TuningError);
}

TEST_CASE("geometry maps addresses to flat indices and back", "[protocol][geometry]") {
  const auto g = ModelGeometry::deepseek_r1();
  REQUIRE(g.n_moe_layers() == 58);
  REQUIRE(g.n_cells() == 14848);
  REQUIRE(g.flat_index({3, 0}) == 0);
  REQUIRE(g.flat_index({48, 176}) == 45u * 256 + 176);
  REQUIRE(g.address_of(45u * 256 + 176) == ExpertAddress{48, 176});
  REQUIRE_THROWS_WITH(g.moe_index(2), Catch::Contains("layer 2 is not a MoE layer"));
  REQUIRE_THROWS_AS(g.flat_index({3, 256}), GeometryError);
  REQUIRE(ModelGeometry::from_json(g.to_json()).moe_layers == g.moe_layers);
  REQUIRE_THROWS_WITH(
      ModelGeometry::from_json({{"moe_layers", {3, 3}}, {"n_experts", 4}, {"top_k", 2}}),
      Catch::Contains("ascending"));
  REQUIRE_THROWS_AS(ModelGeometry::from_json({{"n_experts", 4}}), GeometryError);
  CHECK(g.describe_moe_layers() == "3..60");
  CHECK(ModelGeometry{{1, 3, 5}, 8, 2}.describe_moe_layers() == "1, 3, 5");
  CHECK(ModelGeometry{}.describe_moe_layers() == "none");
  CHECK_THROWS_WITH(ModelGeometry({{1, 2}, 4, 5}).validate(),
                    "model geometry: need n_experts >= top_k >= 1 (n_experts 4, top_k 5)");
}
