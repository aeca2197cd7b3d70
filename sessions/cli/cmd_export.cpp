// mote export: runs and results as files for Python, R or a spreadsheet.
#include <filesystem>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/cli/experiment_options.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

namespace mote::cli {

using namespace mote::sessions;
namespace fs = std::filesystem;

int cmd_export(const Args& args, CliContext& ctx) {
  ArgParser parser(
      "mote export",
      "Write runs and stored results as files: .npy arrays (numpy.load), CSV and JSON.",
      "A run: run-<id>_answers.csv (prompt, metadata, answer, tokens, labels of every "
      "classifier), run-<id>_prompt_maps.npy [n x moe_layers x experts] (and completion / "
      "weighted maps if stored, rows in answers.csv order), run-<id>_run.json.\n"
      "A result (files prefixed <kind>-<id>_): fTRI: _experts.csv/.json (rank, layer, "
      "moe_layer, expert, resonance, t, p, q, stability), _resonance/_t/_p/_q/_stability.npy, "
      "_mean_<class>.npy, _tuning_top<N>_<mode>.json; evaluation: _transitions.csv, "
      "_flips.csv; random-control: _draws.csv; dose-curve: _curve.csv; tsne: _tsne.csv; "
      "every result: _result.json.");
  parser.positional("SESSION", "session file")
      .repeated("--result", "ID", "a stored result (see 'mote results')")
      .repeated("--run", "ID|NAME", "a run")
      .flag("--all", "every run and every result")
      .option("--out", "DIR", "folder [default: <session>-out/]")
      .option("--top", "N", "fTRI results: tuning JSON of the top N experts (0 = none)", "10")
      .option("--mode", "MODE", "that tuning's direction: suppress or stimulate", "suppress")
      .option("--end", "END", "top (most resonant first) or bottom (most negative first)", "top")
      .example("mote export refusal.mote --result 3 --top 10 --out ftri/")
      .example("mote export refusal.mote --run original --out maps/");
  const auto a = parser.parse(args);
  if (!a.has("--result") && !a.has("--run") && !a.flag("--all"))
    throw UsageError("mote export: give --result ID, --run R or --all");
  const std::string path = a.positional("SESSION");
  SessionStore store = open_session(path);
  ResultExportOptions options;
  options.top_n = a.get_count_or("--top", 10);
  options.direction = direction_from(a.get_or("--mode", "suppress"), "mote export --mode");
  options.end = ranking_end_from(a.get_or("--end", "top"), "mote export --end");
  const fs::path out = a.has("--out") ? fs::path(*a.get("--out")) : default_output_dir(path);

  std::vector<std::int64_t> runs, results;
  for (const auto& r : a.all("--run")) runs.push_back(find_run(store, r).id);
  for (const auto& r : a.all("--result")) results.push_back(find_result(store, r).id);
  if (a.flag("--all")) {
    for (const auto& r : store.list_runs()) runs.push_back(r.id);
    for (const auto& r : store.list_results()) results.push_back(r.id);
  }
  Table table({{"what", Align::kLeft}, {"file", Align::kLeft, 60}, {"size", Align::kRight}});
  std::size_t n_files = 0;
  auto list = [&](const std::string& what, const std::vector<fs::path>& files) {
    for (const auto& f : files) {
      std::error_code ec;
      const auto size = fs::file_size(f, ec);
      table.row({what, f.filename().string(), ec ? "?" : byte_size(static_cast<double>(size))});
      ++n_files;
    }
  };
  for (auto id : runs) list("run " + std::to_string(id), export_run(store, id, out));
  for (auto id : results) {
    const auto r = store.load_result(id);
    list(r.kind + " " + std::to_string(id), export_result(store, id, out, options));
  }
  ctx.out << table.render() << "wrote " << n_files << " files to " << out.string() << "/\n";
  return kExitOk;
}

}  // namespace mote::cli
