#include "sessions/session_store.h"

#include <sqlite3.h>

#include "protocol/npy.h"
#include "sessions/session_error.h"
#include "sessions/session_schema.h"
#include "sessions/sqlite_connection.h"

namespace mote::sessions {

namespace {

struct NamedValue {
  const char* name;
  int value;
};

template <typename Enum, std::size_t N>
std::string enum_name(Enum value, const NamedValue (&names)[N]) {
  for (const auto& n : names) {
    if (n.value == static_cast<int>(value)) return n.name;
  }
  throw SessionError("unknown enum value " + std::to_string(static_cast<int>(value)));
}

template <typename Enum, std::size_t N>
Enum enum_value(const std::string& text, const NamedValue (&names)[N], const char* what) {
  for (const auto& n : names) {
    if (text == n.name) return static_cast<Enum>(n.value);
  }
  throw SessionError(std::string("unknown ") + what + " \"" + text + "\"");
}

constexpr NamedValue kRunKinds[] = {{"original", static_cast<int>(RunKind::kOriginal)},
                                    {"tuned", static_cast<int>(RunKind::kTuned)},
                                    {"random-control", static_cast<int>(RunKind::kRandomControl)}};
constexpr NamedValue kRunStatuses[] = {{"pending", static_cast<int>(RunStatus::kPending)},
                                       {"running", static_cast<int>(RunStatus::kRunning)},
                                       {"finished", static_cast<int>(RunStatus::kFinished)},
                                       {"failed", static_cast<int>(RunStatus::kFailed)},
                                       {"cancelled", static_cast<int>(RunStatus::kCancelled)}};

nlohmann::json parse_stored_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw SessionError("corrupt " + what + " in session: " + e.what());
  }
}

std::optional<std::string> encode_optional(const std::optional<ActivationMap>& map) {
  if (!map) return std::nullopt;
  return encode_activation_map(*map);
}

}  // namespace

std::string to_string(RunKind kind) {
  return enum_name(kind, kRunKinds);
}
std::string to_string(RunStatus status) {
  return enum_name(status, kRunStatuses);
}
RunKind run_kind_from_string(const std::string& text) {
  return enum_value<RunKind>(text, kRunKinds, "run kind");
}
RunStatus run_status_from_string(const std::string& text) {
  return enum_value<RunStatus>(text, kRunStatuses, "run status");
}

SessionStore::SessionStore(std::filesystem::path path, std::unique_ptr<SqliteConnection> connection)
    : path_(std::move(path)), db_(std::move(connection)) {
  migrate_session_schema(*db_);
  {
    SqliteStatement journal(*db_, "PRAGMA journal_mode = WAL");
    journal.step();
    if (journal.text(0) != "wal")
      throw SessionError(path_.string() + ": cannot switch to WAL journal mode");
  }
  db_->execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  sqlite3_busy_timeout(db_->handle(), 10000);
}

SessionStore::SessionStore(SessionStore&&) noexcept = default;
SessionStore& SessionStore::operator=(SessionStore&&) noexcept = default;
SessionStore::~SessionStore() = default;

