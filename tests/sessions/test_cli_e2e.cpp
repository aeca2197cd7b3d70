// End to end: the real build/bin/mote executable against one real `mote-engine serve` on the
// tiny R1-format model (tests/data/v3-tiny + tests/data/tiny-tokenizer), reached with --engine
// URL --api-key-file F. The whole experiment pipeline, then a run killed with SIGKILL (and one
// stopped with SIGINT) mid-way and resumed: no duplicates, no losses, the same answers.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cli_test_support.h"
#include "protocol/npy.h"
#include "protocol/tuning_spec.h"
#include "sessions/csv_reader.h"
#include "sessions/local_engine.h"
#include "sessions/session_store.h"

using namespace mote;
using namespace mote::sessions;
using mote::test::CliResult;
using mote::test::CliTempDir;
using mote::test::run_mote;
namespace fs = std::filesystem;

namespace {

// One engine for all end-to-end tests of this process (loading it is the slow part).
struct TinyEngine {
  CliTempDir dir{"mote-cli-e2e-engine"};
  std::unique_ptr<LocalEngine> engine;
  std::string url, key_file;

  TinyEngine() {
    const fs::path model = dir.path() / "v3-tiny";
    fs::create_directories(model);
    const fs::path data = MOTE_TEST_DATA_DIR;
    for (const char* f : {"config.json", "model.safetensors", "generation_config.json"})
      fs::create_symlink(data / "v3-tiny" / f, model / f);
    for (const char* f : {"tokenizer.json", "tokenizer_config.json"})
      fs::create_symlink(data / "tiny-tokenizer" / f, model / f);
    LocalEngineOptions options;
    options.engine_executable = fs::path(MOTE_BIN_DIR) / "mote-engine";
    options.model_dir = model;
    options.extra_args = {"--threads", "1"};
    engine = LocalEngine::start(options);
    url = engine->endpoint().url;
    key_file = dir / "key";
    std::ofstream(key_file) << engine->endpoint().api_key << "\n";
  }
  std::vector<std::string> args() const { return {"--engine", url, "--api-key-file", key_file}; }
};

TinyEngine& tiny_engine() {
  static TinyEngine engine;
  return engine;
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

CliResult mote_ok(const std::vector<std::string>& args, const fs::path& dir) {
  CliResult r = run_mote(args, dir);
  INFO("mote " << args.at(0) << " " << (args.size() > 1 ? args[1] : "") << "\nstdout:\n"
               << r.out << "\nstderr:\n"
               << r.err);
  REQUIRE(r.code == 0);
  return r;
}

// A dataset of 30 prompts, the refusal template's shape.
const std::vector<std::string> kTemplate = {
    "--name",     "years",
    "--template", "What happened {time} {place}?",
    "--values",   "time=1980,1981,1982,1983,1984,1985,1986,1987,1988,1989",
    "--values",   "place=in Beijing,in Paris,at Heathrow"};

// Two classes on the tiny random model's gibberish: answers with a space and the rest.
const char* kRules = R"({"name": "tiny-space", "labels": ["SPACE", "OTHER"],
  "rules": [{"label": "SPACE", "answer_regex": " "}, {"label": "OTHER", "default": true}]})";

}  // namespace

