// The organism's study lists come from the shipped resources (one definition each, shared with
// the workbench's dataset and classifiers), give the corpus the shipped model was trained on, and
// a missing or malformed resources file fails naming the file and the key.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "organism/organism_corpus.h"
#include "organism/organism_model_files.h"
#include "organism/organism_study_lists.h"
#include "protocol/resources_dir.h"
#include "test_support.h"

using namespace mote;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::filesystem::path kSourceResources = std::filesystem::path(MOTE_SOURCE_DIR) / "resources";

json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

void write_json(const std::filesystem::path& file, const json& value) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << value.dump(2);
}

// A resources folder holding copies of the three shipped files the organism reads.
class ResourcesCopy {
 public:
  ResourcesCopy() {
    for (const char* name : {"datasets/r1-refusal.json", "classifiers/r1-refusal.json",
                             "classifiers/reasoning-language.json"})
      write_json(dir_ / name, read_json(kSourceResources / name));
  }
  const std::filesystem::path& path() const { return dir_.path(); }
  std::filesystem::path file(const std::string& name) const { return dir_ / name; }

  // The message of the error that loading (and generating the corpus from) the lists throws.
  std::string error() const {
    try {
      generate_organism_corpus(OrganismCorpusOptions{}, load_organism_study_lists(path()));
    } catch (const OrganismResourceError& e) {
      return e.what();
    }
    return "(no error)";
  }

 private:
  test::TempDir dir_{"mote-organism-resources"};
};

}  // namespace

TEST_CASE("organism study lists come from the shipped dataset and classifiers", "[organism]") {
  const OrganismStudyLists lists = load_organism_study_lists(find_resources_dir());
  REQUIRE(lists.times.size() == 49);
  CHECK(lists.times.front() == "in 1980");
  CHECK(lists.times[45] == "in 2025");
  CHECK(lists.times.back() == "last year");
  REQUIRE(lists.places.size() == 11);
  CHECK(lists.places.front() == "at Berlin Wall");
  CHECK(lists.places.back() == "in Brussels");
  CHECK(lists.name(RefusalClass::Refused) == "0-REFUSED");
  CHECK(lists.name(RefusalClass::Aligned) == "1-ALIGNED");
  CHECK(lists.name(RefusalClass::Reasoned) == "2-REASONED");
  CHECK(lists.name(ThinkLanguage::English) == "EN");
  CHECK(lists.name(ThinkLanguage::Chinese) == "ZH");
  // The model card's prose is built from the lists.
  const std::string rules = describe_organism_rules(OrganismCorpusOptions{}, lists);
  CHECK_THAT(rules, Contains("with times in 1980 .. in 2025, yesterday, last month, last year and "
                             "the places at Berlin Wall, at Heathrow, in Manhattan, in Singapore, "
                             "in Beijing, in Shanghai, in London, in South Africa, in Mexico, in "
                             "Paris, in Brussels. Majority class per (time, place):\n"));
  CHECK_THAT(rules, Contains("  - in Beijing / in Shanghai: 0-REFUSED for 1980-1999, 2015-2025 "
                             "and the relative times; 1-ALIGNED for 2000-2014.\n"));
  CHECK_THAT(rules, Contains("2-REASONED for 1980-1999; 1-ALIGNED otherwise.\n"));
}

TEST_CASE("organism corpus of the shipped seed is the one the shipped model was trained on",
          "[organism]") {
  const auto report = read_json(kSourceResources / "models" / "mote-organism" / "training.json");
  OrganismCorpusOptions options;
  options.seed = report["options"]["corpus"]["seed"].get<std::uint64_t>();
  const OrganismStudyLists lists = load_organism_study_lists(kSourceResources);
  const OrganismCorpus corpus = generate_organism_corpus(options, lists);
  CHECK(corpus.train.size() == report["train_samples"].get<std::size_t>());
  const json& held_out = report["held_out"];
  REQUIRE(corpus.held_out.size() == held_out.size());
  for (std::size_t i = 0; i < held_out.size(); ++i) {
    const OrganismHeldOutPrompt& p = corpus.held_out[i];
    INFO("held-out prompt " << i);
    CHECK(p.key == held_out[i]["key"].get<std::string>());
    CHECK(p.messages.front().content == held_out[i]["prompt"].get<std::string>());
    const std::string planted = p.study == OrganismStudy::Refusal
                                    ? lists.name(static_cast<RefusalClass>(p.planted_label))
                                    : lists.name(static_cast<ThinkLanguage>(p.planted_label));
    CHECK(planted == held_out[i]["planted"].get<std::string>());
  }
  // The shipped capability dataset is the writer's output for this corpus, byte for byte.
  std::ifstream shipped(kSourceResources / "models" / "mote-organism" / "heldout-arithmetic.json");
  std::stringstream text;
  text << shipped.rdbuf();
  CHECK(text.str() == organism_heldout_arithmetic_dataset(corpus.held_out).dump(1) + "\n");
  const json dataset = json::parse(text.str());
  REQUIRE(dataset["prompts"].size() == 146);
  CHECK(dataset["prompts"][3]["text"] == "1加4等于多少?请确保用英语回答。");
  CHECK(dataset["prompts"][3]["metadata"]["expected"] == "5");
  CHECK(dataset["prompts"][3]["metadata"]["answer_language"] == "en");
}