SessionStore SessionStore::create(const std::filesystem::path& path) {
  if (std::filesystem::exists(path))
    throw SessionError(path.string() + ": already exists (open it instead)");
  auto connection = std::make_unique<SqliteConnection>(
      path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
  return SessionStore(path, std::move(connection));
}

SessionStore SessionStore::open(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw SessionError(path.string() + ": no such session file");
  auto connection = std::make_unique<SqliteConnection>(path.string(),
                                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  return SessionStore(path, std::move(connection));
}

int SessionStore::schema_version() {
  SqliteStatement statement(*db_, "PRAGMA user_version");
  statement.step();
  return static_cast<int>(statement.integer(0));
}

// ---- datasets ----

std::int64_t SessionStore::add_dataset(const Dataset& dataset) {
  if (dataset.name.empty()) throw SessionError("dataset without a name");
  SqliteTransaction transaction(*db_);
  SqliteStatement insert(
      *db_, "INSERT INTO datasets (name, description, mode, system_prompt) VALUES (?, ?, ?, ?)");
  insert.bind(1, dataset.name)
      .bind(2, dataset.description)
      .bind(3, to_string(dataset.mode))
      .bind(4, dataset.system_prompt);
  insert.run();
  const std::int64_t id = sqlite3_last_insert_rowid(db_->handle());
  SqliteStatement prompt(
      *db_, "INSERT INTO prompts (dataset_id, position, text, metadata_json) VALUES (?, ?, ?, ?)");
  for (std::size_t i = 0; i < dataset.prompts.size(); ++i) {
    prompt.reset();
    prompt.bind(1, id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, dataset.prompts[i].text)
        .bind(4, nlohmann::json(dataset.prompts[i].metadata).dump());
    prompt.run();
  }
  transaction.commit();
  return id;
}

std::vector<DatasetInfo> SessionStore::list_datasets() {
  SqliteStatement query(
      *db_,
      "SELECT d.id, d.name, d.description, d.mode, d.system_prompt, "
      "(SELECT count(*) FROM prompts p WHERE p.dataset_id = d.id) FROM datasets d ORDER BY d.id");
  std::vector<DatasetInfo> list;
  while (query.step()) {
    DatasetInfo info;
    info.id = query.integer(0);
    info.name = query.text(1);
    info.description = query.text(2);
    info.mode = prompt_mode_from_string(query.text(3));
    if (!query.is_null(4)) info.system_prompt = query.text(4);
    info.n_prompts = static_cast<std::size_t>(query.integer(5));
    list.push_back(std::move(info));
  }
  return list;
}

namespace {

// Rows of (id, position, text, metadata_json), as both prompt queries select them.
std::vector<StoredPrompt> read_prompts(SqliteStatement& query) {
  std::vector<StoredPrompt> list;
  while (query.step()) {
    StoredPrompt p;
    p.id = query.integer(0);
    p.position = static_cast<std::size_t>(query.integer(1));
    p.prompt.text = query.text(2);
    p.prompt.metadata = parse_stored_json(query.text(3), "prompt metadata")
                            .get<std::map<std::string, std::string>>();
    list.push_back(std::move(p));
  }
  return list;
}

}  // namespace

std::vector<StoredPrompt> SessionStore::prompts(std::int64_t dataset_id) {
  SqliteStatement query(*db_,
                        "SELECT id, position, text, metadata_json FROM prompts WHERE dataset_id = "
                        "? ORDER BY position");
  query.bind(1, dataset_id);
  return read_prompts(query);
}

Dataset SessionStore::load_dataset(std::int64_t dataset_id) {
  for (auto& info : list_datasets()) {
    if (info.id != dataset_id) continue;
    Dataset dataset;
    dataset.name = info.name;
    dataset.description = info.description;
    dataset.mode = info.mode;
    dataset.system_prompt = info.system_prompt;
    for (auto& p : prompts(dataset_id)) dataset.prompts.push_back(std::move(p.prompt));
    return dataset;
  }
  throw SessionError(path_.string() + ": no dataset with id " + std::to_string(dataset_id));
}

// ---- runs ----

std::int64_t SessionStore::create_run(const RunConfig& config) {
  config.geometry.validate();
  config.tuning.validate(config.geometry);
  if ((config.kind == RunKind::kRandomControl) != config.draw_index.has_value()) {
    throw SessionError("a random-control run needs a draw index, and only it may have one");
  }
  // max_tokens 0: prompt maps only (execute_run scans instead of generating).
  if (config.max_tokens < 0) throw SessionError("run max_tokens must not be negative");
  SqliteTransaction transaction(*db_);
  {
    SqliteStatement dataset(*db_, "SELECT 1 FROM datasets WHERE id = ?");
    dataset.bind(1, config.dataset_id);
    if (!dataset.step())
      throw SessionError(path_.string() + ": no dataset with id " +
                         std::to_string(config.dataset_id));
  }
  SqliteStatement insert(
      *db_,
      "INSERT INTO runs (dataset_id, name, kind, draw_index, model_id, geometry_json, tuning_json, "
      "sampling_json, seed, max_tokens, engine_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, config.dataset_id)
      .bind(2, config.name)
      .bind(3, to_string(config.kind))
      .bind(4, config.draw_index)
      .bind(5, config.model_id)
      .bind(6, config.geometry.to_json().dump())
      .bind(7, config.tuning.to_json().dump())
      .bind(8, config.sampling.dump())
      .bind(9, config.seed)
      .bind(10, config.max_tokens)
      .bind(11, config.engine_version);
  insert.run();
  const std::int64_t id = sqlite3_last_insert_rowid(db_->handle());
  transaction.commit();
  return id;
}

namespace {
constexpr const char* kRunColumns =
    "SELECT id, dataset_id, name, kind, draw_index, model_id, geometry_json, tuning_json, "
    "sampling_json, seed, "
    "max_tokens, engine_version, status, created_at FROM runs";

RunInfo read_run(const SqliteStatement& row) {
  RunInfo info;
  info.id = row.integer(0);
  info.config.dataset_id = row.integer(1);
  info.config.name = row.text(2);
  info.config.kind = run_kind_from_string(row.text(3));
  if (!row.is_null(4)) info.config.draw_index = static_cast<int>(row.integer(4));
  info.config.model_id = row.text(5);
  info.config.geometry = ModelGeometry::from_json(parse_stored_json(row.text(6), "run geometry"));
  info.config.tuning = TuningSpec::from_json(parse_stored_json(row.text(7), "run tuning"));
  info.config.sampling = parse_stored_json(row.text(8), "run sampling");
  info.config.seed = row.integer(9);
  info.config.max_tokens = static_cast<int>(row.integer(10));
  info.config.engine_version = row.text(11);
  info.status = run_status_from_string(row.text(12));
  info.created_at = row.text(13);
  return info;
}
}  // namespace

RunInfo SessionStore::run(std::int64_t run_id) {
  SqliteStatement query(*db_, std::string(kRunColumns) + " WHERE id = ?");
  query.bind(1, run_id);
  if (!query.step())
    throw SessionError(path_.string() + ": no run with id " + std::to_string(run_id));
  return read_run(query);
}

std::vector<RunInfo> SessionStore::list_runs() {
  SqliteStatement query(*db_, std::string(kRunColumns) + " ORDER BY id");
  std::vector<RunInfo> list;
  while (query.step()) list.push_back(read_run(query));
  return list;
}

void SessionStore::set_run_status(std::int64_t run_id, RunStatus status) {
  SqliteStatement update(*db_, "UPDATE runs SET status = ? WHERE id = ?");
  update.bind(1, to_string(status)).bind(2, run_id);
  update.run();
  if (sqlite3_changes(db_->handle()) == 0) {
    throw SessionError(path_.string() + ": no run with id " + std::to_string(run_id));
  }
}

const ModelGeometry& SessionStore::run_geometry(std::int64_t run_id) {
  auto it = geometry_cache_.find(run_id);
  if (it == geometry_cache_.end())
    it = geometry_cache_.emplace(run_id, run(run_id).config.geometry).first;
  return it->second;
}

// ---- answers ----

void SessionStore::record_answer(std::int64_t run_id, std::int64_t prompt_id,
                                 const AnswerRecord& answer, const std::string& classifier,
                                 const std::vector<RuleLabel>& labels) {
  const ModelGeometry& geometry = run_geometry(run_id);
  const std::pair<const char*, const std::optional<ActivationMap>*> maps[] = {
      {"prompt", &answer.prompt_map},
      {"completion", &answer.completion_map},
      {"weighted", &answer.weighted_map}};
  for (const auto& [name, map] : maps) {
    if (*map && ((*map)->rows != geometry.n_moe_layers() ||
                 (*map)->cols != static_cast<std::size_t>(geometry.n_experts) ||
                 (*map)->values.size() != geometry.n_cells())) {
      throw SessionError(std::string(name) + " map of prompt " + std::to_string(prompt_id) +
                         " has shape " + std::to_string((*map)->rows) + "x" +
                         std::to_string((*map)->cols) + ", run " + std::to_string(run_id) +
                         " expects " + std::to_string(geometry.n_moe_layers()) + "x" +
                         std::to_string(geometry.n_experts));
    }
  }
  for (const auto& l : labels) {
    if (l.prompt_id != prompt_id)
      throw SessionError("record_answer: a label for another prompt was passed");
  }
  if (!labels.empty() && classifier.empty())
    throw SessionError("record_answer: labels need a classifier name");
  // Encode outside the transaction: the write lock is held only for the inserts.
  const auto prompt_blob = encode_optional(answer.prompt_map);
  const auto completion_blob = encode_optional(answer.completion_map);
  const auto weighted_blob = encode_optional(answer.weighted_map);

  SqliteTransaction transaction(*db_);
  {
    SqliteStatement check(
        *db_,
        "SELECT (SELECT 1 FROM prompts p JOIN runs r ON r.dataset_id = p.dataset_id "
        "        WHERE p.id = ?1 AND r.id = ?2), "
        "       (SELECT 1 FROM answers WHERE prompt_id = ?1 AND run_id = ?2)");
    check.bind(1, prompt_id).bind(2, run_id);
    check.step();
    if (check.is_null(0)) {
      throw SessionError("prompt " + std::to_string(prompt_id) + " is not in the dataset of run " +
                         std::to_string(run_id));
    }
    if (!check.is_null(1)) {
      throw SessionError("prompt " + std::to_string(prompt_id) + " is already answered in run " +
                         std::to_string(run_id));
    }
  }
  SqliteStatement insert(*db_,
                         "INSERT INTO answers (run_id, prompt_id, text, prompt_tokens, "
                         "completion_tokens, finish_reason, "
                         "prompt_map, completion_map, weighted_map, elapsed_ms) VALUES (?, ?, ?, "
                         "?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, run_id).bind(2, prompt_id).bind(3, answer.text).bind(4, answer.prompt_tokens);
  insert.bind(5, answer.completion_tokens).bind(6, answer.finish_reason);
  const std::optional<std::string>* blobs[] = {&prompt_blob, &completion_blob, &weighted_blob};
  for (int i = 0; i < 3; ++i) {
    if (*blobs[i])
      insert.bind_blob(7 + i, **blobs[i]);
    else
      insert.bind_null(7 + i);
  }
  insert.bind(10, answer.elapsed_ms);
  insert.run();
  if (!labels.empty()) {
    SqliteStatement label(
        *db_,
        "INSERT OR REPLACE INTO rule_labels (run_id, prompt_id, classifier, label, rule_index) "
        "VALUES (?, ?, ?, ?, ?)");
    for (const auto& l : labels) {
      label.reset();
      label.bind(1, run_id)
          .bind(2, prompt_id)
          .bind(3, classifier)
          .bind(4, l.label)
          .bind(5, l.rule_index);
      label.run();
    }
  }
  transaction.commit();
}

std::vector<StoredPrompt> SessionStore::pending_prompts(std::int64_t run_id) {
  const std::int64_t dataset_id = run(run_id).config.dataset_id;
  SqliteStatement query(
      *db_,
      "SELECT p.id, p.position, p.text, p.metadata_json FROM prompts p WHERE p.dataset_id = ? "
      "AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.run_id = ? AND a.prompt_id = p.id) "
      "ORDER BY p.position");
  query.bind(1, dataset_id).bind(2, run_id);
  return read_prompts(query);
}

std::size_t SessionStore::answer_count(std::int64_t run_id) {
  SqliteStatement query(*db_, "SELECT count(*) FROM answers WHERE run_id = ?");
  query.bind(1, run_id);
  query.step();
  return static_cast<std::size_t>(query.integer(0));
}

std::vector<StoredAnswer> SessionStore::answers(std::int64_t run_id, bool with_maps) {
  SqliteStatement query(
      *db_,
      "SELECT a.prompt_id, p.position, a.text, a.prompt_tokens, a.completion_tokens, "
      "a.finish_reason, "
      "a.elapsed_ms, a.prompt_map, a.completion_map, a.weighted_map FROM answers a "
      "JOIN prompts p ON p.id = a.prompt_id WHERE a.run_id = ? ORDER BY p.position");
  query.bind(1, run_id);
  std::vector<StoredAnswer> list;
  while (query.step()) {
    StoredAnswer s;
    s.prompt_id = query.integer(0);
    s.position = static_cast<std::size_t>(query.integer(1));
    s.answer.text = query.text(2);
    s.answer.prompt_tokens = static_cast<int>(query.integer(3));
    s.answer.completion_tokens = static_cast<int>(query.integer(4));
    s.answer.finish_reason = query.text(5);
    s.answer.elapsed_ms = query.real(6);
    if (with_maps) {
      std::optional<ActivationMap>* maps[] = {&s.answer.prompt_map, &s.answer.completion_map,
                                              &s.answer.weighted_map};
      for (int i = 0; i < 3; ++i) {
        if (query.is_null(7 + i)) continue;
        try {
          *maps[i] = decode_activation_map(query.blob(7 + i));
        } catch (const ActivationMapError& e) {
          throw SessionError(path_.string() + ": run " + std::to_string(run_id) + ", prompt " +
                             std::to_string(s.prompt_id) + ": " + e.what());
        }
      }
    }
    list.push_back(std::move(s));
  }
  return list;
}

std::string to_string(MapKind kind) {
  switch (kind) {
    case MapKind::kCompletionCounts:
      return "completion";
    case MapKind::kPromptWeighted:
      return "weighted";
    default:
      return "prompt";
  }
}

MapMatrix SessionStore::maps(std::int64_t run_id, MapKind kind,
                             std::vector<std::int64_t>& prompt_ids) {
  const ModelGeometry& geometry = run_geometry(run_id);
  // The column name comes from a fixed set, never from user input.
  const std::string column = to_string(kind) + "_map";
  SqliteStatement query(*db_, "SELECT a.prompt_id, a." + column +
                                  " FROM answers a JOIN prompts p ON p.id = a.prompt_id "
                                  "WHERE a.run_id = ? ORDER BY p.position");
  query.bind(1, run_id);
  MapMatrix matrix;
  matrix.n_cells = geometry.n_cells();
  prompt_ids.clear();
  while (query.step()) {
    const std::int64_t prompt_id = query.integer(0);
    if (query.is_null(1)) {
      throw SessionError("run " + std::to_string(run_id) + ", prompt " + std::to_string(prompt_id) +
                         ": answer has no " + to_string(kind) + " activation map");
    }
    const ActivationMap map = decode_activation_map(query.blob(1));
    if (map.values.size() != matrix.n_cells)
      throw SessionError("stored map does not match the run geometry");
    matrix.values.insert(matrix.values.end(), map.values.begin(), map.values.end());
    prompt_ids.push_back(prompt_id);
  }
  matrix.n_prompts = prompt_ids.size();
  return matrix;
}

// ---- labels ----

void SessionStore::store_classifier(const std::string& name, const nlohmann::json& rules) {
  SqliteStatement insert(*db_,
                         "INSERT OR REPLACE INTO classifiers (name, rules_json) VALUES (?, ?)");
  insert.bind(1, name).bind(2, rules.dump());
  insert.run();
}

std::optional<nlohmann::json> SessionStore::load_classifier(const std::string& name) {
  SqliteStatement query(*db_, "SELECT rules_json FROM classifiers WHERE name = ?");
  query.bind(1, name);
  if (!query.step()) return std::nullopt;
  return parse_stored_json(query.text(0), "classifier rules");
}

void SessionStore::set_rule_labels(std::int64_t run_id, const std::string& classifier,
                                   const std::vector<RuleLabel>& labels) {
  SqliteTransaction transaction(*db_);
  SqliteStatement insert(
      *db_,
      "INSERT OR REPLACE INTO rule_labels (run_id, prompt_id, classifier, label, rule_index) "
      "VALUES (?, ?, ?, ?, ?)");
  for (const auto& l : labels) {
    insert.reset();
    insert.bind(1, run_id)
        .bind(2, l.prompt_id)
        .bind(3, classifier)
        .bind(4, l.label)
        .bind(5, l.rule_index);
    try {
      insert.run();
    } catch (const SessionError& e) {
      throw SessionError("label for prompt " + std::to_string(l.prompt_id) + " of run " +
                         std::to_string(run_id) + " (is it answered?): " + e.what());
    }
  }
  transaction.commit();
}

void SessionStore::set_manual_label(std::int64_t run_id, std::int64_t prompt_id,
                                    const std::string& classifier, const std::string& label,
                                    const std::string& note) {
  if (label.empty()) throw SessionError("manual label must not be empty (use clear_manual_label)");
  SqliteStatement insert(
      *db_,
      "INSERT OR REPLACE INTO manual_labels (run_id, prompt_id, classifier, label, note) "
      "VALUES (?, ?, ?, ?, ?)");
  insert.bind(1, run_id).bind(2, prompt_id).bind(3, classifier).bind(4, label).bind(5, note);
  try {
    insert.run();
  } catch (const SessionError& e) {
    throw SessionError("manual label: prompt " + std::to_string(prompt_id) +
                       " has no answer in run " + std::to_string(run_id) + ": " + e.what());
  }
}

void SessionStore::clear_manual_label(std::int64_t run_id, std::int64_t prompt_id,
                                      const std::string& classifier) {
  SqliteStatement remove(
      *db_, "DELETE FROM manual_labels WHERE run_id = ? AND prompt_id = ? AND classifier = ?");
  remove.bind(1, run_id).bind(2, prompt_id).bind(3, classifier);
  remove.run();
}

std::vector<EffectiveLabel> SessionStore::labels(std::int64_t run_id,
                                                 const std::string& classifier) {
  SqliteStatement query(
      *db_,
      "SELECT a.prompt_id, r.label, m.label FROM answers a JOIN prompts p ON p.id = a.prompt_id "
      "LEFT JOIN rule_labels r ON r.run_id = a.run_id AND r.prompt_id = a.prompt_id "
      "  AND r.classifier = ?2 "
      "LEFT JOIN manual_labels m ON m.run_id = a.run_id AND m.prompt_id = a.prompt_id "
      "  AND m.classifier = ?2 "
      "WHERE a.run_id = ?1 ORDER BY p.position");
  query.bind(1, run_id).bind(2, classifier);
  std::vector<EffectiveLabel> list;
  while (query.step()) {
    EffectiveLabel l;
    l.prompt_id = query.integer(0);
    l.rule_label = query.is_null(1) ? "" : query.text(1);
    l.manual = !query.is_null(2);
    l.label = l.manual ? query.text(2) : l.rule_label;
    list.push_back(std::move(l));
  }
  return list;
}

std::vector<std::string> SessionStore::label_classifiers(std::int64_t run_id) {
  SqliteStatement query(*db_,
                        "SELECT classifier FROM rule_labels WHERE run_id = ?1 UNION "
                        "SELECT classifier FROM manual_labels WHERE run_id = ?1 ORDER BY 1");
  query.bind(1, run_id);
  std::vector<std::string> names;
  while (query.step()) names.push_back(query.text(0));
  return names;
}

// ---- results ----

std::int64_t SessionStore::store_result(
    const std::string& kind, const std::string& name, const nlohmann::json& json,
    const std::map<std::string, std::pair<std::vector<std::size_t>, std::vector<float>>>& arrays) {
  for (const auto& [array_name, array] : arrays) {
    std::size_t count = 1;
    for (auto d : array.first) count *= d;
    if (count != array.second.size()) {
      throw SessionError("result array \"" + array_name + "\": shape does not match its " +
                         std::to_string(array.second.size()) + " values");
    }
  }
  SqliteTransaction transaction(*db_);
  SqliteStatement insert(*db_, "INSERT INTO results (kind, name, json) VALUES (?, ?, ?)");
  insert.bind(1, kind).bind(2, name).bind(3, json.dump());
  insert.run();
  const std::int64_t id = sqlite3_last_insert_rowid(db_->handle());
  SqliteStatement blob(*db_, "INSERT INTO result_arrays (result_id, name, npy) VALUES (?, ?, ?)");
  for (const auto& [array_name, array] : arrays) {
    blob.reset();
    blob.bind(1, id).bind(2, array_name).bind_blob(3, npy_bytes(array.second.data(), array.first));
    blob.run();
  }
  transaction.commit();
  return id;
}

namespace {
StoredResult read_result(const SqliteStatement& row) {
  StoredResult r;
  r.id = row.integer(0);
  r.kind = row.text(1);
  r.name = row.text(2);
  r.json = parse_stored_json(row.text(3), "result JSON");
  r.created_at = row.text(4);
  return r;
}
}  // namespace

StoredResult SessionStore::load_result(std::int64_t result_id) {
  SqliteStatement query(*db_, "SELECT id, kind, name, json, created_at FROM results WHERE id = ?");
  query.bind(1, result_id);
  if (!query.step())
    throw SessionError(path_.string() + ": no result with id " + std::to_string(result_id));
  return read_result(query);
}

std::vector<StoredResult> SessionStore::list_results(const std::string& kind) {
  SqliteStatement query(*db_,
                        "SELECT id, kind, name, json, created_at FROM results WHERE ?1 = '' OR "
                        "kind = ?1 ORDER BY id");
  query.bind(1, kind);
  std::vector<StoredResult> list;
  while (query.step()) list.push_back(read_result(query));
  return list;
}

std::vector<float> SessionStore::load_result_array(std::int64_t result_id, const std::string& name,
                                                   std::vector<std::size_t>& shape) {
  SqliteStatement query(*db_, "SELECT npy FROM result_arrays WHERE result_id = ? AND name = ?");
  query.bind(1, result_id).bind(2, name);
  if (!query.step()) {
    throw SessionError(path_.string() + ": result " + std::to_string(result_id) +
                       " has no array \"" + name + "\"");
  }
  return parse_npy(query.blob(0), "result " + std::to_string(result_id) + " array " + name, shape);
}

std::vector<std::string> SessionStore::result_array_names(std::int64_t result_id) {
  SqliteStatement query(*db_, "SELECT name FROM result_arrays WHERE result_id = ? ORDER BY name");
  query.bind(1, result_id);
  std::vector<std::string> names;
  while (query.step()) names.push_back(query.text(0));
  return names;
}

}  // namespace mote::sessions
