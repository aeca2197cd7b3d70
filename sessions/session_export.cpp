#include "sessions/session_export.h"

#include <map>
#include <set>
#include <sstream>

#include "protocol/npy.h"
#include "sessions/csv_writer.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"

namespace mote::sessions {

namespace fs = std::filesystem;

std::string file_name_part(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    out += keep ? c : '_';
  }
  return out.empty() ? "_" : out;
}

nlohmann::json run_info_json(const RunInfo& run) {
  nlohmann::json json = {{"id", run.id},
                         {"name", run.config.name},
                         {"dataset_id", run.config.dataset_id},
                         {"kind", to_string(run.config.kind)},
                         {"model_id", run.config.model_id},
                         {"geometry", run.config.geometry.to_json()},
                         {"tuning", run.config.tuning.to_json()},
                         {"sampling", run.config.sampling},
                         {"seed", run.config.seed},
                         {"max_tokens", run.config.max_tokens},
                         {"engine_version", run.config.engine_version},
                         {"status", to_string(run.status)},
                         {"created_at", run.created_at}};
  if (run.config.draw_index) json["draw_index"] = *run.config.draw_index;
  return json;
}

namespace {

void make_directory(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec || !fs::is_directory(directory))
    throw SessionError("cannot create directory " + directory.string() + ": " + ec.message());
}

std::string number(double v) {
  std::ostringstream out;
  out.precision(9);
  out << v;
  return out.str();
}

template <typename T>
T json_get(const nlohmann::json& json, const char* key, std::int64_t result_id) {
  try {
    return json.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw SessionError("result " + std::to_string(result_id) + ": field \"" + key +
                       "\": " + e.what());
  }
}

struct Writer {
  fs::path directory;
  std::string prefix;  // "<kind>-<id>"; suffixes start with '_'
  std::vector<fs::path> written;

  fs::path path(const std::string& suffix) const { return directory / (prefix + suffix); }
  void text(const std::string& suffix, const std::string& content) {
    write_text_file(path(suffix), content);
    written.push_back(path(suffix));
  }
  void npy(const std::string& suffix, const std::vector<float>& values,
           const std::vector<std::size_t>& shape) {
    write_npy(path(suffix), values.data(), shape);
    written.push_back(path(suffix));
  }
};

void export_ftri(SessionStore& store, std::int64_t result_id, const ResultExportOptions& options,
                 Writer& w, std::set<std::string>& handled) {
  const StoredFtri ftri = load_ftri(store, result_id);
  w.text("_experts.csv", expert_table_csv(ftri.analysis.table));
  w.text("_experts.json", expert_table_json(ftri.analysis.table).dump(1) + "\n");
  for (auto& p :
       write_statistics_npy(ftri.analysis.statistics, ftri.geometry, w.directory, w.prefix))
    w.written.push_back(p);
  for (const char* name : {"resonance", "t", "p", "q", "stability"}) handled.insert(name);
  for (const auto& name : store.result_array_names(result_id)) {
    if (name.rfind("mean:", 0) != 0) continue;
    std::vector<std::size_t> shape;
    const auto values = store.load_result_array(result_id, name, shape);
    w.npy("_mean_" + file_name_part(name.substr(5)) + ".npy", values, shape);
    handled.insert(name);
  }
  if (options.top_n > 0) {
    const std::size_t n = std::min(options.top_n, ftri.analysis.table.size());
    const TuningSpec spec = tuning_from_ranking(ranking_addresses(ftri.analysis.table, options.end),
                                                n, options.direction);
    const std::string direction =
        options.direction == TuningDirection::kSuppress ? "suppress" : "stimulate";
    const std::string end = options.end == RankingEnd::kTop ? "top" : "bottom";
    w.text("_tuning_" + end + std::to_string(n) + "_" + direction + ".json",
           spec.to_json().dump() + "\n");
  }
}

void export_evaluation(const StoredResult& r, Writer& w) {
  TransitionMatrix m;
  const auto& t = r.json.at("transitions");
  m.labels = json_get<std::vector<std::string>>(t, "labels", r.id);
  m.counts = json_get<std::vector<std::vector<std::size_t>>>(t, "counts", r.id);
  m.row_percent = json_get<std::vector<std::vector<double>>>(t, "row_percent", r.id);
  w.text("_transitions.csv", m.to_csv());
  const auto& f = r.json.at("flips");
  std::string csv = "label,n_class,flipped,rate,n_other,became_class,reverse_rate\n";
  csv += csv_escape(json_get<std::string>(f, "label", r.id)) + ',' +
         std::to_string(json_get<std::size_t>(f, "n_class", r.id)) + ',' +
         std::to_string(json_get<std::size_t>(f, "flipped", r.id)) + ',' +
         number(json_get<double>(f, "rate", r.id)) + ',' +
         std::to_string(json_get<std::size_t>(f, "n_other", r.id)) + ',' +
         std::to_string(json_get<std::size_t>(f, "became_class", r.id)) + ',' +
         number(json_get<double>(f, "reverse_rate", r.id)) + '\n';
  w.text("_flips.csv", csv);
}

