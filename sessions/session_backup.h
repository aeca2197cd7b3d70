#pragma once
// A consistent copy of a session file ("Save Session As…"): SQLite's VACUUM INTO writes a
// compacted snapshot of one read transaction, so it includes what is still in the write-ahead log
// and is safe while another connection (a running run) keeps writing the original.
#include <filesystem>

namespace mote::sessions {

// Copies the session at `from` to `to` (which must not exist; SessionError otherwise, or if
// `from` is not a readable SQLite file). The copy is opened and checked like SessionStore::open.
void backup_session(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace mote::sessions
