// mote capability: does a tuning leave an ability it should not touch intact? Accuracy of the
// original and the tuned run on prompts with a known answer (the paper checks MT-Bench).
#include <filesystem>

#include "sessions/capability.h"
#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/cli/run_support.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

namespace mote::cli {

using namespace mote::sessions;
namespace fs = std::filesystem;

namespace {

// The tuned run: an existing one (--tuned) or the original's dataset run with a tuning file
// (--tuning, found or created and resumed like mote eval's). Exactly one of the two.
RunInfo capability_tuned_run(SessionStore& store, const ParsedArgs& a, const RunInfo& original,
                             CliContext& ctx) {
  const int given = a.has("--tuned") + a.has("--tuning");
  if (given == 0) throw UsageError("mote capability: give --tuned RUN or --tuning F.json");
  if (given > 1) throw UsageError("mote capability: --tuned and --tuning exclude each other");
  if (auto r = a.get("--tuned")) {
    RunInfo run = find_run(store, *r);
    if (run.config.dataset_id != original.config.dataset_id) {
      throw SessionError(describe_run(run) + " and " + describe_run(original) +
                         " use different datasets");
    }
    if (store.answer_count(run.id) == 0)
      throw SessionError(describe_run(run) + " has no answers yet (mote run)");
    return run;
  }
  const std::string file = *a.get("--tuning");
  const TuningSpec tuning = TuningSpec::from_file(file);
  if (tuning.empty()) throw SessionError("mote capability: the tuning in " + file + " is empty");
  const std::string name =
      a.get_or("--name", original.config.name + "-" + fs::path(file).stem().string());
  EngineSession engine(a, ctx);
  return complete_run(store, engine, derived_request(original, tuning, RunKind::kTuned, name), {},
                      ctx, name, derived_answer_limit(store, original));
}

}  // namespace

int cmd_capability(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote capability",
      "Capability check of a tuning: the accuracy of the original and the tuned run on the "
      "prompts whose metadata holds the expected answer (e.g. the demo model's held-out "
      "arithmetic, resources/models/mote-organism/heldout-arithmetic.json), with Wilson 95 % "
      "intervals, the drop in points, and the prompts the tuning broke or mended.",
      "An answer is right if the text after the think block contains the expected answer with no "
      "letter or digit right before or after it (\"12\" is not found in \"112\"). A completion cut "
      "off while thinking has no answer and is wrong. p_worse is an exact one-sided sign test "
      "(McNemar) that the tuning breaks more prompts than it mends.");
  parser.positional("SESSION", "session file")
      .required("--original", "ID|NAME", "the untuned run")
      .option("--tuned", "ID|NAME", "an existing tuned run of the same dataset")
      .option("--tuning", "F.json", "run the original's dataset with this tuning")
      .option("--name", "RUN", "with --tuning: name of the tuned run [default: derived]")
      .option("--expected", "KEY", "the metadata key holding the expected answer", "expected")
      .flag("--no-think",
            "the prompts do not open a think block (default: they do, as R1's chat template)")
      .option("--out", "DIR", "folder for the files [default: <session>-out/]");
  add_engine_options(parser);
  parser.example(
      "mote capability study.mote --original heldout-arithmetic --tuning "
      "study-out/ftri-4_tuning_top10_suppress.json");
  const auto a = parser.parse(args);
  const std::string path = a.positional("SESSION");
  SessionStore store = open_session(path);
  const RunInfo original = find_run(store, a.value("--original"));
  if (store.answer_count(original.id) == 0)
    throw SessionError(describe_run(original) + " has no answers yet (mote run)");
  const RunInfo tuned = capability_tuned_run(store, a, original, ctx);
  const CapabilityComparison c = evaluate_capability(store, original.id, tuned.id,
                                                     a.value("--expected"), !a.flag("--no-think"));

  Table table = Table::with_headers({"run", ">correct", ">accuracy", ">95 % CI"});
  table.row({"original " + std::to_string(original.id), std::to_string(c.original.correct),
             percent(c.original.accuracy()), percent_interval(c.original.ci())});
  table.row({"tuned " + std::to_string(tuned.id), std::to_string(c.tuned.correct),
             percent(c.tuned.accuracy()), percent_interval(c.tuned.ci())});
  ctx.out << "original: " << describe_run(original) << "; tuned: " << describe_run(tuned) << " ("
          << describe_tuning(tuned.config.tuning) << ")\n"
          << c.n_prompts << " prompts with an expected answer (\"" << c.expected_key
          << "\") answered in both\n"
          << table.render() << "drop " << fixed(c.drop_points(), 1) << " points; broke " << c.lost
          << ", mended " << c.gained << "; p_worse = " << general(c.p_worse, 3)
          << " (exact one-sided sign test)\n";
  const fs::path out = a.has("--out") ? fs::path(*a.get("--out")) : default_output_dir(path);
  const auto files = export_result(store, c.result_id, out);
  ctx.out << "result " << c.result_id << " stored; " << wrote_line(files, out);
  return kExitOk;
}

}  // namespace mote::cli