TEST_CASE("mote CLI end to end: new, dataset, run, label, ftri, eval, control, tsne, export",
          "[cli][e2e]") {
  TinyEngine& engine = tiny_engine();
  CliTempDir dir("mote-cli-e2e");
  const std::string session = dir / "refusal.mote";
  const std::string rules = dir / "rules.json";
  std::ofstream(rules) << kRules;
  const auto E = engine.args();

  mote_ok({"new", session}, dir.path());
  auto r = mote_ok(concat({"dataset", "add", session}, kTemplate), dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("30 prompts"));

  r = mote_ok(concat({"run", session, "--dataset", "years", "--name", "original", "--max-tokens",
                      "8", "--classifier", rules},
                     E),
              dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("created run 1 'original'"));
  REQUIRE_THAT(r.out, Catch::Contains("finished: 30/30 answered"));
  REQUIRE_THAT(r.out, Catch::Contains("SPACE") && Catch::Contains("OTHER"));
  REQUIRE_THAT(r.err, Catch::Contains("original 30/30 prompts"));  // the plain progress line
  // The same command again: nothing left to do, the engine is not even needed.
  r = mote_ok({"run", session, "--dataset", "years", "--name", "original"}, dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("nothing to do: all 30 prompts are answered"));

  r = mote_ok({"label", session, "--run", "original", "--classifier", rules}, dir.path());
  std::size_t n_space = 0;
  {
    SessionStore store = SessionStore::open(session);
    for (const auto& l : store.labels(1, "tiny-space")) n_space += l.label == "SPACE";
  }
  INFO("answers with a space: " << n_space);
  REQUIRE(n_space >= 3);
  REQUIRE(n_space <= 27);

  r = mote_ok(
      {"ftri", session, "--run", "original", "--classifier", "tiny-space", "--class", "SPACE",
       "--top", "5", "--permutations", "200", "--bootstrap", "20", "--out", dir / "out"},
      dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("rank  layer  moe_layer  expert  resonance"));
  REQUIRE_THAT(r.out, Catch::Contains("result 1 stored"));

  r = mote_ok(concat({"eval", session, "--ftri", "1", "--top", "5", "--out", dir / "out"}, E),
              dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("tuned: run 2 'original-ftri1-suppress-top5'"));
  REQUIRE_THAT(r.out, Catch::Contains("30 prompts answered in both"));
  REQUIRE_THAT(r.out, Catch::Contains("flip of SPACE: "));

  r = mote_ok(concat({"control", session, "--ftri", "1", "--top", "5", "--draws", "2", "--seed",
                      "3", "--out", dir / "out"},
                     E),
              dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("2 draws of 5 random experts"));
  REQUIRE_THAT(r.out, Catch::Contains("(mean ± std, K = 2), pooled "));
  // Draws 1 and 2 flip 6 and 7 of 13, the tuned set 5: both at least as much, p = 3/3; the
  // Fisher test of 5/13 against 13/26 is not significant either.
  REQUIRE_THAT(r.out, Catch::Contains("empirical p = 1 "));
  REQUIRE_THAT(r.out, Catch::Contains("Fisher p = "));
  REQUIRE_THAT(r.out, Catch::Contains("95 % CI"));

  r = mote_ok({"tsne", session, "--run", "original", "--classifier", "tiny-space", "--perplexity",
               "8", "--iterations", "250", "--out", dir / "tsne.csv"},
              dir.path());
  r = mote_ok({"export", session, "--all", "--top", "5", "--out", dir / "export"}, dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("run-1_prompt_maps.npy"));

  // The session file: runs, answers, labels, results.
  SessionStore store = SessionStore::open(session);
  const auto runs = store.list_runs();
  REQUIRE(runs.size() == 4);  // original, tuned, 2 random draws
  REQUIRE(runs[0].config.kind == RunKind::kOriginal);
  REQUIRE(runs[1].config.kind == RunKind::kTuned);
  REQUIRE(runs[1].config.tuning.suppress.size() == 5);
  REQUIRE(runs[2].config.kind == RunKind::kRandomControl);
  REQUIRE(runs[3].config.draw_index == 1);
  std::set<ExpertAddress> tuned(runs[1].config.tuning.suppress.begin(),
                                runs[1].config.tuning.suppress.end());
  for (const auto& run : runs) {
    INFO("run " << run.id);
    REQUIRE(run.status == RunStatus::kFinished);
    REQUIRE(run.config.max_tokens == 8);
    REQUIRE(run.config.geometry.moe_layers == std::vector<int>{1, 2, 3});
    REQUIRE(store.answer_count(run.id) == 30);
    for (const auto& l : store.labels(run.id, "tiny-space")) REQUIRE(!l.label.empty());
    if (run.config.kind == RunKind::kRandomControl) {
      for (const auto& a : run.config.tuning.suppress) REQUIRE(tuned.count(a) == 0);
    }
  }
  // Prompt maps of the untuned run: every prompt token selects top_k = 4 experts per layer.
  for (const auto& a : store.answers(1, true)) {
    REQUIRE(a.answer.prompt_map.has_value());
    REQUIRE(a.answer.completion_map.has_value());
    REQUIRE(a.answer.weighted_map.has_value());
    REQUIRE(a.answer.prompt_tokens > 0);
    for (std::size_t layer = 0; layer < 3; ++layer) {
      float sum = 0;
      for (std::size_t e = 0; e < 16; ++e) sum += a.answer.prompt_map->at(layer, e);
      REQUIRE(sum == static_cast<float>(a.answer.prompt_tokens * 4));
    }
  }
  std::map<std::string, int> kinds;
  for (const auto& res : store.list_results()) ++kinds[res.kind];
  REQUIRE(kinds == std::map<std::string, int>{
                       {"evaluation", 1}, {"ftri", 1}, {"random-control", 1}, {"tsne", 1}});
  const auto evaluation = store.list_results("evaluation").at(0).json;
  std::size_t total = 0;
  for (const auto& row : evaluation.at("transitions").at("counts"))
    for (const auto& c : row) total += c.get<std::size_t>();
  REQUIRE(total == 30);
  const auto control = store.list_results("random-control").at(0).json;
  REQUIRE(control.at("draws").size() == 2);
  REQUIRE(control.at("p").get<double>() > 0);

  // Exported files parse: npy headers and shapes, CSV columns, tuning JSON.
  const fs::path ex = dir.path() / "export";
  std::vector<std::size_t> shape;
  read_npy(ex / "run-1_prompt_maps.npy", shape);
  REQUIRE(shape == std::vector<std::size_t>{30, 3, 16});
  const std::string npy = mote::test::read_text(ex / "ftri-1_resonance.npy");
  REQUIRE(npy.substr(0, 6) == "\x93NUMPY");
  REQUIRE_THAT(npy.substr(10, 60),
               Catch::Contains("'descr': '<f4'") && Catch::Contains("'shape': (3, 16)"));
  const auto experts = parse_csv(mote::test::read_text(ex / "ftri-1_experts.csv"), "experts");
  REQUIRE(experts.at(0) == std::vector<std::string>{"rank", "layer", "moe_layer", "expert",
                                                    "resonance", "t", "p", "q", "stability"});
  REQUIRE(experts.size() == 49);
  const auto answers = parse_csv(mote::test::read_text(ex / "run-2_answers.csv"), "answers");
  REQUIRE(answers.size() == 31);
  REQUIRE(answers.at(0).back() == "manual:tiny-space");
  const TuningSpec top5 =
      TuningSpec::parse(mote::test::read_text(ex / "ftri-1_tuning_top5_suppress.json"));
  top5.validate(runs[0].config.geometry);
  REQUIRE(top5.suppress == runs[1].config.tuning.suppress);
  const auto transitions = mote::test::read_text(ex / "evaluation-2_transitions.csv");
  REQUIRE_THAT(transitions, Catch::StartsWith("original\\tuned (count),SPACE,OTHER\n"));
  const auto draws = parse_csv(mote::test::read_text(ex / "random-control-3_draws.csv"), "draws");
  REQUIRE(draws.size() == 3);
  const auto tsne = parse_csv(mote::test::read_text(dir / "tsne.csv"), "tsne");
  REQUIRE(tsne.size() == 31);
  REQUIRE(tsne[0].at(3) == "label");

  // A partly answered original (mote run --limit): eval, control and dose answer the same first
  // prompts in their runs, not the whole dataset.
  r = mote_ok(concat({"run", session, "--dataset", "years", "--name", "subset", "--max-tokens", "8",
                      "--classifier", rules, "--limit", "12"},
                     E),
              dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("finished: 12/") &&
                          Catch::Contains("the run answers the first 12 prompts (--limit)"));
  {
    // The limited run did what it was asked: finished, with its 12 answers (not cancelled).
    SessionStore limited = SessionStore::open(session);
    std::size_t found = 0;
    for (const auto& run : limited.list_runs()) {
      if (run.config.name != "subset") continue;
      ++found;
      CHECK(run.status == RunStatus::kFinished);
      CHECK(limited.answer_count(run.id) == 12);
    }
    CHECK(found == 1);
  }
  r = mote_ok(concat({"eval", session, "--original", "subset", "--ftri", "1", "--top", "5", "--out",
                      dir / "out"},
                     E),
              dir.path());
  REQUIRE_THAT(r.err, Catch::Contains("answering the original's first 12"));
  REQUIRE_THAT(r.out, Catch::Contains("12 prompts answered in both"));
  r = mote_ok(concat({"dose", session, "--original", "subset", "--ftri", "1", "--sizes", "1,5",
                      "--out", dir / "out"},
                     E),
              dir.path());
  r = mote_ok(concat({"control", session, "--original", "subset", "--ftri", "1", "--top", "5",
                      "--draws", "1", "--out", dir / "out"},
                     E),
              dir.path());
  SessionStore after = SessionStore::open(session);
  for (const auto& run : after.list_runs()) {
    if (run.config.name.rfind("subset", 0) != 0) continue;
    INFO("run " << run.config.name);
    CHECK(after.answer_count(run.id) == 12);
  }
  CHECK(after.list_runs().size() == 4 + 4);  // subset, its top 1 and top 5, one control draw
}

