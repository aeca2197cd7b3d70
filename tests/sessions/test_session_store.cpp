#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "protocol/activation_map.h"
#include "sessions/answer_classifier.h"
#include "sessions/session_error.h"
#include "sessions/session_schema.h"
#include "sessions/session_store.h"

using namespace mote;
using namespace mote::sessions;
namespace fs = std::filesystem;

namespace {

// A fresh path under the temp directory, removed (with -wal/-shm) at scope exit.
struct TempSessionPath {
  fs::path path;
  explicit TempSessionPath(const std::string& name) {
    path = fs::temp_directory_path() /
           ("mote_test_" + std::to_string(::getpid()) + "_" + name + ".mote");
    remove();
  }
  ~TempSessionPath() { remove(); }
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path.string() + suffix);
  }
};

const ModelGeometry kGeometry{{1, 2, 3}, 8, 2};

Dataset small_dataset(std::size_t n) {
  Dataset d;
  d.name = "numbers";
  d.description = "test prompts";
  d.system_prompt = "Be brief.";
  for (std::size_t i = 0; i < n; ++i)
    d.prompts.push_back({"prompt " + std::to_string(i), {{"i", std::to_string(i)}}});
  return d;
}

RunConfig run_config(std::int64_t dataset_id) {
  RunConfig c;
  c.dataset_id = dataset_id;
  c.name = "original";
  c.model_id = "tiny-moe";
  c.geometry = kGeometry;
  c.sampling = {{"temperature", 0.6}};
  c.seed = 7;
  c.max_tokens = 64;
  c.engine_version = "test";
  return c;
}

// Deterministic answer for a prompt id, so a reader can verify what a killed writer committed.
AnswerRecord expected_answer(std::int64_t prompt_id) {
  AnswerRecord a;
  a.text = "<think>\n\n</think>\n\nAnswer " + std::to_string(prompt_id) + std::string(200, 'x');
  a.prompt_tokens = static_cast<int>(prompt_id % 13) + 3;
  a.completion_tokens = 42;
  a.finish_reason = "stop";
  a.elapsed_ms = 1.5;
  ActivationMap map = ActivationMap::zeros(kGeometry);
  for (std::size_t i = 0; i < map.size(); ++i)
    map.values[i] = static_cast<float>((prompt_id * 7 + i) % 4);
  a.prompt_map = map;
  return a;
}

}  // namespace

TEST_CASE("session store: create, reopen, datasets and runs round-trip", "[session]") {
  TempSessionPath tmp("roundtrip");
  std::int64_t dataset_id = 0, run_id = 0;
  {
    auto store = SessionStore::create(tmp.path);
    REQUIRE(store.schema_version() == session_schema_version());
    dataset_id = store.add_dataset(small_dataset(5));
    auto config = run_config(dataset_id);
    config.kind = RunKind::kTuned;
    config.tuning.suppress = {{2, 5}};
    run_id = store.create_run(config);
    REQUIRE_THROWS_WITH(SessionStore::create(tmp.path), Catch::Contains("already exists"));
  }
  auto store = SessionStore::open(tmp.path);
  const auto datasets = store.list_datasets();
  REQUIRE(datasets.size() == 1);
  REQUIRE(datasets[0].n_prompts == 5);
  REQUIRE(datasets[0].system_prompt == "Be brief.");
  const auto loaded = store.load_dataset(dataset_id);
  REQUIRE(loaded.prompts == small_dataset(5).prompts);
  const auto run = store.run(run_id);
  REQUIRE(run.config.kind == RunKind::kTuned);
  REQUIRE(run.config.tuning.suppress == std::vector<ExpertAddress>{{2, 5}});
  REQUIRE(run.config.geometry.moe_layers == kGeometry.moe_layers);
  REQUIRE(run.config.sampling.at("temperature") == 0.6);
  REQUIRE(run.status == RunStatus::kPending);
  REQUIRE(run.created_at.size() >= 20);
  store.set_run_status(run_id, RunStatus::kFinished);
  REQUIRE(store.list_runs().at(0).status == RunStatus::kFinished);
  REQUIRE_THROWS_WITH(store.run(99), Catch::Contains("no run with id 99"));
  REQUIRE_THROWS_WITH(store.load_dataset(99), Catch::Contains("no dataset with id 99"));

  auto bad = run_config(dataset_id);
  bad.tuning.suppress = {{4, 0}};
  REQUIRE_THROWS_WITH(store.create_run(bad), Catch::Contains("is not a MoE layer of this model"));
  bad = run_config(dataset_id);
  bad.kind = RunKind::kRandomControl;
  REQUIRE_THROWS_WITH(store.create_run(bad), Catch::Contains("draw index"));
  bad.draw_index = 3;
  REQUIRE(store.run(store.create_run(bad)).config.draw_index == 3);
  bad = run_config(12345);
  REQUIRE_THROWS_WITH(store.create_run(bad), Catch::Contains("no dataset with id 12345"));
}

