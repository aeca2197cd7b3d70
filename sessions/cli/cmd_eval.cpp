// mote eval / control / dose: does a tuning change the answers, more than random experts do, and
// how does the effect grow with the number of tuned experts (paper sections 3.1-3.4).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/cli/experiment_options.h"
#include "sessions/cli/run_support.h"
#include "sessions/experiment_plan.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

namespace mote::cli {

using namespace mote::sessions;
namespace fs = std::filesystem;

namespace {

// Options naming the tuned run: an existing run, a tuning file, or the top experts of an fTRI.
void add_tuned_options(ArgParser& parser) {
  parser.option("--original", "ID|NAME", "the untuned run [default: the fTRI result's run]")
      .option("--tuned", "ID|NAME", "an existing tuned run of the same dataset")
      .option("--tuning", "F.json", "run the original's dataset with this tuning")
      .option("--ftri", "RESULT", "run with the top experts of this fTRI result")
      .option("--top", "N", "with --ftri: how many experts", "10")
      .option("--mode", "MODE", "with --ftri: suppress or stimulate", "suppress")
      .option("--end", "END", "with --ftri: top (most resonant) or bottom (most negative)", "top")
      .option("--name", "RUN", "name of the tuned run [default: derived from the original's]")
      .option("--classifier", "CLASSIFIER", "labels to compare [default: the fTRI result's]")
      .option("--class", "LABEL", "the class whose flips count [default: the fTRI result's]")
      .option("--out", "DIR", "folder for the files [default: <session>-out/]");
}

struct Experiment {
  std::string path;
  RunInfo original;
  std::optional<StoredFtri> ftri;
  std::string classifier_argument;
  std::string classifier;  // name labels are stored under
  std::string label;
  std::vector<std::string> label_order;
  fs::path out;
};

Experiment experiment_from(SessionStore& store, const ParsedArgs& a, const std::string& command) {
  Experiment e;
  e.path = a.positional("SESSION");
  if (auto id = a.get("--ftri")) e.ftri = load_ftri(store, find_result(store, *id, "ftri").id);
  if (auto r = a.get("--original")) {
    e.original = find_run(store, *r);
  } else if (e.ftri) {
    e.original = store.run(e.ftri->run_id);
  } else {
    throw UsageError(command + ": give --original RUN (or --ftri RESULT, whose run it then is)");
  }
  if (auto c = a.get("--classifier"))
    e.classifier_argument = *c;
  else if (e.ftri)
    e.classifier_argument = e.ftri->classifier;
  else
    throw UsageError(command + ": give --classifier (or --ftri RESULT)");
  if (auto l = a.get("--class"))
    e.label = *l;
  else if (e.ftri)
    e.label = e.ftri->analysis.statistics.target;
  else
    throw UsageError(command + ": give --class LABEL (or --ftri RESULT)");
  e.classifier = classifier_name(e.classifier_argument);
  try {
    e.label_order = resolve_classifier(store, e.classifier_argument).classifier.labels();
  } catch (const SessionError&) {
    // Manual-only labels: order by name.
  }
  if (!e.label_order.empty() &&
      std::find(e.label_order.begin(), e.label_order.end(), e.label) == e.label_order.end()) {
    std::string known;
    for (const auto& l : e.label_order) known += (known.empty() ? "" : ", ") + l;
    throw UsageError(command + " --class: \"" + e.label + "\" is not a label of " + e.classifier +
                     " (" + known + ")");
  }
  e.out = a.has("--out") ? fs::path(*a.get("--out")) : default_output_dir(e.path);
  if (store.answer_count(e.original.id) == 0)
    throw SessionError(describe_run(e.original) + " has no answers yet (mote run)");
  return e;
}

// The run whose tuning is evaluated: existing (--tuned), or found/created and run (--tuning,
// --ftri --top N). Exactly one of the three options.
RunInfo tuned_run(SessionStore& store, EngineSession& engine, const ParsedArgs& a,
                  const Experiment& e, CliContext& ctx, const std::string& command) {
  const int given = a.has("--tuned") + a.has("--tuning") + a.has("--ftri");
  if (given == 0)
    throw UsageError(command + ": give --tuned RUN, --tuning F.json or --ftri RESULT");
  if (given > 1) throw UsageError(command + ": --tuned, --tuning and --ftri exclude each other");
  if (auto r = a.get("--tuned")) {
    RunInfo run = find_run(store, *r);
    if (run.config.dataset_id != e.original.config.dataset_id) {
      throw SessionError(describe_run(run) + " and " + describe_run(e.original) +
                         " use different datasets");
    }
    if (store.answer_count(run.id) == 0)
      throw SessionError(describe_run(run) + " has no answers yet (mote run)");
    ensure_labelled(store, run, e.classifier_argument, ctx);
    return run;
  }
  TuningSpec tuning;
  std::string name;
  if (auto f = a.get("--tuning")) {
    tuning = TuningSpec::from_file(*f);
    name = e.original.config.name + "-" + fs::path(*f).stem().string();
  } else {
    const auto direction = direction_from(a.get_or("--mode", "suppress"), command + " --mode");
    const auto end = ranking_end_from(a.get_or("--end", "top"), command + " --end");
    const std::size_t n = a.get_count_or("--top", 10);
    if (n == 0) throw UsageError(command + " --top: must be positive");
    if (n > e.ftri->analysis.table.size()) {
      throw SessionError(command + " --top " + std::to_string(n) + ": the model has only " +
                         std::to_string(e.ftri->analysis.table.size()) + " routed experts");
    }
    tuning = tuning_from_ranking(ranking_addresses(e.ftri->analysis.table, end), n, direction);
    name = ranking_run_name(e.original.config.name, e.ftri->analysis.result_id, direction, end, n);
  }
  if (tuning.empty()) throw SessionError(command + ": the tuning is empty (nothing to compare)");
  if (auto n = a.get("--name")) name = *n;
  return complete_run(store, engine, derived_request(e.original, tuning, RunKind::kTuned, name),
                      e.classifier_argument, ctx, name, derived_answer_limit(store, e.original));
}

std::string transition_table(const TransitionMatrix& m) {
  std::vector<Table::Column> columns{{"original \\ tuned", Align::kLeft}};
  for (const auto& l : m.labels) columns.push_back({l.empty() ? "(none)" : l, Align::kRight});
  columns.push_back({"total", Align::kRight});
  Table table(columns);
  for (std::size_t i = 0; i < m.labels.size(); ++i) {
    std::size_t total = 0;
    for (auto c : m.counts[i]) total += c;
    std::vector<std::string> row{m.labels[i].empty() ? "(none)" : m.labels[i]};
    for (std::size_t j = 0; j < m.labels.size(); ++j)
      row.push_back(std::to_string(m.counts[i][j]) + " (" + percent(m.row_percent[i][j] / 100.0) +
                    ")");
    row.push_back(std::to_string(total));
    table.row(row);
  }
  return table.render();
}

// "13 14.3 %"
std::string count_and_percent(std::size_t count, double rate) {
  return std::to_string(count) + " " + percent(rate);
}

std::string flip_lines(const FlipRates& f) {
  return "flip of " + f.label + ": " + ratio(f.flipped, f.n_class) + " " +
         percent_interval(f.rate_ci()) + " of the prompts labelled " + f.label +
         " originally are not after tuning\nreverse: " + ratio(f.became_class, f.n_other) + " " +
         percent_interval(f.reverse_rate_ci()) + " of the other prompts became " + f.label +
         " (Wilson 95 % intervals)\n";
}

std::string expert_list(const std::vector<ExpertAddress>& list, std::size_t max_shown) {
  std::string s;
  for (std::size_t i = 0; i < list.size() && i < max_shown; ++i)
    s += (s.empty() ? "" : " ") + std::string("(") + std::to_string(list[i].layer) + "," +
         std::to_string(list[i].expert) + ")";
  if (list.size() > max_shown) s += " …";
  return s;
}

}  // namespace

int cmd_eval(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote eval",
      "Compare a tuned run with the original over the prompts answered in both: the class "
      "transition matrix (counts and row percentages) and the flip rates of one class in both "
      "directions. With --tuning or --ftri the tuned run is made (or resumed) first, with the "
      "original's sampling, seed and max_tokens.",
      "flip of C = share of the prompts labelled C originally that are labelled otherwise after "
      "tuning; reverse = share of the other prompts that become C.");
  parser.positional("SESSION", "session file");
  add_tuned_options(parser);
  add_engine_options(parser);
  parser.example("mote eval refusal.mote --ftri 3 --top 10")
      .example(
          "mote eval refusal.mote --original original --tuned suppress10 --classifier "
          "r1-refusal --class 0-REFUSED");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  const Experiment e = experiment_from(store, a, "mote eval");
  EngineSession engine(a, ctx);
  ensure_labelled(store, e.original, e.classifier_argument, ctx);
  const RunInfo tuned = tuned_run(store, engine, a, e, ctx, "mote eval");
  const TuningEvaluation ev =
      evaluate_tuning(store, e.original.id, tuned.id, e.classifier, e.label, e.label_order);
  ctx.out << "original: " << describe_run(e.original) << "; tuned: " << describe_run(tuned) << " ("
          << describe_tuning(tuned.config.tuning) << ": "
          << expert_list(tuned.config.tuning.experts(), 10) << ")\n"
          << ev.n_prompts << " prompts answered in both, labels " << e.classifier
          << " (rows: original, columns: tuned; row %)\n"
          << transition_table(ev.transitions) << flip_lines(ev.flips);
  const auto files = export_result(store, ev.result_id, e.out);
  ctx.out << "result " << ev.result_id << " stored; " << wrote_line(files, e.out);
  return kExitOk;
}

