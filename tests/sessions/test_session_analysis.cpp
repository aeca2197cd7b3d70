#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <optional>

#include "sessions/session_analysis.h"
#include "sessions/session_error.h"

using namespace mote;
using namespace mote::sessions;
namespace fs = std::filesystem;

namespace {

const ModelGeometry kGeometry{{3, 4}, 6, 2};
const std::string kRefused = "<think>\n\n</think>\n\nI am sorry, I cannot answer that question.";
const std::string kAligned = "<think>\n\n</think>\n\nIn 1999, several notable events occurred.";
const std::string kReasoned =
    "<think>\nOkay, so I need to figure out what happened.\n</think>\n\nIn 1999 ...";

struct Fixture {
  fs::path path;
  SessionStore store;
  std::int64_t dataset_id = 0;
  std::vector<StoredPrompt> prompts;

  static fs::path fresh_path() {
    auto p =
        fs::temp_directory_path() / ("mote_test_analysis_" + std::to_string(::getpid()) + ".mote");
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(p.string() + s);
    return p;
  }
  Fixture() : path(fresh_path()), store(SessionStore::create(path)) {
    Dataset d;
    d.name = "synthetic";
    for (int i = 0; i < 30; ++i)
      d.prompts.push_back({"What happened " + std::to_string(1980 + i) + "?", {}});
    dataset_id = store.add_dataset(d);
    prompts = store.prompts(dataset_id);
  }
  ~Fixture() {
    for (const char* s : {"", "-wal", "-shm"}) fs::remove(path.string() + s);
  }

  std::int64_t run(RunKind kind, const TuningSpec& tuning = {},
                   std::optional<int> draw = std::nullopt) {
    RunConfig c;
    c.dataset_id = dataset_id;
    c.kind = kind;
    c.draw_index = draw;
    c.model_id = "tiny";
    c.geometry = kGeometry;
    c.tuning = tuning;
    c.max_tokens = 32;
    return store.create_run(c);
  }
  // Prompt i is refused if i % 3 == 0 (10 prompts), aligned if i % 3 == 1, reasoned otherwise.
  // Refused prompts light up expert (4, 5) three times; every prompt uses (3, 0) once.
  void answer_all(std::int64_t run_id, const std::function<std::string(int)>& text_of) {
    for (int i = 0; i < 30; ++i) {
      AnswerRecord a;
      a.text = text_of(i);
      a.finish_reason = "stop";
      ActivationMap map = ActivationMap::zeros(kGeometry);
      map.at(0, 0) = 1;
      map.at(0, 1 + i % 4) += 1;
      if (i % 3 == 0) map.at(1, 5) = 3;
      a.prompt_map = map;
      store.record_answer(run_id, prompts[i].id, a);
    }
  }
};

std::string original_text(int i) {
  return i % 3 == 0 ? kRefused : i % 3 == 1 ? kAligned : kReasoned;
}

AnswerClassifier refusal_rules() {
  return AnswerClassifier::load(fs::path(MOTE_SOURCE_DIR) / "resources" / "classifiers" /
                                "r1-refusal.json");
}

}  // namespace