TEST_CASE("session store: answers, maps, pending prompts, labels", "[session]") {
  TempSessionPath tmp("answers");
  auto store = SessionStore::create(tmp.path);
  const auto dataset_id = store.add_dataset(small_dataset(4));
  const auto run_id = store.create_run(run_config(dataset_id));
  const auto prompts = store.prompts(dataset_id);
  REQUIRE(store.pending_prompts(run_id).size() == 4);

  auto answer = expected_answer(prompts[2].id);
  answer.completion_map = ActivationMap::zeros(kGeometry);
  answer.completion_map->at(1, 3) = 5;
  answer.weighted_map = ActivationMap::zeros(kGeometry);
  answer.weighted_map->at(0, 0) = 0.75f;
  store.record_answer(run_id, prompts[2].id, answer, "r1-refusal",
                      {{prompts[2].id, "0-REFUSED", 1}});
  store.record_answer(run_id, prompts[0].id, expected_answer(prompts[0].id), "r1-refusal",
                      {{prompts[0].id, "1-ALIGNED", 2}});

  const auto pending = store.pending_prompts(run_id);
  REQUIRE(pending.size() == 2);
  REQUIRE(pending[0].id == prompts[1].id);
  REQUIRE(pending[1].id == prompts[3].id);
  REQUIRE(store.answer_count(run_id) == 2);

  const auto answers = store.answers(run_id, true);
  REQUIRE(answers.size() == 2);
  REQUIRE(answers[0].prompt_id == prompts[0].id);  // dataset order, not insertion order
  REQUIRE(answers[1].answer.text == answer.text);
  REQUIRE(answers[1].answer.prompt_map == answer.prompt_map);
  REQUIRE(answers[1].answer.completion_map == answer.completion_map);
  REQUIRE(answers[1].answer.weighted_map == answer.weighted_map);
  REQUIRE(answers[1].answer.finish_reason == "stop");
  REQUIRE_FALSE(store.answers(run_id, false)[1].answer.prompt_map.has_value());

  std::vector<std::int64_t> ids;
  const auto maps = store.prompt_maps(run_id, ids);
  REQUIRE(ids == std::vector<std::int64_t>{prompts[0].id, prompts[2].id});
  REQUIRE(maps.n_prompts == 2);
  REQUIRE(maps.n_cells == 24);
  REQUIRE(std::vector<float>(maps.row(1), maps.row(1) + 24) == answer.prompt_map->values);
  // Other map kinds: only prompt 2 has them, so asking for them over the run names the gap.
  REQUIRE_THROWS_WITH(
      store.maps(run_id, MapKind::kCompletionCounts, ids),
      Catch::Contains("prompt " + std::to_string(prompts[0].id) + ": answer has no completion"));

  // Errors: duplicate, foreign prompt, wrong map shape.
  REQUIRE_THROWS_WITH(store.record_answer(run_id, prompts[0].id, expected_answer(prompts[0].id)),
                      Catch::Contains("already answered"));
  const auto other_dataset = store.add_dataset(small_dataset(1));
  REQUIRE_THROWS_WITH(store.record_answer(run_id, store.prompts(other_dataset)[0].id, answer),
                      Catch::Contains("is not in the dataset of run"));
  auto wrong = expected_answer(prompts[1].id);
  wrong.prompt_map = ActivationMap(3, 9);
  REQUIRE_THROWS_WITH(store.record_answer(run_id, prompts[1].id, wrong),
                      Catch::Contains("has shape 3x9"));
  REQUIRE(store.pending_prompts(run_id).size() == 2);  // failed writes left nothing behind

  // Labels: rules, then a manual label that wins, then cleared again.
  auto labels = store.labels(run_id, "r1-refusal");
  REQUIRE(labels.size() == 2);
  REQUIRE(labels[0].label == "1-ALIGNED");
  REQUIRE(labels[1].label == "0-REFUSED");
  store.set_manual_label(run_id, prompts[2].id, "r1-refusal", "1-ALIGNED",
                         "the refusal is partial");
  labels = store.labels(run_id, "r1-refusal");
  REQUIRE(labels[1].label == "1-ALIGNED");
  REQUIRE(labels[1].manual);
  REQUIRE(labels[1].rule_label == "0-REFUSED");
  // Re-running the rules does not override the manual label.
  store.set_rule_labels(run_id, "r1-refusal", {{prompts[2].id, "2-REASONED", 0}});
  REQUIRE(store.labels(run_id, "r1-refusal")[1].label == "1-ALIGNED");
  store.clear_manual_label(run_id, prompts[2].id, "r1-refusal");
  REQUIRE(store.labels(run_id, "r1-refusal")[1].label == "2-REASONED");
  REQUIRE(store.labels(run_id, "other")[0].label.empty());
  REQUIRE_THROWS_WITH(store.set_manual_label(run_id, prompts[1].id, "r1-refusal", "0-REFUSED"),
                      Catch::Contains("has no answer"));
  REQUIRE_THROWS_WITH(
      store.set_rule_labels(run_id, "r1-refusal", {{prompts[3].id, "0-REFUSED", 0}}),
      Catch::Contains("is it answered?"));

  store.store_classifier("r1-refusal", {{"name", "r1-refusal"}});
  REQUIRE(store.load_classifier("r1-refusal")->at("name") == "r1-refusal");
  REQUIRE_FALSE(store.load_classifier("nope").has_value());
}

