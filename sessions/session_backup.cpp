#include "sessions/session_backup.h"

#include <sqlite3.h>

#include "sessions/session_error.h"
#include "sessions/session_store.h"
#include "sessions/sqlite_connection.h"

namespace mote::sessions {

void backup_session(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (std::filesystem::exists(to)) throw SessionError(to.string() + ": file exists");
  // Opening through SessionStore first rejects non-session files with its own message.
  { SessionStore::open(from); }
  SqliteConnection source(from.string(), SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  SqliteStatement vacuum(source, "VACUUM INTO ?");
  vacuum.bind(1, to.string());
  vacuum.run();
  { SessionStore::open(to); }
}

}  // namespace mote::sessions