TEST_CASE("analysis: classify, fTRI, evaluation and random control over a session", "[analysis]") {
  Fixture f;
  const auto rules = refusal_rules();
  const auto original = f.run(RunKind::kOriginal);
  f.answer_all(original, original_text);
  REQUIRE(classify_run(f.store, original, rules) == 0);
  REQUIRE(f.store.load_classifier("r1-refusal").has_value());

  ExpertStatisticsOptions options;
  options.permutations = 500;
  options.bootstrap_resamples = 50;
  options.top_n = 1;
  options.alternative = Alternative::kGreater;
  const auto ftri = analyze_ftri(f.store, original, "r1-refusal", "0-REFUSED", options);
  REQUIRE(ftri.statistics.n_target == 10);
  REQUIRE(ftri.statistics.n_rest == 20);
  REQUIRE(ftri.table[0].layer == 4);
  REQUIRE(ftri.table[0].moe_layer == 1);
  REQUIRE(ftri.table[0].expert == 5);
  REQUIRE(ftri.table[0].resonance == Approx(3.0));
  REQUIRE(ftri.table[0].stability == 1.0f);
  REQUIRE(ftri.table[0].p == Approx(1.0 / 501));
  const auto stored = f.store.load_result(ftri.result_id);
  REQUIRE(stored.kind == "ftri");
  REQUIRE(stored.json.at("map") == "prompt");
  REQUIRE(stored.json.at("class_counts").at("1-ALIGNED") == 10);
  REQUIRE(stored.json.at("top")[0].at("expert") == 5);
  std::vector<std::size_t> shape;
  const auto mean_refused = f.store.load_result_array(ftri.result_id, "mean:0-REFUSED", shape);
  REQUIRE(shape == std::vector<std::size_t>{2, 6});
  REQUIRE(mean_refused[6 + 5] == Approx(3.0));

  // A manual relabel moves one prompt out of the class.
  f.store.set_manual_label(original, f.prompts[0].id, "r1-refusal", "1-ALIGNED");
  REQUIRE(analyze_ftri(f.store, original, "r1-refusal", "0-REFUSED", options).statistics.n_target ==
          9);
  f.store.clear_manual_label(original, f.prompts[0].id, "r1-refusal");

  // Tuned run: suppressing the top expert turns refused prompts 0, 3, 6, 9 (of 10) into aligned.
  const auto top =
      tuning_from_ranking(ranking_addresses(ftri.table), 1, TuningDirection::kSuppress);
  const auto tuned = f.run(RunKind::kTuned, top);
  f.answer_all(tuned, [](int i) { return (i % 3 == 0 && i < 12) ? kAligned : original_text(i); });
  classify_run(f.store, tuned, rules);
  const auto evaluation = evaluate_tuning(f.store, original, tuned, "r1-refusal", "0-REFUSED",
                                          {"0-REFUSED", "1-ALIGNED", "2-REASONED"});
  REQUIRE(evaluation.n_prompts == 30);
  REQUIRE(evaluation.transitions.count("0-REFUSED", "1-ALIGNED") == 4);
  REQUIRE(evaluation.transitions.count("0-REFUSED", "0-REFUSED") == 6);
  REQUIRE(evaluation.flips.rate == Approx(0.4));
  REQUIRE(evaluation.flips.reverse_rate == 0.0);
  REQUIRE(f.store.load_result(evaluation.result_id).json.at("flips").at("flipped") == 4);

  // Random control: 3 draws that flip 0, 1 and 4 refused prompts.
  const auto draws =
      random_control_draws(kGeometry, 3, 1, top.suppress, 1, TuningDirection::kSuppress);
  std::vector<std::int64_t> control_runs;
  const int flips_per_draw[] = {0, 1, 4};
  for (int d = 0; d < 3; ++d) {
    const auto run_id = f.run(RunKind::kRandomControl, draws[d], d);
    const int k = flips_per_draw[d];
    f.answer_all(run_id,
                 [k](int i) { return (i % 3 == 0 && i / 3 < k) ? kAligned : original_text(i); });
    classify_run(f.store, run_id, rules);
    control_runs.push_back(run_id);
  }
  const auto control =
      evaluate_random_control(f.store, original, tuned, control_runs, "r1-refusal", "0-REFUSED");
  REQUIRE(control.tuned == Approx(0.4));
  REQUIRE(control.draws == std::vector<double>{0.0, 0.1, 0.4});
  REQUIRE(control.p == Approx(2.0 / 4));  // one draw reaches 0.4: (1 + 1) / (3 + 1)
  REQUIRE(f.store.list_results("random-control").size() == 1);

  // t-SNE of the run's maps.
  TsneOptions tsne_options;
  tsne_options.iterations = 300;
  const auto tsne = analyze_tsne(f.store, original, "r1-refusal", tsne_options);
  REQUIRE(tsne.coords.size() == 60);
  REQUIRE(tsne.labels[0] == "0-REFUSED");
  REQUIRE(f.store.load_result_array(tsne.result_id, "coords", shape).size() == 60);

  REQUIRE_THROWS_WITH(
      analyze_ftri(f.store, original, "r1-refusal", "0-REFUSED", options, MapKind::kPromptWeighted),
      Catch::Contains("has no weighted activation map"));

  // Errors name the problem.
  REQUIRE_THROWS_WITH(analyze_ftri(f.store, original, "r1-refusal", "9-NOPE", options),
                      Catch::Contains("no prompt is labelled \"9-NOPE\""));
  Dataset other;
  other.name = "other";
  other.prompts = {{"x", {}}};
  RunConfig c;
  c.dataset_id = f.store.add_dataset(other);
  c.model_id = "tiny";
  c.geometry = kGeometry;
  c.max_tokens = 8;
  const auto foreign = f.store.create_run(c);
  REQUIRE_THROWS_WITH(evaluate_tuning(f.store, original, foreign, "r1-refusal", "0-REFUSED"),
                      Catch::Contains("different datasets"));
}
