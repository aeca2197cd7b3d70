#include "sessions/session_schema.h"

#include "sessions/session_error.h"
#include "sessions/sqlite_connection.h"

namespace mote::sessions {

const std::vector<std::string>& session_migrations() {
  static const std::vector<std::string> migrations = {
      // 0 -> 1: the initial schema.
      R"sql(
CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL CHECK (mode IN ('chat', 'raw')),
  system_prompt TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE prompts (
  id INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  text TEXT NOT NULL,
  metadata_json TEXT NOT NULL DEFAULT '{}',
  UNIQUE (dataset_id, position)
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  name TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('original', 'tuned', 'random-control')),
  draw_index INTEGER,
  model_id TEXT NOT NULL,
  geometry_json TEXT NOT NULL,
  tuning_json TEXT NOT NULL,
  sampling_json TEXT NOT NULL DEFAULT '{}',
  seed INTEGER NOT NULL,
  max_tokens INTEGER NOT NULL,
  engine_version TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'finished', 'failed', 'cancelled')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE answers (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  prompt_id INTEGER NOT NULL REFERENCES prompts(id),
  text TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  finish_reason TEXT NOT NULL,
  prompt_map BLOB,
  completion_map BLOB,
  weighted_map BLOB,
  elapsed_ms REAL NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (run_id, prompt_id)
);
CREATE TABLE rule_labels (
  run_id INTEGER NOT NULL,
  prompt_id INTEGER NOT NULL,
  classifier TEXT NOT NULL,
  label TEXT NOT NULL,
  rule_index INTEGER NOT NULL,
  PRIMARY KEY (run_id, prompt_id, classifier),
  FOREIGN KEY (run_id, prompt_id) REFERENCES answers(run_id, prompt_id) ON DELETE CASCADE
);
CREATE TABLE manual_labels (
  run_id INTEGER NOT NULL,
  prompt_id INTEGER NOT NULL,
  classifier TEXT NOT NULL,
  label TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (run_id, prompt_id, classifier),
  FOREIGN KEY (run_id, prompt_id) REFERENCES answers(run_id, prompt_id) ON DELETE CASCADE
);
CREATE TABLE classifiers (
  name TEXT PRIMARY KEY,
  rules_json TEXT NOT NULL
);
CREATE TABLE results (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  json TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE TABLE result_arrays (
  result_id INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  npy BLOB NOT NULL,
  PRIMARY KEY (result_id, name)
);
)sql",
  };
  return migrations;
}

int session_schema_version() {
  return static_cast<int>(session_migrations().size());
}

namespace {

std::int64_t pragma_value(SqliteConnection& connection, const std::string& pragma) {
  SqliteStatement statement(connection, "PRAGMA " + pragma);
  return statement.step() ? statement.integer(0) : 0;
}

}  // namespace

void migrate_session_schema(SqliteConnection& connection) {
  const std::string& path = connection.path();
  std::int64_t version = 0, application_id = 0, n_tables = 0;
  try {
    // The first read of the header: fails with "file is not a database" for a non-SQLite file.
    version = pragma_value(connection, "user_version");
    application_id = pragma_value(connection, "application_id");
    SqliteStatement tables(connection, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
    if (tables.step()) n_tables = tables.integer(0);
  } catch (const SessionError& e) {
    throw SessionError(path + ": not a MoTE session file (not an SQLite database?): " + e.what());
  }
  const bool empty = n_tables == 0 && version == 0;
  if (!empty && application_id != kSessionApplicationId) {
    throw SessionError(path +
                       ": not a MoTE session file (an SQLite database of another application)");
  }
  const int latest = session_schema_version();
  if (version > latest) {
    throw SessionError(path + ": session schema version " + std::to_string(version) +
                       " is newer than this build supports (" + std::to_string(latest) +
                       "); open it with a newer MoTE Workbench");
  }
  if (version < 0)
    throw SessionError(path + ": invalid session schema version " + std::to_string(version));
  for (auto v = version; v < latest; ++v) {
    SqliteTransaction transaction(connection);
    connection.execute(session_migrations()[static_cast<std::size_t>(v)]);
    connection.execute("PRAGMA application_id = " + std::to_string(kSessionApplicationId));
    connection.execute("PRAGMA user_version = " + std::to_string(v + 1));
    transaction.commit();
  }
}

}  // namespace mote::sessions
