// mote tsne: a 2-D map of a run's activation maps, coloured by class (paper section 2.3).
#include <algorithm>
#include <cmath>
#include <map>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

namespace mote::cli {

using namespace mote::sessions;

int cmd_tsne(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote tsne",
      "t-SNE of a run's activation maps (exact, deterministic for a seed). Stores the result and "
      "writes a CSV (x, y, label, prompt and its metadata) to plot; prints per class the centroid, "
      "the spread and how many of each point's 5 nearest neighbours share its class.",
      "Trustworthiness (Venna & Kaski) says how well the 2-D neighbourhoods reflect the maps' "
      "(1 = perfectly).");
  parser.positional("SESSION", "session file")
      .required("--run", "ID|NAME", "the run")
      .required("--classifier", "CLASSIFIER", "labels to colour by")
      .option("--map", "KIND", "prompt, completion or weighted", "prompt")
      .option("--perplexity", "P", "t-SNE perplexity (clamped to (n - 1) / 3)", "30")
      .option("--iterations", "N", "gradient steps", "1000")
      .option("--seed", "S", "seed of the initial layout", "1")
      .option("--out", "F.csv", "CSV to write [default: <session>-out/tsne-<id>.csv]")
      .example("mote tsne refusal.mote --run original --classifier r1-refusal --out tsne.csv");
  const auto a = parser.parse(args);
  const std::string path = a.positional("SESSION");
  SessionStore store = open_session(path);
  const RunInfo run = find_run(store, *a.get("--run"));
  const std::string argument = *a.get("--classifier");
  TsneOptions options;
  options.perplexity = a.get_double_or("--perplexity", 30.0);
  if (options.perplexity <= 0) throw UsageError("mote tsne --perplexity: must be positive");
  options.iterations = a.get_count_or("--iterations", 1000);
  options.seed = a.get_u64("--seed").value_or(1);
  const std::string map_name = a.get_or("--map", "prompt");
  MapKind map;
  if (map_name == "prompt")
    map = MapKind::kPromptCounts;
  else if (map_name == "completion")
    map = MapKind::kCompletionCounts;
  else if (map_name == "weighted")
    map = MapKind::kPromptWeighted;
  else
    throw UsageError("mote tsne --map: expected prompt, completion or weighted, got '" + map_name +
                     "'");
  const std::size_t n_answers = store.answer_count(run.id);
  if (n_answers < 4)
    throw SessionError(describe_run(run) + " has " + std::to_string(n_answers) +
                       " answers; t-SNE needs at least 4");
  ensure_labelled(store, run, argument, ctx);
  const std::string name = classifier_name(argument);

  const RunTsne tsne = analyze_tsne(store, run.id, name, options, map);
  const std::size_t n = tsne.labels.size();
  std::vector<std::int64_t> ids;
  const MapMatrix maps = store.maps(run.id, map, ids);
  const std::size_t k = std::min<std::size_t>(10, (n - 1) / 2);
  const double trust =
      k >= 1 ? trustworthiness(maps.values, maps.n_cells, tsne.coords, 2, n, k) : 1.0;

  // Per class: centroid, RMS distance to it, share of 5-NN with the same label.
  const std::size_t knn = std::min<std::size_t>(5, n - 1);
  struct Stats {
    std::size_t n = 0;
    double x = 0, y = 0, spread = 0, same = 0;
  };
  std::map<std::string, Stats> stats;
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = stats[tsne.labels[i]];
    ++s.n;
    s.x += tsne.coords[2 * i];
    s.y += tsne.coords[2 * i + 1];
  }
  for (auto& [l, s] : stats) {
    s.x /= s.n;
    s.y /= s.n;
  }
  std::vector<std::pair<double, std::size_t>> distances;
  for (std::size_t i = 0; i < n; ++i) {
    auto& s = stats[tsne.labels[i]];
    const double dx = tsne.coords[2 * i] - s.x, dy = tsne.coords[2 * i + 1] - s.y;
    s.spread += dx * dx + dy * dy;
    distances.clear();
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double ex = tsne.coords[2 * i] - tsne.coords[2 * j];
      const double ey = tsne.coords[2 * i + 1] - tsne.coords[2 * j + 1];
      distances.emplace_back(ex * ex + ey * ey, j);
    }
    std::partial_sort(distances.begin(), distances.begin() + static_cast<long>(knn),
                      distances.end());
    std::size_t same = 0;
    for (std::size_t m = 0; m < knn; ++m)
      same += tsne.labels[distances[m].second] == tsne.labels[i];
    s.same += static_cast<double>(same) / static_cast<double>(knn);
  }
  Table table = Table::with_headers(
      {"class", ">prompts", ">centroid x", ">centroid y", ">spread", ">same-class 5-NN"});
  for (auto& [l, s] : stats) {
    table.row({l.empty() ? "(none)" : l, std::to_string(s.n), fixed(s.x, 2), fixed(s.y, 2),
               fixed(std::sqrt(s.spread / s.n), 2), percent(s.same / s.n)});
  }
  const double perplexity = std::min(options.perplexity, (static_cast<double>(n) - 1.0) / 3.0);
  ctx.out << "t-SNE of " << n << " " << to_string(map) << " maps of " << describe_run(run)
          << " (perplexity " << general(perplexity, 3) << ", " << options.iterations
          << " iterations, seed " << options.seed << "); trustworthiness@" << k << " = "
          << fixed(trust, 3) << "\n"
          << table.render();

  const std::filesystem::path out =
      a.has("--out")
          ? std::filesystem::path(*a.get("--out"))
          : default_output_dir(path) / ("tsne-" + std::to_string(tsne.result_id) + ".csv");
  write_file(out, tsne_result_csv(store, tsne.result_id));
  ctx.out << "result " << tsne.result_id << " stored; wrote " << out.string() << " (" << n
          << " rows: index, x, y, label, prompt_id, position, prompt, metadata)\n";
  return kExitOk;
}

}  // namespace mote::cli
