// mote ftri: which experts resonate with one answer class.
#include <map>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/cli/experiment_options.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

namespace mote::cli {

using namespace mote::sessions;

namespace {

MapKind map_kind_from(const std::string& text) {
  if (text == "prompt") return MapKind::kPromptCounts;
  if (text == "completion") return MapKind::kCompletionCounts;
  if (text == "weighted") return MapKind::kPromptWeighted;
  throw UsageError("mote ftri --map: expected prompt, completion or weighted, got '" + text + "'");
}

Alternative alternative_from(const std::string& text) {
  if (text == "two-sided") return Alternative::kTwoSided;
  if (text == "greater") return Alternative::kGreater;
  if (text == "less") return Alternative::kLess;
  throw UsageError("mote ftri --alternative: expected two-sided, greater or less, got '" + text +
                   "'");
}

// The experts of a ranked table as a printable table (rows [begin, end)).
std::string expert_rows(const std::vector<ExpertTableRow>& table, std::size_t begin,
                        std::size_t end) {
  Table t = Table::with_headers(
      {">rank", ">layer", ">moe_layer", ">expert", ">resonance", ">t", ">p", ">q", ">stability"});
  for (std::size_t i = begin; i < end && i < table.size(); ++i) {
    const auto& r = table[i];
    t.row({std::to_string(r.rank), std::to_string(r.layer), std::to_string(r.moe_layer),
           std::to_string(r.expert), fixed(r.resonance, 3), fixed(r.t, 2), general(r.p, 3),
           general(r.q, 3), fixed(r.stability, 2)});
  }
  return t.render();
}

}  // namespace

int cmd_ftri(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote ftri",
      "fTRI of one class: mean activation map of the run's prompts labelled CLASS minus the mean "
      "over the other labelled prompts, ranked, with per-expert Welch t, permutation p, "
      "Benjamini-Hochberg q and bootstrap stability. Stores the result in the session and writes "
      "the ranked table (CSV, JSON), the maps (.npy) and the tuning JSON of the top experts.",
      "Answers without a label (matched no rule) are left out. A run that was never labelled "
      "with CLASSIFIER is labelled first.\n"
      "Stability = share of bootstrap resamples (prompts resampled within the class and within "
      "the rest) in which the expert ranks in the top --stability-top.");
  parser.positional("SESSION", "session file")
      .required("--run", "ID|NAME", "the run (usually the original, untuned one)")
      .required("--classifier", "CLASSIFIER", "rule file, stored or built-in classifier")
      .required("--class", "LABEL", "the class, e.g. 0-REFUSED")
      .option("--top", "N", "rows of the ranked table to print", "20")
      .option("--map", "KIND",
              "prompt (counts over prompt tokens, the paper's), completion, "
              "weighted (router-weight sums)",
              "prompt")
      .option("--permutations", "N", "label permutations for p (0 = skip)", "1000")
      .option("--alternative", "SIDE", "two-sided, greater (more active in the class) or less",
              "two-sided")
      .option("--bootstrap", "N", "bootstrap resamples for stability (0 = skip)", "200")
      .option("--stability-top", "N", "stability counts ranks within the top N", "10")
      .option("--seed", "S", "seed of permutations and bootstrap", "1")
      .option("--tuning-top", "N", "write the tuning JSON of the top N experts (0 = none)", "10")
      .option("--mode", "MODE", "that tuning's direction: suppress or stimulate", "suppress")
      .option("--out", "DIR", "folder for the files [default: <session>-out/]")
      .example("mote ftri refusal.mote --run original --classifier r1-refusal --class 0-REFUSED");
  const auto a = parser.parse(args);
  const std::string path = a.positional("SESSION");
  SessionStore store = open_session(path);
  const RunInfo run = find_run(store, *a.get("--run"));
  const std::string argument = *a.get("--classifier");
  const std::string target = *a.get("--class");
  ExpertStatisticsOptions options;
  options.permutations = a.get_count_or("--permutations", 1000);
  options.alternative = alternative_from(a.get_or("--alternative", "two-sided"));
  options.bootstrap_resamples = a.get_count_or("--bootstrap", 200);
  options.top_n = a.get_count_or("--stability-top", 10);
  options.seed = a.get_u64("--seed").value_or(1);
  const MapKind map = map_kind_from(a.get_or("--map", "prompt"));
  const std::size_t top = a.get_count_or("--top", 20);
  ResultExportOptions export_options;
  export_options.top_n = a.get_count_or("--tuning-top", 10);
  export_options.direction = direction_from(a.get_or("--mode", "suppress"), "mote ftri --mode");

  if (store.answer_count(run.id) == 0)
    throw SessionError(describe_run(run) + " has no answers yet (mote run)");
  ensure_labelled(store, run, argument, ctx);
  const std::string name = classifier_name(argument);
  std::vector<std::string> label_order;
  try {
    label_order = resolve_classifier(store, argument).classifier.labels();
  } catch (const SessionError&) {
    // Manual-only labels: sorted by name.
  }
  std::map<std::string, std::size_t> counts;
  for (const auto& l : store.labels(run.id, name)) ++counts[l.label];
  if (!counts.count(target)) {
    std::string present;
    for (const auto& [l, n] : counts)
      if (!l.empty()) present += (present.empty() ? "" : ", ") + l + " (" + std::to_string(n) + ")";
    throw SessionError("no answer of " + describe_run(run) + " is labelled " + target + " by " +
                       name + " (labels: " + (present.empty() ? "none" : present) + ")");
  }

  const FtriAnalysis analysis = analyze_ftri(store, run.id, name, target, options, map);
  const auto& g = run.config.geometry;
  ctx.out << "fTRI of " << target << " in " << describe_run(run) << " (" << to_string(map)
          << " maps, " << g.n_moe_layers() << " MoE layers x " << g.n_experts
          << " experts): " << analysis.statistics.n_target << " prompts vs "
          << analysis.statistics.n_rest << " (classifier " << name << ")\n";
  ctx.out << class_count_table(store, run.id, name, label_order);
  ctx.out << "p: " << options.permutations << " label permutations ("
          << a.get_or("--alternative", "two-sided") << "); q: Benjamini-Hochberg over "
          << g.n_cells() << " experts; stability: share of " << options.bootstrap_resamples
          << " bootstrap resamples with the expert in the top " << options.top_n << "\n\n";
  ctx.out << "top " << std::min(top, analysis.table.size()) << " (most active in " << target
          << ")\n"
          << expert_rows(analysis.table, 0, top);
  const std::size_t n = analysis.table.size();
  if (n > top) {
    const std::size_t bottom = std::min<std::size_t>(5, n - top);
    ctx.out << "\nbottom " << bottom << " (least active in " << target << ")\n"
            << expert_rows(analysis.table, n - bottom, n);
  }
  const auto out =
      a.has("--out") ? std::filesystem::path(*a.get("--out")) : default_output_dir(path);
  const auto files = export_result(store, analysis.result_id, out, export_options);
  ctx.out << "\nresult " << analysis.result_id << " stored in " << path << "; wrote "
          << files.size() << " files to " << out.string() << "/ (ftri-" << analysis.result_id
          << "_experts.csv, _resonance.npy, ...)\n";
  for (const auto& f : files) {
    if (f.filename().string().find("_tuning_") != std::string::npos)
      ctx.out << "tuning of the top " << std::min(export_options.top_n, n) << ": " << f.string()
              << "\n";
  }
  ctx.out << "next: mote eval " << path << " --ftri " << analysis.result_id << " --top 10\n";
  return kExitOk;
}

}  // namespace mote::cli
