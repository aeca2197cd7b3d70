#pragma once

#include <string>
#include <vector>

namespace mote::sessions {

class SqliteConnection;

// PRAGMA application_id of every session file ("MoTE"), to tell our files from other SQLite files.
inline constexpr int kSessionApplicationId = 0x4D6F5445;

// Migration i (0-based) brings a file from user_version i to i + 1. Append, never edit: files in
// the wild were written by the earlier steps. kSessionSchemaVersion = number of migrations.
const std::vector<std::string>& session_migrations();
int session_schema_version();

// Checks the file is a MoTE session (or an empty database), refuses a newer schema, and applies
// the missing migrations, each in its own transaction together with its user_version bump.
// Throws SessionError naming the file and the versions.
void migrate_session_schema(SqliteConnection& connection);

}  // namespace mote::sessions
