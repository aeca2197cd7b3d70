// The `mote` CLI without an engine: argument parsing, tables, the progress bar, and every
// command that works on stored answers (label, answers, ftri, eval --tuned, tsne, export, show),
// in-process on a session whose runs are recorded directly through SessionStore.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <sstream>

#include "cli_test_support.h"
#include "protocol/cli_args.h"
#include "protocol/npy.h"
#include "sessions/cli/cli_table.h"
#include "sessions/cli/progress_bar.h"
#include "sessions/csv_reader.h"
#include "sessions/resources.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

using namespace mote;
using namespace mote::sessions;
using mote::test::CliTempDir;
using mote::test::run_cli_in_process;
namespace fs = std::filesystem;

TEST_CASE("cli args: options, flags, repeats, defaults and errors", "[cli]") {
  cli::ArgParser p("mote x", "does x");
  p.positional("SESSION", "file")
      .required("--run", "R", "the run")
      .option("--top", "N", "rows", "20")
      .option("--temperature", "T", "t")
      .repeated("--values", "V", "values")
      .flag("--raw", "raw")
      .example("mote x s.mote --run 1");
  const auto a = p.parse({"s.mote", "--run=3", "--values", "a=1,2", "--raw", "--values", "b=x",
                          "--temperature", "-0.5"});
  REQUIRE(a.positional("SESSION") == "s.mote");
  REQUIRE(a.get("--run") == "3");
  REQUIRE(a.get_int_or("--top", 0) == 20);  // default
  REQUIRE(a.get_double("--temperature") == -0.5);
  REQUIRE(a.flag("--raw"));
  REQUIRE(a.all("--values") == std::vector<std::string>{"a=1,2", "b=x"});
  REQUIRE_FALSE(a.has("--nope"));

  REQUIRE_THROWS_AS(p.parse({"s.mote"}), cli::UsageError);  // --run missing
  REQUIRE_THROWS_WITH(p.parse({"s.mote", "--run", "1", "--bogus"}),
                      Catch::Contains("unknown option --bogus"));
  REQUIRE_THROWS_WITH(p.parse({"s.mote", "--run"}), Catch::Contains("--run needs a value"));
  REQUIRE_THROWS_WITH(p.parse({"s.mote", "--run", "1", "--run", "2"}),
                      Catch::Contains("--run given twice"));
  REQUIRE_THROWS_WITH(p.parse({"s.mote", "t.mote", "--run", "1"}),
                      Catch::Contains("unexpected argument 't.mote'"));
  REQUIRE_THROWS_WITH(p.parse({"--run", "1"}), Catch::Contains("missing SESSION"));
  REQUIRE_THROWS_WITH(p.parse({"s.mote", "--run", "1", "--raw=1"}),
                      Catch::Contains("--raw takes no value"));
  REQUIRE_THROWS_WITH(p.parse({"s.mote", "--run", "1", "--top", "2x"}).get_int("--top"),
                      Catch::Contains("expected an integer, got '2x'"));
  try {
    p.parse({"--help"});
    FAIL("--help must throw HelpRequested");
  } catch (const cli::HelpRequested& h) {
    REQUIRE_THAT(h.text, Catch::StartsWith("usage: mote x SESSION --run R [options]"));
    REQUIRE_THAT(h.text, Catch::Contains("--top N"));
    REQUIRE_THAT(h.text, Catch::Contains("[default: 20]"));
    REQUIRE_THAT(h.text, Catch::Contains("(repeatable)"));
    REQUIRE_THAT(h.text, Catch::Contains("mote x s.mote --run 1"));
  }
  // "--" ends the options: a prompt text starting with "-" is a positional.
  cli::ArgParser q("mote y", "y");
  q.positional("TEXT", "text");
  REQUIRE(q.parse({"--", "--not-an-option"}).positional("TEXT") == "--not-an-option");

  REQUIRE(cli::split_escaped("a,b\\,c,,d", ',') == std::vector<std::string>{"a", "b,c", "", "d"});
  cli::ArgParser r("mote z", "z");
  r.option("--sizes", "L", "sizes");
  REQUIRE(r.parse({"--sizes", "1,2,5"}).get_count_list("--sizes") ==
          std::vector<std::size_t>{1, 2, 5});
  REQUIRE_THROWS_WITH(r.parse({"--sizes", "1,0"}).get_count_list("--sizes"),
                      Catch::Contains("sizes must be positive"));
}

