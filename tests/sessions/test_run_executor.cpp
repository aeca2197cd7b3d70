// execute_run against a real local engine on the tiny model.
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>

#include "engine_test_support.h"
#include "sessions/answer_classifier.h"
#include "sessions/run_executor.h"
#include "sessions/session_error.h"
#include "sessions/session_store.h"

using namespace mote;
using namespace mote::sessions;
using namespace mote::sessions_test;

namespace {

Dataset questions(std::size_t n, PromptMode mode = PromptMode::kChat) {
  Dataset d;
  d.name = "questions";
  d.mode = mode;
  if (mode == PromptMode::kChat) d.system_prompt = "Answer briefly.";
  const char* topics[] = {"the sky", "the sea", "Beijing", "1989", "bread", "rivers", "music"};
  for (std::size_t i = 0; i < n; ++i)
    d.prompts.push_back(
        {"Tell me about " + std::string(topics[i % 7]) + " (" + std::to_string(i) + ")",
         {{"i", std::to_string(i)}}});
  return d;
}

RunConfig run_config(std::int64_t dataset_id, const std::string& name, int max_tokens,
                     nlohmann::json sampling = {{"temperature", 0.0}}) {
  RunConfig c;
  c.dataset_id = dataset_id;
  c.name = name;
  c.model_id = "v3-tiny";
  c.geometry = tiny_geometry();
  c.sampling = std::move(sampling);
  c.seed = 42;
  c.max_tokens = max_tokens;
  c.engine_version = "test";
  return c;
}

AnswerClassifier length_classifier() {
  return AnswerClassifier::from_json({{"name", "length"},
                                      {"labels", {"LONG", "SHORT"}},
                                      {"rules",
                                       {{{"label", "LONG"}, {"answer_regex", "(?s).{12,}"}},
                                        {{"label", "SHORT"}, {"default", true}}}}},
                                     "test");
}

struct Session {
  TempDir dir{"mote-run"};
  SessionStore store = SessionStore::create(dir / "s.mote");
};

}  // namespace

TEST_CASE("prompt_seed is deterministic, position-dependent and non-negative", "[run-executor]") {
  CHECK(prompt_seed(42, 0) == prompt_seed(42, 0));
  CHECK(prompt_seed(42, 0) != prompt_seed(42, 1));
  CHECK(prompt_seed(42, 1) != prompt_seed(43, 0));
  CHECK(prompt_seed(-1, 5) >= 0);
}

TEST_CASE(
    "execute_run records every prompt with maps and labels, and a cancelled run resumes to "
    "the same answers as an uninterrupted one",
    "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(6));
  const nlohmann::json sampling = {{"temperature", 0.9}, {"top_p", 0.95}};
  const std::int64_t full = s.store.create_run(run_config(dataset, "full", 8, sampling));
  const std::int64_t resumed = s.store.create_run(run_config(dataset, "resumed", 8, sampling));
  const EngineClient client = shared_client();
  const AnswerClassifier classifier = length_classifier();
  RunExecutorOptions options;
  options.classifier = &classifier;

  std::vector<RunProgress> progress;
  CHECK(execute_run(s.store, full, client, options,
                    [&](const RunProgress& p) { progress.push_back(p); }) == RunStatus::kFinished);
  CHECK(s.store.run(full).status == RunStatus::kFinished);
  REQUIRE(progress.size() == 6);
  CHECK(progress.back().done == 6);
  CHECK(progress.back().total == 6);
  CHECK(progress.back().done_this_call == 6);
  CHECK(progress.back().prompts_per_second > 0);
  CHECK(progress.back().eta_seconds == 0);
  CHECK(progress[2].eta_seconds > 0);
  CHECK(!progress.back().last_label.empty());

  const auto answers = s.store.answers(full, /*with_maps=*/true);
  REQUIRE(answers.size() == 6);
  for (const auto& a : answers) {
    INFO("position " << a.position);
    CHECK(a.answer.completion_tokens >= 1);
    CHECK(a.answer.completion_tokens <= 8);
    CHECK(a.answer.prompt_tokens > 0);
    CHECK(a.answer.elapsed_ms > 0);
    REQUIRE(a.answer.prompt_map);
    REQUIRE(a.answer.completion_map);
    REQUIRE(a.answer.weighted_map);
    float prompt_total = 0, completion_total = 0, weighted_total = 0;
    for (float v : a.answer.prompt_map->values) prompt_total += v;
    for (float v : a.answer.completion_map->values) completion_total += v;
    for (float v : a.answer.weighted_map->values) weighted_total += v;
    // No tuning: every token selects top-k experts in each of the 3 MoE layers.
    CHECK(prompt_total == a.answer.prompt_tokens * 3 * 4);
    CHECK(completion_total == (a.answer.completion_tokens - 1) * 3 * 4);
    CHECK(weighted_total > 0);
  }
  const auto labels = s.store.labels(full, "length");
  REQUIRE(labels.size() == 6);
  for (const auto& l : labels) CHECK((l.label == "LONG" || l.label == "SHORT"));
  CHECK(s.store.load_classifier("length"));

  // Cancel after two recorded prompts, then resume.
  std::atomic<bool> cancel{false};
  CHECK(execute_run(
            s.store, resumed, client, options,
            [&](const RunProgress& p) {
              if (p.done_this_call == 2) cancel = true;
            },
            &cancel) == RunStatus::kCancelled);
  CHECK(s.store.run(resumed).status == RunStatus::kCancelled);
  CHECK(s.store.answer_count(resumed) == 2);
  std::size_t first_done = 0;
  CHECK(execute_run(s.store, resumed, client, options, [&](const RunProgress& p) {
          if (first_done == 0) first_done = p.done;
        }) == RunStatus::kFinished);
  CHECK(first_done == 3);  // counts the answers of the earlier call
  const auto resumed_answers = s.store.answers(resumed, true);
  REQUIRE(resumed_answers.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    INFO("position " << i);
    CHECK(resumed_answers[i].position == i);
    CHECK(resumed_answers[i].answer.text == answers[i].answer.text);
    CHECK(resumed_answers[i].answer.completion_tokens == answers[i].answer.completion_tokens);
    CHECK(*resumed_answers[i].answer.prompt_map == *answers[i].answer.prompt_map);
    CHECK(*resumed_answers[i].answer.completion_map == *answers[i].answer.completion_map);
  }
  // Nothing pending: a further call finishes at once.
  CHECK(execute_run(s.store, resumed, client, options) == RunStatus::kFinished);
  CHECK(s.store.answer_count(resumed) == 6);
}

