#include "sessions/sqlite_connection.h"

#include <sqlite3.h>

#include "sessions/session_error.h"

namespace mote::sessions {

SqliteConnection::SqliteConnection(const std::string& path, int flags) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SessionError(path + ": cannot open: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

SqliteConnection::~SqliteConnection() {
  sqlite3_close_v2(db_);
}

SqliteConnection::SqliteConnection(SqliteConnection&& other) noexcept
    : db_(other.db_), path_(std::move(other.path_)) {
  other.db_ = nullptr;
}

SqliteConnection& SqliteConnection::operator=(SqliteConnection&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    other.db_ = nullptr;
  }
  return *this;
}

void SqliteConnection::fail(const std::string& what) const {
  throw SessionError(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void SqliteConnection::execute(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw SessionError(path_ + ": SQL failed (" + sql.substr(0, 80) + "): " + message);
  }
}

SqliteStatement::SqliteStatement(SqliteConnection& connection, const std::string& sql)
    : connection_(connection), sql_(sql) {
  if (sqlite3_prepare_v2(connection.handle(), sql.c_str(), static_cast<int>(sql.size()),
                         &statement_, nullptr) != SQLITE_OK) {
    connection.fail("cannot prepare \"" + sql.substr(0, 80) + "\"");
  }
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(statement_);
}

SqliteStatement& SqliteStatement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK) connection_.fail("bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, double value) {
  if (sqlite3_bind_double(statement_, index, value) != SQLITE_OK) connection_.fail("bind");
  return *this;
}

SqliteStatement& SqliteStatement::bind(int index, const std::string& text) {
  if (sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                          SQLITE_UTF8) != SQLITE_OK) {
    connection_.fail("bind");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, const std::string& bytes) {
  if (sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) !=
      SQLITE_OK) {
    connection_.fail("bind");
  }
  return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
  if (sqlite3_bind_null(statement_, index) != SQLITE_OK) connection_.fail("bind");
  return *this;
}

bool SqliteStatement::step() {
  const int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  connection_.fail("\"" + sql_.substr(0, 80) + "\" failed");
}

void SqliteStatement::run() {
  while (step()) {
  }
}

void SqliteStatement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

bool SqliteStatement::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}
std::int64_t SqliteStatement::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}
double SqliteStatement::real(int column) const {
  return sqlite3_column_double(statement_, column);
}

std::string SqliteStatement::text(int column) const {
  const auto* data = sqlite3_column_text(statement_, column);
  return data ? std::string(reinterpret_cast<const char*>(data),
                            sqlite3_column_bytes(statement_, column))
              : std::string();
}

std::string SqliteStatement::blob(int column) const {
  const auto* data = sqlite3_column_blob(statement_, column);
  return data
             ? std::string(static_cast<const char*>(data), sqlite3_column_bytes(statement_, column))
             : std::string();
}

SqliteTransaction::SqliteTransaction(SqliteConnection& connection) : connection_(connection) {
  connection_.execute("BEGIN IMMEDIATE");
}

SqliteTransaction::~SqliteTransaction() {
  if (!done_) sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteTransaction::commit() {
  connection_.execute("COMMIT");
  done_ = true;
}

}  // namespace mote::sessions