TEST_CASE("session store: results with arrays", "[session]") {
  TempSessionPath tmp("results");
  auto store = SessionStore::create(tmp.path);
  const std::vector<float> resonance{1, 2, 3, 4, 5, 6};
  const auto id =
      store.store_result("ftri", "refused vs rest", {{"target", "0-REFUSED"}, {"runs", {1}}},
                         {{"resonance", {{2, 3}, resonance}}});
  store.store_result("evaluation", "suppress top 10", {{"flip", 0.4}});
  const auto r = store.load_result(id);
  REQUIRE(r.kind == "ftri");
  REQUIRE(r.json.at("target") == "0-REFUSED");
  std::vector<std::size_t> shape;
  REQUIRE(store.load_result_array(id, "resonance", shape) == resonance);
  REQUIRE(shape == std::vector<std::size_t>{2, 3});
  REQUIRE(store.list_results().size() == 2);
  REQUIRE(store.list_results("evaluation").size() == 1);
  REQUIRE_THROWS_WITH(store.load_result_array(id, "t", shape), Catch::Contains("no array \"t\""));
  REQUIRE_THROWS_WITH(store.store_result("x", "", {}, {{"a", {{2, 2}, resonance}}}),
                      Catch::Contains("shape"));
  REQUIRE_THROWS_WITH(store.load_result(42), Catch::Contains("no result with id 42"));
}