int cmd_control(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote control",
      "Random-expert control: K runs, each tuning N random experts (none of them in the tuned "
      "set; same direction), compared with the original like the tuned run. Reports the tuned "
      "flip rate against the random ones as mean ± std and an empirical p-value.",
      "p = (number of draws flipping at least as much as the tuned set + 1) / (K + 1), one-sided. "
      "Draw d's experts depend only on (--seed, d), so raising --draws later reuses the draws "
      "already run. Each draw is a run named <tuned run>-random<N>-s<seed>-d<d> (resumable).");
  parser.positional("SESSION", "session file");
  add_tuned_options(parser);
  parser.option("--draws", "K", "random draws (runs)", "10")
      .option("--experts", "N", "experts per draw [default: the tuned set's size]")
      .option("--seed", "S", "seed of the draws", "1");
  add_engine_options(parser);
  parser.example("mote control refusal.mote --ftri 3 --top 10 --draws 10 --seed 1");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  const Experiment e = experiment_from(store, a, "mote control");
  EngineSession engine(a, ctx);
  ensure_labelled(store, e.original, e.classifier_argument, ctx);
  const RunInfo tuned = tuned_run(store, engine, a, e, ctx, "mote control");
  const std::size_t draws = a.get_count_or("--draws", 10);
  if (draws == 0) throw UsageError("mote control --draws: must be positive");
  const std::size_t n = a.get_count_or("--experts", tuned.config.tuning.experts().size());
  if (n == 0) throw UsageError("mote control --experts: must be positive");
  const std::uint64_t seed = a.get_u64("--seed").value_or(1);
  const ExperimentPlan plan = plan_random_control(tuned, draws, n, seed);
  const auto exclude = tuned.config.tuning.experts();
  const TuningDirection direction = plan.direction;
  std::vector<std::int64_t> control_runs;
  for (std::size_t d = 0; d < plan.runs.size(); ++d) {
    const PlannedRun& planned = plan.runs[d];
    const RunInfo run = complete_run(
        store, engine,
        derived_request(e.original, planned.tuning, planned.kind, planned.name, planned.draw_index),
        e.classifier_argument, ctx,
        "draw " + std::to_string(d + 1) + "/" + std::to_string(plan.runs.size()),
        derived_answer_limit(store, e.original));
    control_runs.push_back(run.id);
  }
  std::int64_t result_id = 0;
  const RandomControlSummary summary = evaluate_random_control(
      store, e.original.id, tuned.id, control_runs, e.classifier, e.label, &result_id);

  Table table = Table::with_headers({">draw", ">run", "experts", ">flip", ">95 % CI", ">reverse"});
  for (std::size_t d = 0; d < control_runs.size(); ++d) {
    table.row({std::to_string(d), std::to_string(control_runs[d]),
               expert_list(plan.runs[d].tuning.experts(), 4),
               count_and_percent(summary.draws_flipped[d], summary.draws[d]),
               percent_interval(summary.draws_ci[d]), std::to_string(summary.draws_reverse[d])});
  }
  table.row({"tuned", std::to_string(tuned.id), expert_list(exclude, 4),
             count_and_percent(summary.tuned_flipped, summary.tuned),
             percent_interval(summary.tuned_ci), std::to_string(summary.tuned_reverse)});
  ctx.out << "random control of " << describe_run(tuned) << " against " << describe_run(e.original)
          << ": " << draws << " draws of " << n << " random experts (" << to_string(direction)
          << ", excluding the " << exclude.size() << " tuned ones, seed " << seed << "); flips of "
          << e.label << " (" << e.classifier << "), " << summary.n_class << " prompts of it, "
          << summary.n_other << " others\n"
          << table.render() << "tuned flip " << percent(summary.tuned) << " "
          << percent_interval(summary.tuned_ci) << " vs random " << percent(summary.mean) << " ± "
          << percent(summary.std) << " (mean ± std, K = " << draws << "), pooled "
          << summary.pooled_flipped << "/" << summary.pooled_trials << " "
          << percent_interval(summary.pooled_ci) << "\n"
          << "empirical p = " << general(summary.p, 3)
          << " (draws flipping at least as much + 1) / (K + 1), smallest possible "
          << general(1.0 / (static_cast<double>(draws) + 1), 3) << "\n"
          << "Fisher p = " << general(summary.fisher_p, 3)
          << " (one-sided exact test, tuned flips against the pooled random flips)\n"
          << "reverse flips: tuned " << percent(summary.tuned_reverse_rate()) << " "
          << percent_interval(summary.tuned_reverse_ci) << ", random pooled "
          << percent(summary.pooled_reverse_rate()) << " "
          << percent_interval(summary.pooled_reverse_ci) << "\n";
  const auto files = export_result(store, result_id, e.out);
  ctx.out << "result " << result_id << " stored; " << wrote_line(files, e.out);
  return kExitOk;
}

