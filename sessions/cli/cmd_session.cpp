// mote new / show / runs / results: the session file and what is in it.
#include <filesystem>

#include "sessions/cli/cli_table.h"
#include "sessions/cli/commands.h"
#include "sessions/session_error.h"
#include "sessions/session_export.h"

namespace mote::cli {

using namespace mote::sessions;
namespace fs = std::filesystem;

namespace {

std::string runs_table(SessionStore& store) {
  const auto datasets = store.list_datasets();
  auto dataset_of = [&](std::int64_t id) -> const DatasetInfo* {
    for (const auto& d : datasets)
      if (d.id == id) return &d;
    return nullptr;
  };
  Table table({{"id", Align::kRight},
               {"name", Align::kLeft, 50},
               {"kind", Align::kLeft},
               {"dataset", Align::kLeft, 24},
               {"model", Align::kLeft, 20},
               {"tuning", Align::kLeft},
               {"sampling", Align::kLeft},
               {"max_tok", Align::kRight},
               {"status", Align::kLeft},
               {"answered", Align::kRight},
               {"labels", Align::kLeft, 30}});
  for (const auto& r : store.list_runs()) {
    const DatasetInfo* d = dataset_of(r.config.dataset_id);
    const std::size_t total = d ? d->n_prompts : 0;
    std::string kind = to_string(r.config.kind);
    if (r.config.draw_index) kind += " #" + std::to_string(*r.config.draw_index);
    std::string labels;
    for (const auto& c : store.label_classifiers(r.id)) labels += (labels.empty() ? "" : ",") + c;
    table.row({std::to_string(r.id), r.config.name, kind,
               d ? std::to_string(d->id) + " " + d->name : std::to_string(r.config.dataset_id),
               r.config.model_id, describe_tuning(r.config.tuning), describe_sampling(r.config),
               std::to_string(r.config.max_tokens), to_string(r.status),
               std::to_string(store.answer_count(r.id)) + "/" + std::to_string(total), labels});
  }
  return table.rows() ? table.render() : "(no runs yet: 'mote run SESSION --dataset N')\n";
}

std::string result_summary(const StoredResult& r) {
  const auto& j = r.json;
  try {
    if (r.kind == "ftri") {
      std::string s = j.at("target").get<std::string>() + " in run " + j.at("run_id").dump() +
                      ": " + j.at("n_target").dump() + " vs " + j.at("n_rest").dump() + " prompts";
      if (j.contains("top") && !j["top"].empty()) {
        const auto& t = j["top"][0];
        s += "; top (" + t.at("layer").dump() + ", " + t.at("expert").dump() + ")";
      }
      return s;
    }
    if (r.kind == "evaluation") {
      const auto& f = j.at("flips");
      return "runs " + j.at("original_run").dump() + " -> " + j.at("tuned_run").dump() + ": flip " +
             percent(f.at("rate").get<double>()) + ", reverse " +
             percent(f.at("reverse_rate").get<double>());
    }
    if (r.kind == "random-control") {
      return "tuned " + percent(j.at("tuned").get<double>()) + " vs random " +
             percent(j.at("mean").get<double>()) + " ± " + percent(j.at("std").get<double>()) +
             " (K=" + std::to_string(j.at("draws").size()) +
             "), p = " + general(j.at("p").get<double>(), 3);
    }
    if (r.kind == "dose-curve") {
      std::string s;
      const auto& c = j.at("curve");
      for (std::size_t i = 0; i < c.at("n_experts").size(); ++i) {
        const auto& rate = c["flip_rate"][i];
        s += (s.empty() ? "" : ", ") + c["n_experts"][i].dump() + ": " +
             (rate.is_null() ? "-" : percent(rate.get<double>(), 0));
      }
      return "flip by n: " + s;
    }
    if (r.kind == "tsne") {
      return std::to_string(j.at("labels").size()) + " prompts of run " + j.at("run_id").dump();
    }
  } catch (const nlohmann::json::exception&) {
    return "(unreadable summary)";
  }
  return "";
}

std::string results_table(SessionStore& store, const std::string& kind) {
  Table table({{"id", Align::kRight},
               {"kind", Align::kLeft},
               {"name", Align::kLeft, 30},
               {"created (UTC)", Align::kLeft},
               {"summary", Align::kLeft, 70}});
  for (const auto& r : store.list_results(kind)) {
    table.row(
        {std::to_string(r.id), r.kind, r.name, r.created_at.substr(0, 19), result_summary(r)});
  }
  return table.rows() ? table.render() : "(no results yet)\n";
}

}  // namespace

int cmd_new(const Args& args, CliContext& ctx) {
  ArgParser parser("mote new", "Create an empty session file (SQLite, *.mote).");
  parser.positional("SESSION", "the session file to create (must not exist)")
      .example("mote new refusal.mote");
  const auto a = parser.parse(args);
  const std::string path = a.positional("SESSION");
  std::error_code ec;
  if (fs::exists(path, ec))
    throw SessionError(path + ": already exists (use it, or pick a new name)");
  SessionStore store = SessionStore::create(path);
  ctx.out << "created " << path << " (MoTE session, schema version " << store.schema_version()
          << ")\n"
          << "next: mote dataset add " << path << " --builtin r1-refusal\n";
  return kExitOk;
}

int cmd_show(const Args& args, CliContext& ctx) {
  ArgParser parser("mote show", "Summary of a session: datasets, runs and results.");
  parser.positional("SESSION", "session file").example("mote show refusal.mote");
  const auto a = parser.parse(args);
  const std::string path = a.positional("SESSION");
  SessionStore store = open_session(path);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  const auto wal = fs::file_size(path + "-wal", ec);
  ctx.out << "session " << path << ": " << byte_size(static_cast<double>(size + (ec ? 0 : wal)))
          << " on disk, schema version " << store.schema_version() << "\n\ndatasets\n";
  Table datasets({{"id", Align::kRight},
                  {"name", Align::kLeft, 30},
                  {"mode", Align::kLeft},
                  {"prompts", Align::kRight},
                  {"system prompt", Align::kLeft, 30},
                  {"description", Align::kLeft, 50}});
  for (const auto& d : store.list_datasets()) {
    datasets.row({std::to_string(d.id), d.name, to_string(d.mode), std::to_string(d.n_prompts),
                  d.system_prompt.value_or(""), d.description});
  }
  ctx.out << (datasets.rows() ? datasets.render() : "(none: 'mote dataset add')\n");
  ctx.out << "\nruns\n" << runs_table(store);
  ctx.out << "\nresults\n" << results_table(store, "");
  return kExitOk;
}

int cmd_runs(const Args& args, CliContext& ctx) {
  ArgParser parser("mote runs",
                   "Table of a session's runs: kind, dataset, model, tuning, sampling, status "
                   "and answered/total prompts.");
  parser.positional("SESSION", "session file")
      .option("--json", "RUN", "print one run's full configuration as JSON instead")
      .example("mote runs refusal.mote");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  if (auto run = a.get("--json")) {
    const RunInfo info = find_run(store, *run);
    nlohmann::json json = run_info_json(info);
    json["answered"] = store.answer_count(info.id);
    ctx.out << json.dump(2) << "\n";
    return kExitOk;
  }
  ctx.out << runs_table(store);
  return kExitOk;
}

int cmd_results(const Args& args, CliContext& ctx) {
  ArgParser parser("mote results", "Table of a session's stored results.");
  parser.positional("SESSION", "session file")
      .option("--kind", "KIND",
              "only this kind: ftri, evaluation, random-control, dose-curve, tsne")
      .example("mote results refusal.mote --kind ftri");
  const auto a = parser.parse(args);
  SessionStore store = open_session(a.positional("SESSION"));
  ctx.out << results_table(store, a.get_or("--kind", ""));
  return kExitOk;
}

}  // namespace mote::cli