TEST_CASE("cli table: alignment, UTF-8 widths, truncation", "[cli]") {
  cli::Table t({{"name", cli::Align::kLeft, 8}, {"n", cli::Align::kRight}});
  t.row({"a", "1"}).row({"北京", "22"}).row({"a very long name", "333"}).row({"two\nlines", "4"});
  REQUIRE(t.render() ==
          "name        n\n"
          "--------  ---\n"
          "a           1\n"
          "北京       22\n"
          "a very …  333\n"
          "two⏎lin…    4\n");
  REQUIRE(cli::display_width("北京 a") == 6);
  REQUIRE(cli::display_width("é") == 1);
  REQUIRE(cli::truncate_to_width("北京北京", 5) == "北京…");
  REQUIRE_THROWS_AS(t.row({"only one"}), std::invalid_argument);
  REQUIRE(cli::percent(0.4) == "40.0 %");
  REQUIRE(cli::ratio(12, 30) == "12/30 (40.0 %)");
  REQUIRE(cli::ratio(0, 0) == "0/0 (0.0 %)");
  REQUIRE(cli::duration(187) == "3m07s");
  REQUIRE(cli::duration(3725) == "1h02m");
  REQUIRE(cli::byte_size(9.9e6) == "9.9 MB");
  REQUIRE(cli::fixed(-0.0001, 2) == "0.00");
}

TEST_CASE("cli progress bar: in place on a terminal, plain lines otherwise", "[cli]") {
  using Clock = cli::ProgressBar::Clock;
  const auto t0 = Clock::now();
  {
    std::ostringstream out;
    {
      cli::ProgressBar bar(out, true, "run", 100);
      bar.update({0, 10, 0, -1, ""}, t0);
      bar.update({5, 10, 2.5, 2.0, "0-REFUSED"}, t0 + std::chrono::milliseconds(500));
      bar.update({6, 10, 2.5, 1.6, ""}, t0 + std::chrono::milliseconds(520));  // throttled
      bar.update({10, 10, 2.5, 0, ""}, t0 + std::chrono::seconds(2));
    }
    const std::string s = out.str();
    REQUIRE(s.find('\r') == 0);
    REQUIRE_THAT(s, Catch::Contains("5/10  2.50 prompts/s  ETA 2s  0-REFUSED"));
    REQUIRE(s.find("6/10") == std::string::npos);
    REQUIRE_THAT(s, Catch::EndsWith("] 10/10  2.50 prompts/s\x1b[K\n"));
    for (const auto& line : {std::string("run [")}) REQUIRE_THAT(s, Catch::Contains(line));
  }
  {
    std::ostringstream out;
    {
      cli::ProgressBar bar(out, false, "run", 80, std::chrono::seconds(10));
      bar.update({0, 100, 0, -1, ""}, t0);
      bar.update({3, 100, 1.0, 97, ""}, t0 + std::chrono::seconds(3));    // too early
      bar.update({12, 100, 1.0, 88, ""}, t0 + std::chrono::seconds(12));  // printed
      bar.update({13, 100, 1.0, 87, ""}, t0 + std::chrono::seconds(13));  // too early
    }                                                                     // finish: the last state
    REQUIRE(out.str() ==
            "run 12/100 prompts  1.00 prompts/s  ETA 1m28s\n"
            "run 13/100 prompts  1.00 prompts/s  ETA 1m27s\n");
  }
  const std::string line =
      cli::ProgressBar::format_line("x", {50, 100, 12.34, 4, "note"}, 50, true);
  REQUIRE(cli::display_width(line) <= 49);
  REQUIRE_THAT(line, Catch::Contains("50/100"));
}