void export_random_control(const StoredResult& r, Writer& w) {
  const auto draws = json_get<std::vector<double>>(r.json, "draws", r.id);
  const auto runs = json_get<std::vector<std::int64_t>>(r.json, "control_runs", r.id);
  if (draws.size() != runs.size())
    throw SessionError("result " + std::to_string(r.id) + ": draws and control_runs differ");
  std::string csv = "draw,run_id,flip_rate\n";
  for (std::size_t d = 0; d < draws.size(); ++d)
    csv += std::to_string(d) + ',' + std::to_string(runs[d]) + ',' + number(draws[d]) + '\n';
  w.text("_draws.csv", csv);
}

void export_capability(const StoredResult& r, Writer& w) {
  std::string csv = "prompt_id,expected,original_right,tuned_right\n";
  for (const auto& p : r.json.at("prompts")) {
    csv += std::to_string(json_get<std::int64_t>(p, "prompt_id", r.id)) + ',' +
           csv_escape(json_get<std::string>(p, "expected", r.id)) + ',' +
           (json_get<bool>(p, "original", r.id) ? "1" : "0") + ',' +
           (json_get<bool>(p, "tuned", r.id) ? "1" : "0") + '\n';
  }
  w.text("_prompts.csv", csv);
}

void export_dose_curve(const StoredResult& r, Writer& w) {
  const DoseCurve curve = DoseCurve::from_json(r.json.at("curve"));
  const auto runs = json_get<std::vector<std::int64_t>>(r.json, "tuned_runs", r.id);
  const auto& flips = r.json.at("flips");
  if (runs.size() != curve.n_experts.size() || flips.size() != runs.size())
    throw SessionError("result " + std::to_string(r.id) + ": dose curve lists differ in length");
  std::string csv =
      "n_experts,run_id,flip_rate,flipped,n_class,reverse_rate,became_class,n_other\n";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& f = flips[i];
    csv += std::to_string(curve.n_experts[i]) + ',' + std::to_string(runs[i]) + ',' +
           number(curve.flip_rate[i]) + ',' +
           std::to_string(json_get<std::size_t>(f, "flipped", r.id)) + ',' +
           std::to_string(json_get<std::size_t>(f, "n_class", r.id)) + ',' +
           number(json_get<double>(f, "reverse_rate", r.id)) + ',' +
           std::to_string(json_get<std::size_t>(f, "became_class", r.id)) + ',' +
           std::to_string(json_get<std::size_t>(f, "n_other", r.id)) + '\n';
  }
  w.text("_curve.csv", csv);
}

std::string tsne_csv_of(SessionStore& store, const StoredResult& r) {
  std::vector<std::size_t> shape;
  const auto coords = store.load_result_array(r.id, "coords", shape);
  const auto prompt_ids = json_get<std::vector<std::int64_t>>(r.json, "prompt_ids", r.id);
  const auto labels = json_get<std::vector<std::string>>(r.json, "labels", r.id);
  const auto run_id = json_get<std::int64_t>(r.json, "run_id", r.id);
  std::map<std::int64_t, StoredPrompt> prompts;
  for (auto& p : store.prompts(store.run(run_id).config.dataset_id)) prompts[p.id] = std::move(p);
  std::set<std::string> keys;
  for (auto id : prompt_ids) {
    auto it = prompts.find(id);
    if (it == prompts.end())
      throw SessionError("result " + std::to_string(r.id) + ": unknown prompt " +
                         std::to_string(id));
    for (const auto& [k, v] : it->second.prompt.metadata) keys.insert(k);
  }
  std::vector<std::string> header{"prompt_id", "position", "prompt"};
  header.insert(header.end(), keys.begin(), keys.end());
  std::vector<std::vector<std::string>> columns(header.size());
  for (auto id : prompt_ids) {
    const auto& p = prompts.at(id);
    columns[0].push_back(std::to_string(id));
    columns[1].push_back(std::to_string(p.position));
    columns[2].push_back(p.prompt.text);
    std::size_t c = 3;
    for (const auto& k : keys) {
      auto it = p.prompt.metadata.find(k);
      columns[c++].push_back(it == p.prompt.metadata.end() ? "" : it->second);
    }
  }
  return tsne_csv(coords, labels, header, columns);
}

}  // namespace