TEST_CASE("execute_run: raw prompts, ids-only capture under a suppressing tuning",
          "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(3, PromptMode::kRaw));
  RunConfig config = run_config(dataset, "tuned", 4);
  config.kind = RunKind::kTuned;
  config.tuning.suppress = {{1, 0}, {1, 1}, {1, 2}, {1, 3}};
  const std::int64_t run = s.store.create_run(config);
  RunExecutorOptions options;
  options.weighted_maps = false;
  options.completion_maps = false;
  CHECK(execute_run(s.store, run, shared_client(), options) == RunStatus::kFinished);
  const auto answers = s.store.answers(run, true);
  REQUIRE(answers.size() == 3);
  for (const auto& a : answers) {
    REQUIRE(a.answer.prompt_map);
    CHECK(!a.answer.completion_map);
    CHECK(!a.answer.weighted_map);
    for (int e = 0; e < 4; ++e) CHECK(a.answer.prompt_map->at(0, e) == 0);
  }
}

TEST_CASE("execute_run with max_tokens 0 scans: the prompt maps of a generation, no text",
          "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(9));
  TuningSpec tuning;
  tuning.suppress = {{2, 7}};
  RunConfig scan_config = run_config(dataset, "scan", 0);
  scan_config.tuning = tuning;
  RunConfig generate_config = run_config(dataset, "generate", 1);
  generate_config.tuning = tuning;
  const std::int64_t scan_run = s.store.create_run(scan_config);
  const std::int64_t generate_run = s.store.create_run(generate_config);
  RunExecutorOptions options;
  options.scan_request_prompts = 4;  // three requests
  options.scan_batch_size = 3;
  std::size_t calls = 0;
  CHECK(execute_run(s.store, scan_run, shared_client(), options,
                    [&](const RunProgress&) { ++calls; }) == RunStatus::kFinished);
  CHECK(calls == 9);
  CHECK(execute_run(s.store, generate_run, shared_client(), options) == RunStatus::kFinished);
  const auto scanned = s.store.answers(scan_run, true);
  const auto generated = s.store.answers(generate_run, true);
  REQUIRE(scanned.size() == 9);
  REQUIRE(generated.size() == 9);
  for (std::size_t i = 0; i < 9; ++i) {
    INFO("position " << i);
    CHECK(scanned[i].answer.text.empty());
    CHECK(scanned[i].answer.completion_tokens == 0);
    CHECK(scanned[i].answer.finish_reason == "length");
    CHECK(!scanned[i].answer.completion_map);
    CHECK(scanned[i].answer.prompt_tokens == generated[i].answer.prompt_tokens);
    REQUIRE(scanned[i].answer.prompt_map);
    CHECK(*scanned[i].answer.prompt_map == *generated[i].answer.prompt_map);
    CHECK(scanned[i].answer.prompt_map->at(1, 7) == 0);
    REQUIRE(scanned[i].answer.weighted_map);
    for (std::size_t c = 0; c < 48; ++c)
      CHECK(scanned[i].answer.weighted_map->values[c] ==
            Approx(generated[i].answer.weighted_map->values[c]).margin(1e-3));
  }

  // Cancelling a scan keeps the prompts recorded so far; the rerun completes the rest.
  const std::int64_t again = s.store.create_run(run_config(dataset, "scan again", 0));
  std::atomic<bool> cancel{false};
  CHECK(execute_run(
            s.store, again, shared_client(), options,
            [&](const RunProgress& p) {
              if (p.done_this_call == 5) cancel = true;
            },
            &cancel) == RunStatus::kCancelled);
  CHECK(s.store.answer_count(again) == 5);
  CHECK(execute_run(s.store, again, shared_client(), options) == RunStatus::kFinished);
  CHECK(s.store.answer_count(again) == 9);
}