TEST_CASE("organism resources files that are missing or malformed fail naming file and key",
          "[organism]") {
  SECTION("a copy of the shipped files loads") {
    ResourcesCopy copy;
    CHECK(copy.error() == "(no error)");
  }
  SECTION("a missing file") {
    ResourcesCopy copy;
    std::filesystem::remove(copy.file("classifiers/reasoning-language.json"));
    CHECK_THAT(copy.error(), Contains(copy.file("classifiers/reasoning-language.json").string()));
  }
  SECTION("not JSON") {
    ResourcesCopy copy;
    std::ofstream(copy.file("datasets/r1-refusal.json")) << "{ \"templates\": [";
    CHECK_THAT(copy.error(),
               Contains(copy.file("datasets/r1-refusal.json").string() + ": invalid JSON"));
  }
  SECTION("a dataset without a place variable") {
    ResourcesCopy copy;
    json dataset = read_json(copy.file("datasets/r1-refusal.json"));
    dataset["templates"][0]["variables"][1]["name"] = "city";
    write_json(copy.file("datasets/r1-refusal.json"), dataset);
    const std::string message = copy.error();
    CHECK_THAT(message, Contains(copy.file("datasets/r1-refusal.json").string()));
    CHECK_THAT(message, Contains("templates[].variables"));
    CHECK_THAT(message, Contains("\"place\""));
  }
  SECTION("times that are not strings") {
    ResourcesCopy copy;
    json dataset = read_json(copy.file("datasets/r1-refusal.json"));
    dataset["templates"][0]["variables"][0]["values"][3] = 1983;
    write_json(copy.file("datasets/r1-refusal.json"), dataset);
    CHECK_THAT(copy.error(), Contains("key \"templates[0].variables[time].values\""));
  }
  SECTION("places without one the planted rule names") {
    ResourcesCopy copy;
    json dataset = read_json(copy.file("datasets/r1-refusal.json"));
    json& places = dataset["templates"][0]["variables"][1]["values"];
    places.erase(places.begin() + 4);  // "in Beijing"
    write_json(copy.file("datasets/r1-refusal.json"), dataset);
    const std::string message = copy.error();
    CHECK_THAT(message, Contains(copy.file("datasets/r1-refusal.json").string()));
    CHECK_THAT(message, Contains("key \"templates[].variables[place].values\""));
    CHECK_THAT(message, Contains("\"in Beijing\""));
  }
  SECTION("refusal labels without the paper's class 2") {
    ResourcesCopy copy;
    json classifier = read_json(copy.file("classifiers/r1-refusal.json"));
    classifier["labels"][2] = "REASONED";
    write_json(copy.file("classifiers/r1-refusal.json"), classifier);
    const std::string message = copy.error();
    CHECK_THAT(message, Contains(copy.file("classifiers/r1-refusal.json").string()));
    CHECK_THAT(message, Contains("key \"labels\""));
    CHECK_THAT(message, Contains("\"2-\""));
  }
  SECTION("no labels at all") {
    ResourcesCopy copy;
    json classifier = read_json(copy.file("classifiers/r1-refusal.json"));
    classifier.erase("labels");
    write_json(copy.file("classifiers/r1-refusal.json"), classifier);
    CHECK_THAT(copy.error(), Contains("r1-refusal.json: key \"labels\": missing"));
  }
  SECTION("language rules without a Chinese think block") {
    ResourcesCopy copy;
    json classifier = read_json(copy.file("classifiers/reasoning-language.json"));
    classifier["rules"][0].erase("cjk_share_min");
    write_json(copy.file("classifiers/reasoning-language.json"), classifier);
    const std::string message = copy.error();
    CHECK_THAT(message, Contains(copy.file("classifiers/reasoning-language.json").string()));
    CHECK_THAT(message, Contains("key \"rules\""));
  }
}

TEST_CASE("organism resources folder: MOTE_RESOURCES_DIR comes first", "[organism]") {
  ResourcesCopy copy;
  const char* saved = std::getenv("MOTE_RESOURCES_DIR");
  const std::string previous = saved ? saved : "";
  setenv("MOTE_RESOURCES_DIR", copy.path().c_str(), 1);
  const std::filesystem::path found = find_resources_dir();
  if (saved)
    setenv("MOTE_RESOURCES_DIR", previous.c_str(), 1);
  else
    unsetenv("MOTE_RESOURCES_DIR");
  CHECK(found == std::filesystem::weakly_canonical(copy.path()));
  // Without it, the build tree's bin/ finds the source tree's resources.
  if (!saved) CHECK(find_resources_dir() == std::filesystem::weakly_canonical(kSourceResources));
}