std::vector<fs::path> export_result(SessionStore& store, std::int64_t result_id,
                                    const fs::path& directory, const ResultExportOptions& options) {
  const StoredResult r = store.load_result(result_id);
  make_directory(directory);
  Writer w{directory, file_name_part(r.kind) + "-" + std::to_string(r.id), {}};
  std::set<std::string> handled;
  try {
    if (r.kind == "ftri") {
      export_ftri(store, result_id, options, w, handled);
    } else if (r.kind == "evaluation") {
      export_evaluation(r, w);
    } else if (r.kind == "random-control") {
      export_random_control(r, w);
    } else if (r.kind == "dose-curve") {
      export_dose_curve(r, w);
    } else if (r.kind == "capability") {
      export_capability(r, w);
    } else if (r.kind == "tsne") {
      w.text("_tsne.csv", tsne_csv_of(store, r));
    }
  } catch (const nlohmann::json::exception& e) {
    throw SessionError("result " + std::to_string(r.id) + " (" + r.kind + "): " + e.what());
  }
  nlohmann::json meta = {{"id", r.id},
                         {"kind", r.kind},
                         {"name", r.name},
                         {"created_at", r.created_at},
                         {"result", r.json}};
  w.text("_result.json", meta.dump(1) + "\n");
  for (const auto& name : store.result_array_names(result_id)) {
    if (handled.count(name)) continue;
    std::vector<std::size_t> shape;
    const auto values = store.load_result_array(result_id, name, shape);
    w.npy("_" + file_name_part(name) + ".npy", values, shape);
  }
  return w.written;
}

std::string tsne_result_csv(SessionStore& store, std::int64_t result_id) {
  const StoredResult r = store.load_result(result_id);
  if (r.kind != "tsne")
    throw SessionError("result " + std::to_string(result_id) + " is not a t-SNE result");
  try {
    return tsne_csv_of(store, r);
  } catch (const nlohmann::json::exception& e) {
    throw SessionError("result " + std::to_string(result_id) + " (tsne): " + e.what());
  }
}

std::vector<fs::path> export_run(SessionStore& store, std::int64_t run_id,
                                 const fs::path& directory) {
  const RunInfo run = store.run(run_id);
  make_directory(directory);
  Writer w{directory, "run-" + std::to_string(run_id), {}};
  const auto answers = store.answers(run_id, true);
  std::map<std::int64_t, StoredPrompt> prompts;
  for (auto& p : store.prompts(run.config.dataset_id)) prompts[p.id] = std::move(p);
  std::set<std::string> keys;
  for (const auto& a : answers) {
    for (const auto& [k, v] : prompts.at(a.prompt_id).prompt.metadata) keys.insert(k);
  }
  const auto classifiers = store.label_classifiers(run_id);
  std::vector<std::map<std::int64_t, EffectiveLabel>> labels;
  for (const auto& c : classifiers) {
    labels.emplace_back();
    for (auto& l : store.labels(run_id, c)) labels.back()[l.prompt_id] = l;
  }

  std::string csv = "position,prompt_id,prompt";
  for (const auto& k : keys) csv += ',' + csv_escape(k);
  csv += ",answer,prompt_tokens,completion_tokens,finish_reason,elapsed_ms";
  for (const auto& c : classifiers)
    csv += ',' + csv_escape("label:" + c) + ',' + csv_escape("manual:" + c);
  csv += '\n';
  for (const auto& a : answers) {
    const auto& p = prompts.at(a.prompt_id);
    csv += std::to_string(p.position) + ',' + std::to_string(a.prompt_id) + ',' +
           csv_escape(p.prompt.text);
    for (const auto& k : keys) {
      auto it = p.prompt.metadata.find(k);
      csv += ',' + csv_escape(it == p.prompt.metadata.end() ? "" : it->second);
    }
    csv += ',' + csv_escape(a.answer.text) + ',' + std::to_string(a.answer.prompt_tokens) + ',' +
           std::to_string(a.answer.completion_tokens) + ',' + csv_escape(a.answer.finish_reason) +
           ',' + number(a.answer.elapsed_ms);
    for (const auto& by_prompt : labels) {
      auto it = by_prompt.find(a.prompt_id);
      const bool found = it != by_prompt.end();
      csv += ',' + csv_escape(found ? it->second.label : "") + ',' +
             (found && it->second.manual ? "1" : "0");
    }
    csv += '\n';
  }
  w.text("_answers.csv", csv);

  const ModelGeometry& g = run.config.geometry;
  const std::pair<const char*, std::optional<ActivationMap> AnswerRecord::*> kinds[] = {
      {"prompt", &AnswerRecord::prompt_map},
      {"completion", &AnswerRecord::completion_map},
      {"weighted", &AnswerRecord::weighted_map}};
  for (const auto& [name, member] : kinds) {
    std::size_t present = 0;
    for (const auto& a : answers) present += (a.answer.*member).has_value();
    if (present == 0) continue;
    std::vector<float> values;
    values.reserve(answers.size() * g.n_cells());
    for (const auto& a : answers) {
      const auto& map = a.answer.*member;
      if (!map) {
        throw SessionError("run " + std::to_string(run_id) + ": prompt " +
                           std::to_string(a.prompt_id) + " has no " + name +
                           " map while other answers have one; cannot export the " + name +
                           " maps as one array");
      }
      values.insert(values.end(), map->values.begin(), map->values.end());
    }
    w.npy(std::string("_") + name + "_maps.npy", values,
          {answers.size(), g.n_moe_layers(), static_cast<std::size_t>(g.n_experts)});
  }
  nlohmann::json info = run_info_json(run);
  info["answers"] = answers.size();
  info["label_classifiers"] = classifiers;
  w.text("_run.json", info.dump(1) + "\n");
  return w.written;
}

}  // namespace mote::sessions