TEST_CASE("execute_run: another model's run is refused, an engine error fails the run",
          "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(2));
  RunConfig r1 = run_config(dataset, "r1", 4);
  r1.geometry = ModelGeometry::deepseek_r1();
  const std::int64_t wrong_model = s.store.create_run(r1);
  CHECK_THROWS_WITH(execute_run(s.store, wrong_model, shared_client(), {}),
                    Catch::Contains("cannot run on the engine at"));
  CHECK(s.store.run(wrong_model).status == RunStatus::kPending);

  const std::int64_t bad_sampling =
      s.store.create_run(run_config(dataset, "bad", 4, {{"temperature", 0.5}, {"top_p", 0}}));
  try {
    execute_run(s.store, bad_sampling, shared_client(), {});
    FAIL("no error");
  } catch (const EngineError& e) {
    CHECK(e.kind() == EngineError::Kind::kHttp);
    CHECK(e.status() == 400);
    CHECK_THAT(e.what(), Catch::Contains("top_p"));
  }
  CHECK(s.store.run(bad_sampling).status == RunStatus::kFailed);

  const std::int64_t unknown_key =
      s.store.create_run(run_config(dataset, "typo", 4, {{"temprature", 0.5}}));
  CHECK_THROWS_WITH(execute_run(s.store, unknown_key, shared_client(), {}),
                    Catch::Contains("unknown key \"temprature\""));
  CHECK(s.store.run(unknown_key).status == RunStatus::kFailed);
}