TEST_CASE("resources: built-in datasets and classifiers are found", "[cli]") {
  const auto dir = resources_dir();
  REQUIRE(fs::is_directory(dir / "datasets"));
  const auto datasets = builtin_names("datasets");
  REQUIRE(std::find(datasets.begin(), datasets.end(), "r1-refusal") != datasets.end());
  REQUIRE(load_dataset_file(builtin_dataset_path("r1-refusal")).prompts.size() == 539);
  REQUIRE(fs::exists(builtin_classifier_path("reasoning-language")));
  REQUIRE_THROWS_WITH(
      builtin_classifier_path("nope"),
      Catch::Contains("no built-in classifier named \"nope\"") && Catch::Contains("r1-refusal"));
}

namespace {

const ModelGeometry kTiny{{1, 2, 3}, 16, 4};
const std::string kRefused = "<think>\n\n</think>\n\nI am sorry, I cannot answer that question.";
const std::string kAligned = "<think>\n\n</think>\n\nIn 1999, several notable events occurred.";
const std::string kReasoned = "<think>\nOkay, let me think.\n</think>\n\nIn 1999 ...";

// Prompt i of 30: refused if i % 3 == 0 (expert (3, 7) fires 4 times for those), aligned if
// i % 3 == 1, reasoned otherwise; `refused_after` turns refused prompts i < refused_after into
// aligned ones (a tuned run).
void record_run(SessionStore& store, std::int64_t run_id, const std::vector<StoredPrompt>& prompts,
                int aligned_below) {
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    AnswerRecord a;
    const bool refused = i % 3 == 0 && static_cast<int>(i) >= aligned_below;
    a.text = refused ? kRefused : (i % 3 == 2 ? kReasoned : kAligned);
    a.finish_reason = "stop";
    a.prompt_tokens = 9;
    a.completion_tokens = 12;
    ActivationMap map = ActivationMap::zeros(kTiny);
    map.at(0, i % 16) = 2;
    map.at(1, (i * 7) % 16) += 1;
    if (i % 3 == 0) map.at(2, 7) = 4;
    a.prompt_map = map;
    a.completion_map = map;
    store.record_answer(run_id, prompts[i].id, a);
  }
}

std::int64_t make_run(SessionStore& store, std::int64_t dataset, const std::string& name,
                      const TuningSpec& tuning) {
  RunConfig c;
  c.dataset_id = dataset;
  c.name = name;
  c.kind = tuning.empty() ? RunKind::kOriginal : RunKind::kTuned;
  c.model_id = "tiny";
  c.geometry = kTiny;
  c.tuning = tuning;
  c.sampling = {{"temperature", 0.0}, {"top_p", 1.0}, {"top_k", 0}};
  c.seed = 1;
  c.max_tokens = 16;
  const auto id = store.create_run(c);
  store.set_run_status(id, RunStatus::kFinished);
  return id;
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  return parse_csv(text, "test");
}

}  // namespace