TEST_CASE("session files: schema version checks and foreign files", "[session]") {
  TempSessionPath tmp("schema");
  { auto store = SessionStore::create(tmp.path); }
  auto set_pragma = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(tmp.path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  };
  set_pragma("PRAGMA user_version = " + std::to_string(session_schema_version() + 1));
  REQUIRE_THROWS_WITH(
      SessionStore::open(tmp.path),
      Catch::Contains("schema version " + std::to_string(session_schema_version() + 1)) &&
          Catch::Contains("newer than this build supports"));
  set_pragma("PRAGMA user_version = " + std::to_string(session_schema_version()));
  REQUIRE_NOTHROW(SessionStore::open(tmp.path));

  // Another application's SQLite database.
  TempSessionPath other("other_app");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(other.path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  REQUIRE_THROWS_WITH(SessionStore::open(other.path), Catch::Contains("another application"));

  // Not an SQLite file at all.
  TempSessionPath text("text_file");
  std::ofstream(text.path)
      << "this is a text file, long enough to have a header? no: it is not SQLite at all......"
      << std::string(200, '.');
  REQUIRE_THROWS_WITH(SessionStore::open(text.path), Catch::Contains("not a MoTE session file"));
  REQUIRE_THROWS_WITH(SessionStore::open(tmp.path.string() + ".missing"),
                      Catch::Contains("no such session file"));

  // An empty (0-byte) file is a fresh database: it gets the schema.
  TempSessionPath empty("empty_file");
  std::ofstream(empty.path).close();
  REQUIRE(SessionStore::open(empty.path).schema_version() == session_schema_version());
}

TEST_CASE("session files: a killed writer loses nothing committed and resumes exactly",
          "[session][crash]") {
  TempSessionPath tmp("sigkill");
  const std::size_t n_prompts = 400;
  std::int64_t run_id = 0;
  {
    auto store = SessionStore::create(tmp.path);
    run_id = store.create_run(run_config(store.add_dataset(small_dataset(n_prompts))));
  }
  int progress[2];
  REQUIRE(::pipe(progress) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Child: its own connection; writes answers until killed. Never returns into Catch.
    ::close(progress[0]);
    try {
      auto store = SessionStore::open(tmp.path);
      for (const auto& p : store.pending_prompts(run_id)) {
        store.record_answer(run_id, p.id, expected_answer(p.id), "r1-refusal",
                            {{p.id, "1-ALIGNED", 2}});
        const char byte = 1;
        if (::write(progress[1], &byte, 1) != 1) ::_exit(3);
      }
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  ::close(progress[1]);
  // Let it commit some answers, then kill it mid-way (very likely inside a transaction).
  std::size_t reported = 0;
  char buffer[64];
  while (reported < 60) {
    const auto n = ::read(progress[0], buffer, sizeof(buffer));
    REQUIRE(n > 0);
    reported += static_cast<std::size_t>(n);
  }
  REQUIRE(::kill(child, SIGKILL) == 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  while (::read(progress[0], buffer, sizeof(buffer)) > 0) {
  }
  ::close(progress[0]);

  auto store = SessionStore::open(tmp.path);
  const auto answers = store.answers(run_id, true);
  INFO("committed before the kill: " << answers.size());
  REQUIRE(answers.size() >= 60);
  REQUIRE(answers.size() < n_prompts);
  std::set<std::int64_t> answered;
  for (const auto& a : answers) {
    const auto expected = expected_answer(a.prompt_id);
    REQUIRE(a.answer.text == expected.text);
    REQUIRE(a.answer.prompt_tokens == expected.prompt_tokens);
    REQUIRE(a.answer.prompt_map == expected.prompt_map);
    REQUIRE(answered.insert(a.prompt_id).second);
  }
  const auto labels = store.labels(run_id, "r1-refusal");
  REQUIRE(labels.size() == answers.size());
  for (const auto& l : labels)
    REQUIRE(l.label == "1-ALIGNED");  // answer and label in one transaction
  const auto pending = store.pending_prompts(run_id);
  REQUIRE(pending.size() + answers.size() == n_prompts);
  for (const auto& p : pending) REQUIRE_FALSE(answered.count(p.id));
  // Resume: finish the rest; nothing is duplicated or lost.
  for (const auto& p : pending) store.record_answer(run_id, p.id, expected_answer(p.id));
  REQUIRE(store.pending_prompts(run_id).empty());
  REQUIRE(store.answer_count(run_id) == n_prompts);
}

namespace {
// R1-like prompt routing: T prompt tokens, 58 MoE layers, top-8 distinct experts of 256 per
// token, skewed towards a few popular experts per layer as real routers are.
ActivationMap r1_like_prompt_map(std::mt19937& rng, const ModelGeometry& g) {
  std::uniform_int_distribution<std::size_t> length(8, 24);
  std::geometric_distribution<int> popular(0.02);
  RoutingRecord r;
  r.n_tokens = length(rng);
  r.n_moe_layers = g.n_moe_layers();
  r.top_k = 8;
  r.is_prompt.assign(r.n_tokens, 1);
  for (std::size_t t = 0; t < r.n_tokens; ++t) {
    for (std::size_t l = 0; l < r.n_moe_layers; ++l) {
      std::set<int> chosen;
      while (chosen.size() < 8) chosen.insert(popular(rng) % 256);
      r.ids.insert(r.ids.end(), chosen.begin(), chosen.end());
    }
  }
  return activation_map_from_routing(r, g, TokenSelection::kPrompt, false);
}

double session_bytes_per_prompt(std::size_t n_prompts) {
  TempSessionPath tmp("size");
  const auto g = ModelGeometry::deepseek_r1();
  std::mt19937 rng(5);
  {
    auto store = SessionStore::create(tmp.path);
    auto config = run_config(store.add_dataset(small_dataset(n_prompts)));
    config.geometry = g;
    const auto run_id = store.create_run(config);
    const std::size_t base = fs::file_size(tmp.path);
    (void)base;
    for (const auto& p : store.pending_prompts(run_id)) {
      AnswerRecord a;
      a.text = "<think>\n\n</think>\n\nI am sorry, I cannot answer that question.";
      a.finish_reason = "stop";
      a.prompt_map = r1_like_prompt_map(rng, g);
      store.record_answer(run_id, p.id, a);
    }
  }  // closing checkpoints the WAL into the main file
  return static_cast<double>(fs::file_size(tmp.path)) / static_cast<double>(n_prompts);
}
}  // namespace

TEST_CASE("session file size with R1 prompt maps stays compact", "[session]") {
  const double per_prompt = session_bytes_per_prompt(50);
  INFO("bytes per prompt: " << per_prompt);
  REQUIRE(per_prompt < 20000);  // dense float32 would be 59,392 bytes per map
}

TEST_CASE("session file size per 1,000 R1 prompts (report)", "[session][.size]") {
  const double per_prompt = session_bytes_per_prompt(1000);
  WARN("session file: " << per_prompt << " bytes per prompt, " << per_prompt * 1000 / 1e6
                        << " MB per 1,000 prompts");
}