TEST_CASE("mote capability: the demo model's held-out arithmetic, original vs tuned",
          "[cli][e2e]") {
  CliTempDir dir("mote-cli-e2e-capability");
  const std::string session = dir / "capability.mote";
  const fs::path model = fs::path(MOTE_SOURCE_DIR) / "resources" / "models" / "mote-organism";
  const std::vector<std::string> engine = {"--model", model.string(), "--engine-threads", "1"};
  mote_ok({"new", session}, dir.path());
  mote_ok({"dataset", "add", session, "--file", (model / "heldout-arithmetic.json").string()},
          dir.path());
  mote_ok(concat({"run", session, "--dataset", "organism-heldout-arithmetic", "--name",
                  "arithmetic", "--max-tokens", "64"},
                 engine),
          dir.path());
  // Usage and data errors name the problem.
  CliResult r = run_mote({"capability", session, "--original", "arithmetic"}, dir.path());
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("give --tuned RUN or --tuning F.json"));
  r = run_mote({"capability", session, "--original", "arithmetic", "--tuned", "arithmetic",
                "--expected", "sum"},
               dir.path());
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("no prompt with metadata \"sum\""));

  // Suppressing one expert in every MoE layer of the demo model (4 of 128 each).
  const std::string tuning = dir / "four.json";
  std::ofstream(tuning) << R"({"suppress": [[1, 0], [2, 0], [3, 0], [4, 0]]})";
  r = mote_ok(concat({"capability", session, "--original", "arithmetic", "--tuning", tuning,
                      "--out", dir / "out"},
                     engine),
              dir.path());
  CHECK_THAT(r.out, Catch::Contains("146 prompts with an expected answer (\"expected\") answered "
                                    "in both"));
  CHECK_THAT(r.out, Catch::Contains("95 % CI"));
  CHECK_THAT(r.out, Catch::Contains("points; broke "));
  CHECK_THAT(r.out, Catch::Contains("capability-1_prompts.csv"));
  SessionStore store = SessionStore::open(session);
  const auto result = store.load_result(1);
  CHECK(result.kind == "capability");
  // The shipped model answers its held-out sums: well above chance, as its model card says.
  CHECK(result.json.at("original").at("accuracy").get<double>() > 0.9);
  CHECK(store.run(2).config.tuning.suppress.size() == 4);
}