TEST_CASE("cli commands on stored runs: dataset, label, answers, ftri, eval, tsne, export",
          "[cli]") {
  CliTempDir dir("mote-cli-unit");
  const std::string session = dir / "s.mote";
  const std::string out = dir / "out";

  // new / dataset add / dataset list / show
  auto r = run_cli_in_process({"new", session});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("created " + session));
  r = run_cli_in_process({"new", session});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("already exists"));
  r = run_cli_in_process({"dataset", "add", session, "--name", "years", "--template",
                          "What happened {time} {place}?", "--values",
                          "time=1980,1981,1982,1983,1984,1985,1986,1987,1988,1989", "--values",
                          "place=in Beijing,in Paris,at Heathrow\\, London"});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("added dataset 1 'years': 30 prompts (chat)"));
  REQUIRE_THAT(r.out, Catch::Contains("What happened 1989 at Heathrow, London?"));
  r = run_cli_in_process({"dataset", "add", session, "--builtin", "r1-refusal", "--csv", "x.csv"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("exactly one of"));
  r = run_cli_in_process({"dataset", "list", session});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("years"));
  r = run_cli_in_process({"dataset", "show", session, "--dataset", "years", "--limit", "2"});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("What happened 1980 in Paris?"));
  REQUIRE_THAT(r.out, Catch::Contains("(28 more;"));

  std::int64_t original = 0, tuned = 0, dataset = 0;
  {
    SessionStore store = SessionStore::open(session);
    dataset = store.list_datasets().at(0).id;
    const auto prompts = store.prompts(dataset);
    original = make_run(store, dataset, "original", {});
    record_run(store, original, prompts, 0);
    tuned = make_run(store, dataset, "tuned", TuningSpec{{{3, 7}}, {}});
    record_run(store, tuned, prompts, 12);  // refused 0, 3, 6, 9 become aligned
  }

  r = run_cli_in_process({"runs", session});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("original") && Catch::Contains("30/30") &&
                          Catch::Contains("suppress 1") && Catch::Contains("greedy"));

  // label (built-in rules): class counts table.
  r = run_cli_in_process({"label", session, "--run", "original", "--classifier", "r1-refusal"});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("labelled 30 answers of run 1 'original' with r1-refusal"));
  REQUIRE_THAT(r.out, Catch::Contains("0-REFUSED        10   33.3 %"));
  REQUIRE_THAT(r.out, Catch::Contains("total            30  100.0 %"));
  // manual label: set, shown, cleared
  r = run_cli_in_process({"label", session, "--run", "1", "--classifier", "r1-refusal", "--prompt",
                          "2", "--set", "0-REFUSED", "--note", "checked"});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("rules said 1-ALIGNED"));
  r = run_cli_in_process(
      {"answers", session, "--run", "1", "--classifier", "r1-refusal", "--label", "0-REFUSED"});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("0-REFUSED (manual)"));
  REQUIRE_THAT(r.out, Catch::Contains("11 of 11 matching answers shown"));
  r = run_cli_in_process(
      {"label", session, "--run", "1", "--classifier", "r1-refusal", "--prompt", "2", "--clear"});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("its label is now 1-ALIGNED"));
  r = run_cli_in_process({"label", session, "--run", "1", "--classifier", "r1-refusal", "--prompt",
                          "999", "--set", "X"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("prompt 999 has no answer in run 1 'original'"));

  // ftri: ranked table with (3, 7) first, files written, result stored.
  r = run_cli_in_process({"ftri", session, "--run", "original", "--classifier", "r1-refusal",
                          "--class", "0-REFUSED", "--top", "5", "--permutations", "200",
                          "--bootstrap", "20", "--out", out});
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("10 prompts vs 20"));
  REQUIRE_THAT(r.out, Catch::Contains("rank  layer  moe_layer  expert  resonance"));
  {
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line) && line.find("rank  layer") == std::string::npos) {
    }
    std::getline(lines, line);  // rule
    std::getline(lines, line);
    REQUIRE_THAT(line, Catch::Matches(R"(\s+1\s+3\s+2\s+7\s+4\.000\s+inf\s+.*\s1\.00)"));
  }
  const std::int64_t ftri_id = 1;
  REQUIRE(fs::exists(out + "/ftri-1_experts.csv"));
  const auto csv = csv_rows(mote::test::read_text(out + "/ftri-1_experts.csv"));
  REQUIRE(csv.at(0) == std::vector<std::string>{"rank", "layer", "moe_layer", "expert", "resonance",
                                                "t", "p", "q", "stability"});
  REQUIRE(csv.size() == 1 + 48);
  REQUIRE(csv.at(1).at(1) == "3");
  REQUIRE(csv.at(1).at(3) == "7");
  std::vector<std::size_t> shape;
  const auto resonance = read_npy(out + "/ftri-1_resonance.npy", shape);
  REQUIRE(shape == std::vector<std::size_t>{3, 16});
  REQUIRE(resonance[2 * 16 + 7] == Approx(4.0));
  read_npy(out + "/ftri-1_mean_0-REFUSED.npy", shape);
  REQUIRE(shape == std::vector<std::size_t>{3, 16});
  const auto tuning =
      TuningSpec::parse(mote::test::read_text(out + "/ftri-1_tuning_top10_suppress.json"));
  REQUIRE(tuning.suppress.size() == 10);
  REQUIRE(tuning.suppress.at(0) == ExpertAddress{3, 7});
  r = run_cli_in_process(
      {"ftri", session, "--run", "original", "--classifier", "r1-refusal", "--class", "9-NOPE"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("no answer of run 1 'original' is labelled 9-NOPE") &&
                          Catch::Contains("0-REFUSED (10)"));

  // load_ftri gives back the table analyze_ftri computed.
  {
    SessionStore store = SessionStore::open(session);
    const StoredFtri stored = load_ftri(store, ftri_id);
    REQUIRE(stored.run_id == original);
    REQUIRE(stored.classifier == "r1-refusal");
    REQUIRE(stored.analysis.statistics.target == "0-REFUSED");
    REQUIRE(stored.analysis.table.size() == 48);
    REQUIRE(stored.analysis.table[0].layer == 3);
    REQUIRE(stored.analysis.table[0].expert == 7);
    REQUIRE(store.result_array_names(ftri_id).size() == 5 + 3);  // + mean per class
    REQUIRE_THROWS_WITH(load_ftri(store, 999), Catch::Contains("no result with id 999"));
  }

  // eval with an existing tuned run (labelled on the fly): 4 of 10 refused prompts flip.
  r = run_cli_in_process({"eval", session, "--original", "original", "--tuned", "tuned",
                          "--classifier", "r1-refusal", "--class", "0-REFUSED", "--out", out});
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.err, Catch::Contains("labelled run 2 'tuned' with r1-refusal"));
  REQUIRE_THAT(r.out, Catch::Contains("30 prompts answered in both"));
  REQUIRE_THAT(r.out, Catch::Contains("0-REFUSED         6 (60.0 %)    4 (40.0 %)     0 (0.0 %)"));
  REQUIRE_THAT(r.out, Catch::Contains("flip of 0-REFUSED: 4/10 (40.0 %)"));
  REQUIRE_THAT(r.out, Catch::Contains("reverse: 0/20 (0.0 %)"));
  const auto transitions = mote::test::read_text(out + "/evaluation-2_transitions.csv");
  REQUIRE_THAT(transitions, Catch::StartsWith("original\\tuned (count),0-REFUSED,1-ALIGNED"));
  REQUIRE_THAT(transitions, Catch::Contains("0-REFUSED,6,4,0"));
  // A class the rule set does not have is a command-line error naming the known labels.
  r = run_cli_in_process({"eval", session, "--original", "original", "--tuned", "tuned",
                          "--classifier", "r1-refusal", "--class", "ZH", "--out", out});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("\"ZH\" is not a label of r1-refusal") &&
                          Catch::Contains("0-REFUSED, 1-ALIGNED"));
  // eval without an engine for a tuning that still has to run: a clear error, nothing crashes.
  r = run_cli_in_process({"eval", session, "--ftri", "1", "--top", "2", "--engine",
                          "http://127.0.0.1:9", "--out", out});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("http://127.0.0.1:9"));

  // tsne: CSV with labels and metadata columns.
  const std::string tsne_csv = dir / "tsne.csv";
  r = run_cli_in_process({"tsne", session, "--run", "original", "--classifier", "r1-refusal",
                          "--iterations", "250", "--perplexity", "5", "--out", tsne_csv});
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out,
               Catch::Contains("t-SNE of 30 prompt maps") && Catch::Contains("trustworthiness@10"));
  const auto tsne = csv_rows(mote::test::read_text(tsne_csv));
  REQUIRE(tsne.size() == 31);
  REQUIRE(tsne[0] == std::vector<std::string>{"index", "x", "y", "label", "prompt_id", "position",
                                              "prompt", "place", "time"});
  REQUIRE(tsne[1][3] == "0-REFUSED");
  REQUIRE(tsne[1][7] == "in Beijing");

  // export: a run's answers and maps, and every result.
  const std::string exports = dir / "exports";
  r = run_cli_in_process({"export", session, "--run", "original", "--all", "--out", exports});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto answers = csv_rows(mote::test::read_text(exports + "/run-1_answers.csv"));
  REQUIRE(answers.size() == 31);
  REQUIRE(answers[0] == std::vector<std::string>{"position", "prompt_id", "prompt", "place", "time",
                                                 "answer", "prompt_tokens", "completion_tokens",
                                                 "finish_reason", "elapsed_ms", "label:r1-refusal",
                                                 "manual:r1-refusal"});
  REQUIRE(answers[1][5] == kRefused);
  REQUIRE(answers[1][10] == "0-REFUSED");
  const auto maps = read_npy(exports + "/run-1_prompt_maps.npy", shape);
  REQUIRE(shape == std::vector<std::size_t>{30, 3, 16});
  REQUIRE(maps[2 * 16 + 7] == 4.0f);
  REQUIRE(fs::exists(exports + "/run-1_completion_maps.npy"));
  REQUIRE_FALSE(fs::exists(exports + "/run-1_weighted_maps.npy"));
  REQUIRE(nlohmann::json::parse(mote::test::read_text(exports + "/run-2_run.json"))["tuning"] ==
          nlohmann::json::parse(R"({"suppress": [[3, 7]], "stimulate": []})"));
  REQUIRE(fs::exists(exports + "/tsne-3_tsne.csv"));
  REQUIRE(fs::exists(exports + "/tsne-3_coords.npy"));
  REQUIRE(fs::exists(exports + "/evaluation-2_flips.csv"));

  r = run_cli_in_process({"show", session});
  REQUIRE(r.code == 0);
  REQUIRE_THAT(r.out, Catch::Contains("0-REFUSED in run 1: 10 vs 20 prompts; top (3, 7)"));
  REQUIRE_THAT(r.out, Catch::Contains("runs 1 -> 2: flip 40.0 %, reverse 0.0 %"));
}

