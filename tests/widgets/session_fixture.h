#pragma once
// A real session file for the widget tests, written with SessionStore in a temporary directory:
// one dataset of 24 prompts, an "original" run answering all of them (prompt maps, rule labels
// of classifier "refusal") and a "tuned" run answering 16. Maps are synthetic but structured:
// REFUSED prompts use expert 5 of layer 2 heavily, the others expert 1 of layer 3, so the fTRI
// ranking is known.
#include <QTemporaryDir>
#include <memory>
#include <random>
#include <string>

#include "sessions/answer_classifier.h"
#include "sessions/session_store.h"

namespace mote::widgets_test {

inline mote::ModelGeometry fixtureGeometry() {
  mote::ModelGeometry g;
  g.moe_layers = {1, 2, 3};
  g.n_experts = 8;
  g.top_k = 2;
  return g;
}

inline nlohmann::json refusalRules() {
  return {{"name", "refusal"},
          {"labels", {"REFUSED", "ANSWERED"}},
          {"rules",
           {{{"label", "REFUSED"}, {"answer_regex", "^I am sorry"}},
            {{"label", "ANSWERED"}, {"default", true}}}}};
}

struct SessionFixture {
  static constexpr int kPrompts = 24;
  static constexpr int kTunedAnswers = 16;

  QTemporaryDir dir;
  std::string path;
  std::unique_ptr<sessions::SessionStore> store;
  std::int64_t dataset_id = 0;
  std::int64_t original_run = 0;
  std::int64_t tuned_run = 0;
  std::vector<std::int64_t> prompt_ids;

  SessionFixture() {
    path = dir.filePath(QStringLiteral("fixture.mote")).toStdString();
    store = std::make_unique<sessions::SessionStore>(sessions::SessionStore::create(path));
    sessions::Dataset d;
    d.name = "questions";
    d.description = "synthetic questions";
    d.system_prompt = "Answer briefly.";
    for (int i = 0; i < kPrompts; ++i)
      d.prompts.push_back(
          {"Question number " + std::to_string(i) + "?", {{"i", std::to_string(i)}}});
    dataset_id = store->add_dataset(d);
    for (const auto& p : store->prompts(dataset_id)) prompt_ids.push_back(p.id);
    store->store_classifier("refusal", refusalRules());

    sessions::RunConfig c;
    c.dataset_id = dataset_id;
    c.name = "original";
    c.model_id = "synthetic";
    c.geometry = fixtureGeometry();
    c.seed = 7;
    c.max_tokens = 16;
    original_run = store->create_run(c);
    c.name = "tuned";
    c.kind = sessions::RunKind::kTuned;
    c.tuning.suppress = {{2, 5}};
    tuned_run = store->create_run(c);

    const auto classifier = sessions::AnswerClassifier::from_json(refusalRules(), "fixture");
    for (int i = 0; i < kPrompts; ++i) {
      record(original_run, i, refusedInOriginal(i), classifier);
      if (i < kTunedAnswers) record(tuned_run, i, i % 6 == 0, classifier);
    }
    store->set_run_status(original_run, sessions::RunStatus::kFinished);
    store->set_run_status(tuned_run, sessions::RunStatus::kCancelled);
  }

  // Every third prompt is refused in the original run.
  static bool refusedInOriginal(int i) { return i % 3 == 0; }

  static mote::ActivationMap promptMap(int i, bool refused) {
    const auto g = fixtureGeometry();
    auto map = mote::ActivationMap::zeros(g);
    std::mt19937 rng(static_cast<std::uint32_t>(1000 + i));
    // Background: every layer, 2 of 8 experts per token, 6 tokens.
    for (int token = 0; token < 6; ++token)
      for (std::size_t m = 0; m < g.n_moe_layers(); ++m) {
        map.at(m, rng() % 8) += 1.0f;
        map.at(m, rng() % 8) += 1.0f;
      }
    if (refused)
      map.at(1, 5) += 6.0f;  // layer 2, expert 5
    else
      map.at(2, 1) += 6.0f;  // layer 3, expert 1
    return map;
  }

  void record(std::int64_t run, int i, bool refused, const sessions::AnswerClassifier& classifier) {
    sessions::AnswerRecord a;
    a.text = refused ? "I am sorry, I cannot answer that question."
                     : "Sure: the answer to question " + std::to_string(i) + " is 42.";
    a.prompt_tokens = 6;
    a.completion_tokens = refused ? 10 : 12;
    a.finish_reason = "stop";
    a.prompt_map = promptMap(i, refused);
    a.elapsed_ms = 5.0;
    const auto pid = prompt_ids[static_cast<std::size_t>(i)];
    const auto r = classifier.classify(a.text);
    store->record_answer(run, pid, a, "refusal", {{pid, r.label, r.rule_index}});
  }
};

}  // namespace mote::widgets_test
