#include "sessions/cli/cli_common.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "sessions/cli/cli_table.h"
#include "sessions/resources.h"
#include "sessions/session_analysis.h"
#include "sessions/session_error.h"

namespace mote::cli {

using namespace mote::sessions;
namespace fs = std::filesystem;

SessionStore open_session(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw SessionError(path + ": no such session file (create one with 'mote new " + path + "')");
  }
  return SessionStore::open(path);
}

namespace {

std::optional<std::int64_t> as_id(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(text);
}

template <typename T>
std::string id_list(const std::vector<T>& items) {
  std::string s;
  for (const auto& i : items) s += (s.empty() ? "" : ", ") + std::to_string(i.id);
  return s;
}

}  // namespace

DatasetInfo find_dataset(SessionStore& store, const std::string& id_or_name) {
  const auto datasets = store.list_datasets();
  if (auto id = as_id(id_or_name)) {
    for (const auto& d : datasets)
      if (d.id == *id) return d;
  }
  std::vector<DatasetInfo> named;
  for (const auto& d : datasets)
    if (d.name == id_or_name) named.push_back(d);
  if (named.size() == 1) return named.front();
  if (named.size() > 1) {
    throw SessionError(store.path().string() + ": several datasets are named \"" + id_or_name +
                       "\" (ids " + id_list(named) + "); pass the id");
  }
  std::string known;
  for (const auto& d : datasets)
    known += (known.empty() ? "" : ", ") + std::to_string(d.id) + " " + d.name;
  throw SessionError(store.path().string() + ": no dataset \"" + id_or_name + "\" (datasets: " +
                     (known.empty() ? "none; add one with 'mote dataset add'" : known) + ")");
}

std::vector<RunInfo> runs_named(SessionStore& store, const std::string& name) {
  std::vector<RunInfo> named;
  for (auto& r : store.list_runs())
    if (r.config.name == name) named.push_back(std::move(r));
  return named;
}

RunInfo find_run(SessionStore& store, const std::string& id_or_name) {
  if (auto id = as_id(id_or_name)) {
    for (auto& r : store.list_runs())
      if (r.id == *id) return r;
  }
  auto named = runs_named(store, id_or_name);
  if (named.size() == 1) return named.front();
  if (named.size() > 1) {
    throw SessionError(store.path().string() + ": several runs are named \"" + id_or_name +
                       "\" (ids " + id_list(named) + "); pass the id");
  }
  throw SessionError(store.path().string() + ": no run \"" + id_or_name +
                     "\" (list them with 'mote runs " + store.path().string() + "')");
}

StoredResult find_result(SessionStore& store, const std::string& id,
                         const std::string& expected_kind) {
  auto number = as_id(id);
  if (!number) throw SessionError("result id must be a number, got \"" + id + "\"");
  StoredResult r = store.load_result(*number);
  if (!expected_kind.empty() && r.kind != expected_kind) {
    throw SessionError(store.path().string() + ": result " + id + " is a \"" + r.kind +
                       "\" result, expected \"" + expected_kind + "\"");
  }
  return r;
}

ResolvedClassifier resolve_classifier(SessionStore& store, const std::string& argument) {
  std::error_code ec;
  if (fs::is_regular_file(argument, ec))
    return {AnswerClassifier::load(argument), "file " + argument};
  if (auto stored = store.load_classifier(argument)) {
    return {
        AnswerClassifier::from_json(*stored, store.path().string() + ": classifier " + argument),
        "session"};
  }
  const bool looks_like_path = argument.find('/') != std::string::npos ||
                               (argument.size() > 5 && argument.ends_with(".json"));
  if (looks_like_path) throw SessionError(argument + ": no such rule file");
  return {AnswerClassifier::load(builtin_classifier_path(argument)), "built-in"};
}

std::string classifier_name(const std::string& argument) {
  std::error_code ec;
  if (fs::is_regular_file(argument, ec)) return AnswerClassifier::load(argument).name();
  return argument;
}

bool ensure_labelled(SessionStore& store, const RunInfo& run,
                     const std::string& classifier_argument, CliContext& ctx) {
  const std::string name = classifier_name(classifier_argument);
  const auto labels = store.labels(run.id, name);
  const bool missing = std::any_of(labels.begin(), labels.end(),
                                   [](const EffectiveLabel& l) { return l.label.empty(); });
  if (!missing) return false;
  auto resolved = resolve_classifier(store, classifier_argument);
  const std::size_t unmatched = classify_run(store, run.id, resolved.classifier);
  ctx.err << "labelled " << describe_run(run) << " with " << resolved.classifier.name() << " ("
          << resolved.origin << ")";
  if (unmatched) ctx.err << "; " << unmatched << " answers matched no rule";
  ctx.err << "\n";
  return true;
}

fs::path default_output_dir(const std::string& session_path) {
  fs::path p(session_path);
  return p.parent_path() / (p.stem().string() + "-out");
}

std::string wrote_line(const std::vector<fs::path>& files, const fs::path& out) {
  std::string names;
  for (const auto& f : files) names += (names.empty() ? "" : ", ") + f.filename().string();
  return "wrote " + std::to_string(files.size()) + " files to " + out.string() + "/: " + names +
         "\n";
}

std::string describe_tuning(const TuningSpec& tuning) {
  if (tuning.empty()) return "none";
  std::string s;
  if (!tuning.suppress.empty()) s += "suppress " + std::to_string(tuning.suppress.size());
  if (!tuning.stimulate.empty())
    s += std::string(s.empty() ? "" : " + ") + "stimulate " +
         std::to_string(tuning.stimulate.size());
  return s;
}

std::string describe_sampling(const RunConfig& config) {
  const auto& s = config.sampling;
  const double temperature = s.is_object() ? s.value("temperature", 0.0) : 0.0;
  std::string text = temperature <= 0 ? "greedy" : "T=" + general(temperature, 3);
  if (temperature > 0 && s.contains("top_p")) text += " top_p=" + general(s["top_p"], 3);
  if (temperature > 0 && s.contains("top_k") && s["top_k"].is_number() && s["top_k"] != 0)
    text += " top_k=" + s["top_k"].dump();
  if (temperature > 0) text += " seed=" + std::to_string(config.seed);
  return text;
}

std::string describe_run(const RunInfo& run) {
  return "run " + std::to_string(run.id) + " '" + run.config.name + "'";
}

std::string class_count_table(SessionStore& store, std::int64_t run_id,
                              const std::string& classifier,
                              const std::vector<std::string>& label_order) {
  std::map<std::string, std::size_t> counts;
  std::size_t manual = 0;
  const auto labels = store.labels(run_id, classifier);
  for (const auto& l : labels) {
    ++counts[l.label];
    manual += l.manual;
  }
  std::vector<std::string> order;
  for (const auto& l : label_order)
    if (counts.count(l)) order.push_back(l);
  for (const auto& [l, n] : counts)
    if (!l.empty() && std::find(order.begin(), order.end(), l) == order.end()) order.push_back(l);
  if (counts.count("")) order.push_back("");
  Table table = Table::with_headers({"class", ">answers", ">share"});
  for (const auto& l : order) {
    table.row({l.empty() ? "(none)" : l, std::to_string(counts[l]),
               percent(labels.empty() ? 0.0 : static_cast<double>(counts[l]) / labels.size())});
  }
  table.row({"total", std::to_string(labels.size()), labels.empty() ? "" : "100.0 %"});
  std::string text = table.render();
  if (manual) text += std::to_string(manual) + " of them labelled by hand\n";
  return text;
}

void write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  write_text_file(path, text);
}

}  // namespace mote::cli