TEST_CASE("cli dose curve and random-control evaluation in the library", "[cli]") {
  CliTempDir dir("mote-cli-dose");
  SessionStore store = SessionStore::create(dir / "s.mote");
  Dataset d;
  d.name = "d";
  for (int i = 0; i < 30; ++i) d.prompts.push_back({"p" + std::to_string(i), {}});
  const auto dataset = store.add_dataset(d);
  const auto prompts = store.prompts(dataset);
  const auto original = make_run(store, dataset, "o", {});
  record_run(store, original, prompts, 0);
  const auto one = make_run(store, dataset, "t1", TuningSpec{{{3, 7}}, {}});
  record_run(store, one, prompts, 6);  // 2 of 10 refused flip
  const auto two = make_run(store, dataset, "t2", TuningSpec{{{3, 7}, {1, 0}}, {}});
  record_run(store, two, prompts, 30);  // all flip
  const auto rules = AnswerClassifier::load(builtin_classifier_path("r1-refusal"));
  for (auto id : {original, one, two}) classify_run(store, id, rules);
  const auto dose = evaluate_dose_curve(store, original, {1, 2}, {one, two}, "r1-refusal",
                                        "0-REFUSED", {{"mode", "suppress"}});
  REQUIRE(dose.curve.flip_rate == std::vector<double>{0.2, 1.0});
  REQUIRE(dose.flips[1].became_class == 0);
  const auto stored = store.load_result(dose.result_id);
  REQUIRE(stored.kind == "dose-curve");
  REQUIRE(stored.json.at("mode") == "suppress");
  REQUIRE(DoseCurve::from_json(stored.json.at("curve")).n_experts ==
          std::vector<std::size_t>{1, 2});
  const auto files = export_result(store, dose.result_id, dir.path() / "x");
  const auto curve =
      parse_csv(mote::test::read_text(dir.path() / "x" / "dose-curve-1_curve.csv"), "curve");
  REQUIRE(curve.size() == 3);
  REQUIRE(curve[2][0] == "2");
  REQUIRE(curve[2][2] == "1");
  REQUIRE_THROWS_WITH(
      evaluate_dose_curve(store, original, {1}, {one, two}, "r1-refusal", "0-REFUSED"),
      Catch::Contains("1 doses but 2 tuned runs"));

  std::int64_t control_id = 0;
  const auto control =
      evaluate_random_control(store, original, two, {one}, "r1-refusal", "0-REFUSED", &control_id);
  REQUIRE(control.p == Approx(0.5));
  REQUIRE(store.load_result(control_id).kind == "random-control");
  REQUIRE(store.label_classifiers(original) == std::vector<std::string>{"r1-refusal"});
}