int cmd_dose(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote dose",
      "Dose curve: for each n, run the original's dataset with the top n experts of an fTRI "
      "result tuned, and report the flip rate (and reverse flips) of the class against n.",
      "Each dose is a run named <original>-ftri<ID>-<mode>-<end><n> (the same run 'mote eval "
      "--ftri ID --top n' makes, so runs are shared and resumable). Doses larger than the model's "
      "expert count, or stimulating more experts in a layer than it selects per token, are "
      "skipped with a note.");
  parser.positional("SESSION", "session file")
      .required("--ftri", "RESULT", "the fTRI result whose ranking is tuned")
      .option("--original", "ID|NAME", "the untuned run [default: the fTRI result's run]")
      .option("--sizes", "N,N,...", "numbers of experts", "1,2,5,10,20,50")
      .option("--mode", "MODE", "suppress or stimulate", "suppress")
      .option("--end", "END", "top (most resonant) or bottom (most negative)", "top")
      .option("--classifier", "CLASSIFIER", "labels to compare [default: the fTRI result's]")
      .option("--class", "LABEL", "the class whose flips count [default: the fTRI result's]")
      .option("--out", "DIR", "folder for the files [default: <session>-out/]");
  add_engine_options(parser);
  parser.example("mote dose refusal.mote --ftri 3 --sizes 1,2,5,10,20,50");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  const Experiment e = experiment_from(store, a, "mote dose");
  const auto direction = direction_from(a.get_or("--mode", "suppress"), "mote dose --mode");
  const auto end = ranking_end_from(a.get_or("--end", "top"), "mote dose --end");
  auto sizes = a.get_count_list("--sizes").value_or(kDefaultDoses);
  const auto ranking = ranking_addresses(e.ftri->analysis.table, end);
  const ExperimentPlan plan = plan_dose_curve(e.original.config.name, e.ftri->analysis.result_id,
                                              ranking, sizes, direction, end, e.ftri->geometry);
  for (const auto& note : plan.notes) ctx.err << "note: skipping " << note << "\n";
  EngineSession engine(a, ctx);
  ensure_labelled(store, e.original, e.classifier_argument, ctx);
  std::vector<std::size_t> doses;
  std::vector<std::int64_t> runs;
  for (std::size_t i = 0; i < plan.runs.size(); ++i) {
    const PlannedRun& planned = plan.runs[i];
    const RunInfo run = complete_run(
        store, engine, derived_request(e.original, planned.tuning, planned.kind, planned.name),
        e.classifier_argument, ctx,
        "n=" + std::to_string(planned.n_experts) + " (" + std::to_string(i + 1) + "/" +
            std::to_string(plan.runs.size()) + ")",
        derived_answer_limit(store, e.original));
    doses.push_back(planned.n_experts);
    runs.push_back(run.id);
  }
  const DoseEvaluation dose =
      evaluate_dose_curve(store, e.original.id, doses, runs, e.classifier, e.label,
                          {{"ftri_result", e.ftri->analysis.result_id},
                           {"mode", to_string(direction)},
                           {"end", to_string(end)}});
  Table table = Table::with_headers({">n", ">run", ">flip", "", ">reverse"});
  for (std::size_t i = 0; i < doses.size(); ++i) {
    const FlipRates& f = dose.flips[i];
    const auto bar = static_cast<std::size_t>(std::lround(f.rate * 20));
    table.row({std::to_string(doses[i]), std::to_string(runs[i]),
               std::to_string(f.flipped) + "/" + std::to_string(f.n_class) + " " + percent(f.rate),
               std::string(bar, '#') + std::string(20 - bar, '.'),
               std::to_string(f.became_class) + "/" + std::to_string(f.n_other) + " " +
                   percent(f.reverse_rate)});
  }
  ctx.out << "dose curve: " << to_string(direction) << " the " << to_string(end)
          << " n experts of fTRI result " << e.ftri->analysis.result_id << " (" << e.label
          << "); flips against " << describe_run(e.original) << "\n"
          << table.render();
  const auto files = export_result(store, dose.result_id, e.out);
  ctx.out << "result " << dose.result_id << " stored; " << wrote_line(files, e.out);
  return kExitOk;
}

}  // namespace mote::cli