// Throughput of the two paths (not run by default): greedy generation of 16 tokens per prompt
// and the batched scan of max_tokens 0 runs.
TEST_CASE("execute_run throughput", "[.runbench]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(32));
  for (int max_tokens : {16, 0}) {
    const std::int64_t run =
        s.store.create_run(run_config(dataset, "bench " + std::to_string(max_tokens), max_tokens));
    double rate = 0;
    execute_run(s.store, run, shared_client(), {},
                [&](const RunProgress& p) { rate = p.prompts_per_second; });
    std::cout << "execute_run max_tokens " << max_tokens << ": " << rate << " prompts/s\n";
  }
  // The scan alone (no session writes), same prompts and batch size.
  std::vector<ScanPrompt> prompts;
  for (const auto& p : questions(32).prompts) {
    ScanPrompt sp;
    sp.messages = {{"system", "Answer briefly."}, {"user", p.text}};
    prompts.push_back(sp);
  }
  ScanOptions options;
  options.batch_size = 16;
  options.weighted = true;
  const auto t0 = std::chrono::steady_clock::now();
  shared_client().scan(prompts, options, tiny_geometry(), [](const ScanResult&) {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "EngineClient::scan alone: " << 32 / seconds << " prompts/s\n";
}

namespace {

// Text and every map of a run's answers, in dataset order.
void check_same_answers(SessionStore& store, std::int64_t a, std::int64_t b) {
  const auto x = store.answers(a, true), y = store.answers(b, true);
  REQUIRE(x.size() == y.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("prompt " << x[i].position);
    CHECK(x[i].position == y[i].position);
    CHECK(x[i].answer.text == y[i].answer.text);
    CHECK(x[i].answer.completion_tokens == y[i].answer.completion_tokens);
    CHECK(x[i].answer.finish_reason == y[i].answer.finish_reason);
    REQUIRE(x[i].answer.prompt_map);
    REQUIRE(y[i].answer.prompt_map);
    CHECK(*x[i].answer.prompt_map == *y[i].answer.prompt_map);
    REQUIRE(x[i].answer.completion_map);
    REQUIRE(y[i].answer.completion_map);
    CHECK(*x[i].answer.completion_map == *y[i].answer.completion_map);
    REQUIRE(x[i].answer.weighted_map);
    REQUIRE(y[i].answer.weighted_map);
    CHECK(*x[i].answer.weighted_map == *y[i].answer.weighted_map);
  }
}

}  // namespace

TEST_CASE("execute_run stores the same answers at any concurrency, over one or two engines",
          "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(24));
  // Sampled, so each prompt's own seed matters; a tuning, so the routing differs from untuned.
  const nlohmann::json sampling = {{"temperature", 0.8}, {"top_p", 0.95}};
  RunConfig config = run_config(dataset, "one", 6, sampling);
  config.tuning.suppress = {{2, 1}, {3, 0}};
  config.tuning.stimulate = {{1, 5}};
  const std::int64_t one = s.store.create_run(config);
  config.name = "sixteen";
  const std::int64_t sixteen = s.store.create_run(config);
  config.name = "two-engines";
  const std::int64_t two = s.store.create_run(config);

  RunExecutorOptions options;
  options.concurrency = 1;
  CHECK(execute_run(s.store, one, shared_client(), options) == RunStatus::kFinished);
  options.concurrency = 16;
  std::vector<std::size_t> done;
  CHECK(execute_run(s.store, sixteen, shared_client(), options,
                    [&](const RunProgress& p) { done.push_back(p.done); }) == RunStatus::kFinished);
  CHECK(done.size() == 24);  // one progress call per recorded answer
  CHECK(done.back() == 24);
  check_same_answers(s.store, one, sixteen);

  TinyModelDir model;
  // The same checkpoint under the same model id (ids default to the directory's name).
  auto second =
      LocalEngine::start(tiny_engine_options(model, {"--model-id", shared_client().model().id}));
  const EngineClient other = second->client();
  options.more_engines = {&other};
  options.concurrency = 6;
  CHECK(execute_run(s.store, two, shared_client(), options) == RunStatus::kFinished);
  check_same_answers(s.store, one, two);
  CHECK(other.health()["forwards"].get<int>() > 0);  // the second engine took prompts
}

TEST_CASE("execute_run --limit answers the first pending prompts by position and finishes",
          "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(20));
  const std::int64_t run = s.store.create_run(run_config(dataset, "limited", 3));
  RunExecutorOptions options;
  options.concurrency = 8;
  options.limit = 7;
  // Answering the prompts asked for finishes the run (a subset of 7, resumable), it is not
  // cancelled: only a raised cancel flag is.
  CHECK(execute_run(s.store, run, shared_client(), options) == RunStatus::kFinished);
  CHECK(s.store.run(run).status == RunStatus::kFinished);
  auto answers = s.store.answers(run);
  REQUIRE(answers.size() == 7);
  for (std::size_t i = 0; i < answers.size(); ++i) CHECK(answers[i].position == i);
  options.limit = 100;  // more than is left: the run resumes and finishes the dataset
  CHECK(execute_run(s.store, run, shared_client(), options) == RunStatus::kFinished);
  CHECK(s.store.answers(run).size() == 20);
  CHECK(s.store.run(run).status == RunStatus::kFinished);
}

TEST_CASE("execute_run refuses engines that serve different models before any work",
          "[run-executor]") {
  Session s;
  const std::int64_t dataset = s.store.add_dataset(questions(3));
  const std::int64_t run = s.store.create_run(run_config(dataset, "mixed", 3));
  LocalEngineOptions demo;
  demo.engine_executable = engine_binary();
  demo.model_dir = std::filesystem::path(MOTE_SOURCE_DIR) / "resources/models/mote-organism";
  demo.extra_args = {"--threads", "1"};
  demo.start_timeout = std::chrono::seconds(60);
  auto engine = LocalEngine::start(demo);
  const EngineClient other = engine->client();
  RunExecutorOptions options;
  options.more_engines = {&other};
  try {
    execute_run(s.store, run, shared_client(), options);
    FAIL("expected a SessionError");
  } catch (const SessionError& e) {
    CHECK_THAT(e.what(), Catch::Contains("must serve the same model") &&
                             Catch::Contains(other.endpoint().url));
  }
  CHECK(s.store.answer_count(run) == 0);
  CHECK(s.store.run(run).status == RunStatus::kPending);
}