TEST_CASE("cli errors: one line naming the problem, exit codes 1 and 2", "[cli]") {
  CliTempDir dir("mote-cli-errors");
  auto r = run_cli_in_process({});
  REQUIRE(r.code == 2);
  r = run_cli_in_process({"frobnicate"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("unknown command 'frobnicate'"));
  r = run_cli_in_process({"show", dir / "missing.mote"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("missing.mote: no such session file"));
  REQUIRE(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  const std::string not_sqlite = dir / "text.mote";
  { std::ofstream(not_sqlite) << "hello, not a database\n"; }
  r = run_cli_in_process({"show", not_sqlite});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("not a MoTE session file"));
  const std::string session = dir / "s.mote";
  REQUIRE(run_cli_in_process({"new", session}).code == 0);
  r = run_cli_in_process(
      {"ftri", session, "--run", "7", "--classifier", "r1-refusal", "--class", "X"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("no run \"7\""));
  r = run_cli_in_process({"label", session, "--run", "1"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("missing --classifier"));
  r = run_cli_in_process({"dataset", "add", session, "--csv", dir / "none.csv"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("none.csv"));
  r = run_cli_in_process({"dataset", "add", session, "--template", "What {x}?", "--values", "y=1"});
  REQUIRE(r.code == 1);
  // The values are read like the workbench's template form (sessions/template_values.h).
  r = run_cli_in_process(
      {"dataset", "add", session, "--template", "What {x}?", "--values", "x=a,,b"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err,
               Catch::Contains("--values x=a,,b") && Catch::Contains("value 2 of 3 is empty"));
  r = run_cli_in_process({"run", session, "--dataset", "1", "--engine", "http://127.0.0.1:9"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("no dataset \"1\""));
  REQUIRE(run_cli_in_process({"dataset", "add", session, "--template", "Q{n}", "--values", "n=1,2"})
              .code == 0);
  r = run_cli_in_process(
      {"run", session, "--dataset", "1", "--engine", "http://127.0.0.1:9", "--model", "x"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("--engine and --model exclude each other"));
  r = run_cli_in_process({"run", session, "--dataset", "1", "--engine", "http://127.0.0.1:9"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("http://127.0.0.1:9"));
  for (const char* bad : {"0", "257", "many"}) {
    r = run_cli_in_process(
        {"run", session, "--dataset", "1", "--engine", "http://127.0.0.1:9", "--concurrency", bad});
    REQUIRE(r.code == 2);
    REQUIRE_THAT(r.err, Catch::Contains("--concurrency"));
  }
  r = run_cli_in_process({"run", session, "--dataset", "1", "--engine", "http://127.0.0.1:9",
                          "--engine", "ftp://elsewhere"});
  REQUIRE(r.code == 2);
  REQUIRE_THAT(r.err, Catch::Contains("--engine ftp://elsewhere: expected an http://"));
  r = run_cli_in_process({"run", session, "--dataset", "1", "--tuning", dir / "nope.json",
                          "--engine", "http://127.0.0.1:9"});
  REQUIRE(r.code == 1);
  REQUIRE_THAT(r.err, Catch::Contains("cannot open tuning file"));
  // Every command has --help (exit 0, usage on stdout).
  for (const auto& c : cli::commands()) {
    r = run_cli_in_process({c.name, "--help"});
    INFO(c.name);
    REQUIRE(r.code == 0);
    REQUIRE_THAT(r.out, Catch::StartsWith("usage: mote " + std::string(c.name)));
  }
  for (const char* sub : {"add", "list", "show"}) {
    r = run_cli_in_process({"dataset", sub, "--help"});
    REQUIRE(r.code == 0);
    REQUIRE_THAT(r.out, Catch::StartsWith(std::string("usage: mote dataset ") + sub));
  }
}
