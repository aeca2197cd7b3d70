#include <catch2/catch.hpp>
#include <random>

#include "protocol/activation_map.h"
#include "protocol/npy.h"
#include "protocol/tuning_spec.h"
#include "sessions/answer_classifier.h"
#include "sessions/csv_reader.h"
#include "sessions/dataset.h"
#include "sessions/dataset_import.h"
#include "sessions/session_error.h"
#include "sessions/think_block.h"

using namespace mote;
using namespace mote::sessions;

namespace {

// Random byte strings, biased towards the characters each parser cares about.
std::string random_bytes(std::mt19937& rng, const std::string& alphabet, std::size_t max_len) {
  std::uniform_int_distribution<std::size_t> len(0, max_len);
  std::uniform_int_distribution<int> any(0, 255);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::bernoulli_distribution from_alphabet(0.8);
  std::string s(len(rng), '\0');
  for (auto& c : s) c = from_alphabet(rng) ? alphabet[pick(rng)] : static_cast<char>(any(rng));
  return s;
}

template <typename F>
void expect_value_or_session_error(F f) {
  try {
    f();
  } catch (const mote::Error&) {  // SessionError or a protocol error (map BLOB, .npy, tuning)
  }
}

}  // namespace

TEST_CASE("malformed inputs give SessionError or a protocol error, never a crash", "[robustness]") {
  std::mt19937 rng(2024);
  const auto g = ModelGeometry{{1, 2}, 4, 2};
  ActivationMap map(2, 4);
  map.values = {1, 0, 3, 0, 0, 0, 7, 1};
  const std::string good_blob = encode_activation_map(map);
  std::vector<std::size_t> shape;
  const std::vector<float> data{1, 2, 3};
  const std::string good_npy = npy_bytes(data.data(), {3});
  for (int i = 0; i < 3000; ++i) {
    const auto csv = random_bytes(rng, "ab,\"\r\n ", 40);
    expect_value_or_session_error([&] { parse_csv(csv, "fuzz.csv"); });
    expect_value_or_session_error([&] { import_csv_text(csv, "a", {}, "fuzz.csv"); });
    const auto jsonl = random_bytes(rng, "{}\":,q a1\n[]", 40);
    expect_value_or_session_error([&] { import_jsonl_text(jsonl, "q", {}, "fuzz.jsonl"); });
    const auto text = random_bytes(rng, "<think>/ \n\xe4\xbd\xa0", 60);
    expect_value_or_session_error([&] { split_think_block(text); });
    expect_value_or_session_error([&] { cjk_share(text); });
    // Corrupt activation-map BLOBs and npy bytes: flip, truncate or extend.
    auto blob = good_blob;
    std::uniform_int_distribution<std::size_t> pos(0, blob.size() - 1);
    blob[pos(rng)] = static_cast<char>(rng());
    if (i % 3 == 0) blob.resize(pos(rng));
    if (i % 5 == 0) blob += random_bytes(rng, "\x01\x80", 4);
    expect_value_or_session_error([&] { decode_activation_map(blob); });
    auto npy = good_npy;
    std::uniform_int_distribution<std::size_t> npy_pos(0, npy.size() - 1);
    npy[npy_pos(rng)] = static_cast<char>(rng());
    if (i % 4 == 0) npy.resize(npy_pos(rng));
    expect_value_or_session_error([&] { parse_npy(npy, "fuzz.npy", shape); });
    const auto tuning = random_bytes(rng, "{}[],\"suppresstimulate 0123-", 50);
    expect_value_or_session_error([&] { TuningSpec::parse(tuning).validate(g); });
    const auto dataset = random_bytes(rng, "{}[],:\"nametemplatesvariablesprompts {x}", 80);
    expect_value_or_session_error([&] {
      nlohmann::json json;
      try {
        json = nlohmann::json::parse(dataset);
      } catch (const nlohmann::json::exception&) {
        return;
      }
      dataset_from_json(json, "fuzz.json");
    });
  }
  SUCCEED("no crash");
}

TEST_CASE("structurally valid JSON of the wrong shape gives SessionError", "[robustness]") {
  const char* datasets[] = {
      R"([])",
      R"({"name": 3, "prompts": ["a"]})",
      R"({"name": "x", "prompts": [3]})",
      R"({"name": "x", "prompts": "a"})",
      R"({"name": "x", "templates": {}})",
      R"({"name": "x", "templates": [{"template": "{a}"}]})",
      R"({"name": "x", "templates": [{"template": "{a}", "variables": [{"name": "a"}]}]})",
      R"({"name": "x", "templates": [{"template": "{a}", "variables": [3]}]})",
      R"({"name": "x", "templates": [{"template": "{a}", "variables": [{"name": "a", "values": [{"label": "l"}]}]}]})",
      R"({"name": "x", "prompts": [{"text": "a", "metadata": [1]}]})",
      R"({"name": "x", "system_prompt": 5, "prompts": ["a"]})",
  };
  for (const char* d : datasets) {
    INFO(d);
    REQUIRE_THROWS_AS(dataset_from_json(nlohmann::json::parse(d), "d.json"), SessionError);
  }
  const char* rule_files[] = {
      R"([])",
      R"({"name": "x", "labels": "A", "rules": []})",
      R"({"name": "x", "labels": ["A"], "rules": [3]})",
      R"({"name": "x", "labels": ["A"], "rules": [{"label": 3, "default": true}]})",
      R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "default": false}]})",
      R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "default": true, "think_empty": true}]})",
      R"({"name": "x", "labels": ["A"], "rules": [{"label": "A", "think_regex": 5}]})",
  };
  for (const char* r : rule_files) {
    INFO(r);
    REQUIRE_THROWS_AS(AnswerClassifier::from_json(nlohmann::json::parse(r), "r.json"),
                      SessionError);
  }
  REQUIRE_THROWS_AS(TuningSpec::from_json(nlohmann::json::array()), TuningError);
  REQUIRE_THROWS_AS(TuningSpec::parse(R"({"suppress": {"a": 1}})"), TuningError);
  REQUIRE_THROWS_AS(TuningSpec::parse(R"({"suppress": [[1.5, 2]]})"), TuningError);
}