TEST_CASE("mote run refuses a tuning with the server's words for the same rule", "[cli][e2e]") {
  TinyEngine& engine = tiny_engine();
  CliTempDir dir("mote-cli-e2e-tuning");
  const std::string session = dir / "tuning.mote";
  const std::string twice = dir / "twice.json";
  std::ofstream(twice) << R"({"suppress": [[1, 1], [1, 1]]})";
  mote_ok({"new", session}, dir.path());
  mote_ok(concat({"dataset", "add", session}, kTemplate), dir.path());
  const CliResult r = run_mote(concat({"run", session, "--dataset", "years", "--name", "twice",
                                       "--max-tokens", "2", "--tuning", twice},
                                      engine.args()),
                               dir.path());
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  // The message the engine's 400 carries for the same spec (tests/engine/test_server.cpp).
  CHECK_THAT(r.err, Catch::Contains("tuning: suppress [1, 1] is listed twice"));
  CHECK(SessionStore::open(session).list_runs().empty());  // nothing half-created
}

TEST_CASE("mote run killed mid-run resumes without duplicates or losses, same answers",
          "[cli][e2e]") {
  TinyEngine& engine = tiny_engine();
  CliTempDir dir("mote-cli-kill");
  const std::string session = dir / "s.mote";
  mote_ok({"new", session}, dir.path());
  mote_ok(
      {"dataset", "add", session, "--name", "years", "--template", "What happened {time} {place}?",
       "--values", "time=1980,1981,1982,1983,1984,1985,1986,1987,1988,1989", "--values",
       "place=in Beijing,in Paris"},
      dir.path());
  constexpr std::size_t kPrompts = 20;
  // Sampled (not greedy), so the per-prompt seeds matter.
  auto run_args = [&](const std::string& name) {
    return concat({"run", session, "--dataset", "years", "--name", name, "--max-tokens", "8",
                   "--temperature", "0.9", "--top-p", "0.95", "--seed", "7"},
                  engine.args());
  };
  auto answered = [&](std::int64_t run_id) {
    SessionStore store = SessionStore::open(session);
    return store.list_runs().size() >= static_cast<std::size_t>(run_id) ? store.answer_count(run_id)
                                                                        : 0;
  };
  auto wait_for = [&](std::int64_t run_id, std::size_t n, pid_t pid) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (answered(run_id) < n) {
      int status = 0;
      REQUIRE(::waitpid(pid, &status, WNOHANG) == 0);  // still running
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };

  // Run 1: killed hard after at least 4 answers, then resumed.
  const pid_t killed = mote::test::spawn_mote(run_args("killed"), dir.path(), "killed");
  wait_for(1, 4, killed);
  REQUIRE(::kill(killed, SIGKILL) == 0);
  const CliResult k = mote::test::wait_mote(killed, dir.path(), "killed");
  REQUIRE(k.code == 128 + SIGKILL);
  const std::size_t at_kill = answered(1);
  INFO("answers when killed: " << at_kill);
  REQUIRE(at_kill >= 4);
  REQUIRE(at_kill < kPrompts);
  auto r = mote_ok(run_args("killed"), dir.path());
  REQUIRE_THAT(r.out, Catch::Contains("resuming run 1 'killed'"));
  REQUIRE_THAT(r.out, Catch::Contains(std::to_string(at_kill) + "/20 answered before"));

  // Run 2: stopped with SIGINT (Ctrl+C): exit 130, status cancelled, then resumed.
  const pid_t interrupted = mote::test::spawn_mote(run_args("interrupted"), dir.path(), "int");
  wait_for(2, 3, interrupted);
  REQUIRE(::kill(interrupted, SIGINT) == 0);
  const CliResult i = mote::test::wait_mote(interrupted, dir.path(), "int");
  INFO(i.err);
  REQUIRE(i.code == 130);
  REQUIRE_THAT(i.err, Catch::Contains("rerun the same command to resume"));
  {
    SessionStore store = SessionStore::open(session);
    REQUIRE(store.run(2).status == RunStatus::kCancelled);
  }
  mote_ok(run_args("interrupted"), dir.path());

  // Run 3: uninterrupted, the reference.
  mote_ok(run_args("reference"), dir.path());

  SessionStore store = SessionStore::open(session);
  const auto prompts = store.prompts(1);
  const auto reference = store.answers(3);
  REQUIRE(reference.size() == kPrompts);
  for (std::int64_t run : {1, 2}) {
    INFO("run " << run);
    REQUIRE(store.run(run).status == RunStatus::kFinished);
    const auto answers = store.answers(run);
    REQUIRE(answers.size() == kPrompts);
    std::set<std::int64_t> ids;
    for (std::size_t p = 0; p < answers.size(); ++p) {
      ids.insert(answers[p].prompt_id);
      REQUIRE(answers[p].prompt_id == prompts[p].id);
      REQUIRE(answers[p].answer.text == reference[p].answer.text);
      REQUIRE(answers[p].answer.completion_tokens == reference[p].answer.completion_tokens);
    }
    REQUIRE(ids.size() == kPrompts);
  }
  // The answers differ between prompts, so the comparisons above are not vacuous.
  std::set<std::string> texts;
  for (const auto& a : reference) texts.insert(a.answer.text);
  REQUIRE(texts.size() > kPrompts / 2);
}
