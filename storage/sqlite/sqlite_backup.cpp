#include "storage/sqlite/sqlite_backup.h"

#include "core/store.h"
#include "storage/sqlite/sqlite_store.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr int busy_timeout_ms = 5000;

/// The tables whose presence says a database is a Tandem store (every schema version has them).
constexpr const char* tandem_tables[] = {"responses", "outbox", "people"};

/// Frees an sqlite3_backup however the copy ends; sqlite3_backup_finish reports the first error.
struct backup_handle {
  sqlite3_backup* handle = nullptr;
  ~backup_handle() {
    if (handle != nullptr) (void)sqlite3_backup_finish(handle);
  }
  int finish() { return sqlite3_backup_finish(std::exchange(handle, nullptr)); }
};

/// Copies all of `from` into `to` in steps of `pages_per_step` (-1: one step). Throws store_error.
void copy_database(SQLite::Database& from, SQLite::Database& to, int pages_per_step, const std::string& what) {
  backup_handle backup{sqlite3_backup_init(to.getHandle(), "main", from.getHandle(), "main")};
  if (backup.handle == nullptr) throw store_error(what + ": " + sqlite3_errmsg(to.getHandle()));
  int result = SQLITE_OK;
  do {
    result = sqlite3_backup_step(backup.handle, pages_per_step);
    // Busy or locked: another connection writes the destination's file; wait a moment and go on.
    if (result == SQLITE_BUSY || result == SQLITE_LOCKED) sqlite3_sleep(10);
  } while (result == SQLITE_OK || result == SQLITE_BUSY || result == SQLITE_LOCKED);
  const int finished = backup.finish();
  if (result != SQLITE_DONE) throw store_error(what + ": " + sqlite3_errstr(result));
  if (finished != SQLITE_OK) throw store_error(what + ": " + sqlite3_errstr(finished));
}

bool has_table(SQLite::Database& db, const char* name) {
  SQLite::Statement query(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
  query.bind(1, name);
  return query.executeStep();
}

/// The facts of an open database that must be a Tandem store this binary knows. `file` names it
/// in the errors.
store_file_facts tandem_facts(SQLite::Database& db, const std::string& file) {
  for (const char* table : tandem_tables) {
    if (!has_table(db, table)) {
      throw store_error(file + " is an SQLite database but not a Tandem store (it has no " + table + " table)");
    }
  }
  store_file_facts facts;
  facts.schema_version = db.execAndGet("PRAGMA user_version").getInt();
  const int latest = sqlite_store::latest_schema_version();
  if (facts.schema_version > latest) {
    throw store_error(file + " has schema version " + std::to_string(facts.schema_version) +
                      ", but this Tandem knows versions up to " + std::to_string(latest) +
                      ": it was written by a newer Tandem; restore it with that version or a newer one");
  }
  facts.responses = db.execAndGet("SELECT count(*) FROM responses").getInt64();
  return facts;
}

/// The lines of an integrity or quick check, empty when it says ok.
std::string check_lines(SQLite::Database& db, const char* pragma) {
  SQLite::Statement check(db, pragma);
  std::string problems;
  int shown = 0;
  while (check.executeStep()) {
    const std::string line = check.getColumn(0).getString();
    if (line == "ok") continue;
    if (++shown > 3) {
      problems += "; …";
      break;
    }
    problems += (problems.empty() ? "" : "; ") + line;
  }
  return problems;
}

void fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw store_error("backup: cannot open " + path.string() + ": " + std::strerror(errno));
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) throw store_error("backup: the disk did not make " + path.string() + " durable: " + std::strerror(error));
}

void remove_quietly(const fs::path& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path.string() + suffix, ignored);
}

}  // namespace

store_file_facts backup_store(const std::string& store_path, const std::string& backup_path, int pages_per_step) {
  std::error_code ec;
  if (!fs::exists(store_path, ec)) throw store_error("backup: no store at " + store_path);
  if (fs::exists(backup_path, ec) && fs::equivalent(store_path, backup_path, ec)) {
    throw store_error("backup: " + backup_path + " is the store itself; name another file");
  }
  const fs::path target = fs::absolute(backup_path, ec);
  const fs::path partial = target.string() + ".partial";
  try {
    SQLite::Database source(store_path, SQLite::OPEN_READWRITE, busy_timeout_ms);
    // One read transaction for every step: the copy is the snapshot its first read saw, and in WAL
    // mode a reader never holds up Tandem's writes (it only keeps a checkpoint from passing it).
    source.exec("BEGIN");
    (void)tandem_facts(source, store_path);
    remove_quietly(partial);
    {
      SQLite::Database copy(partial.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms);
      copy_database(source, copy, pages_per_step, "backup: copying " + store_path);
      // A backup is one self-contained file: no WAL beside it.
      (void)copy.execAndGet("PRAGMA journal_mode = DELETE");
    }
    source.exec("COMMIT");
  } catch (const SQLite::Exception& e) {
    remove_quietly(partial);
    throw store_error("backup: " + store_path + ": " + e.what());
  } catch (const store_error&) {
    remove_quietly(partial);
    throw;
  }
  try {
    const store_file_facts facts = check_backup(partial.string());
    fsync_path(partial, O_RDONLY);
    fs::rename(partial, target);
    fsync_path(target.parent_path(), O_RDONLY | O_DIRECTORY);
    return facts;
  } catch (const fs::filesystem_error& e) {
    remove_quietly(partial);
    throw store_error("backup: " + target.string() + ": " + e.code().message());
  } catch (const store_error&) {
    remove_quietly(partial);
    throw;
  }
}

store_file_facts check_backup(const std::string& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw store_error(file + ": no such file");
  if (!fs::is_regular_file(file, ec)) throw store_error(file + ": not a file");
  try {
    SQLite::Database db(file, SQLite::OPEN_READONLY, busy_timeout_ms);
    if (const std::string problems = check_lines(db, "PRAGMA integrity_check"); !problems.empty()) {
      throw store_error(file + " is damaged (integrity check: " + problems + ")");
    }
    return tandem_facts(db, file);
  } catch (const SQLite::Exception& e) {
    // SQLite may refuse a damaged page outright instead of listing it in the check.
    if (e.getErrorCode() == SQLITE_CORRUPT) throw store_error(file + " is damaged (" + e.what() + ")");
    throw store_error(file + " is not a usable SQLite database (" + e.what() + ")");
  }
}

store_file_facts restore_store(const std::string& backup_path, const std::string& store_path) {
  const store_file_facts facts = check_backup(backup_path);
  try {
    SQLite::Database backup(backup_path, SQLite::OPEN_READONLY, busy_timeout_ms);
    SQLite::Database store(store_path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms);
    store.exec("PRAGMA synchronous = FULL");
    copy_database(backup, store, -1, "restore: copying " + backup_path + " into " + store_path);
    // What the backup wrote into the store's WAL moves to the database file, which Tandem then
    // opens in WAL mode as always.
    (void)store.execAndGet("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const SQLite::Exception& e) {
    throw store_error("restore: " + store_path + ": " + e.what());
  }
  return facts;
}

std::optional<std::string> find_store_damage(const std::string& store_path) {
  std::error_code ec;
  if (!fs::exists(store_path, ec)) return std::nullopt;
  try {
    SQLite::Database db(store_path, SQLite::OPEN_READWRITE, busy_timeout_ms);
    if (std::string problems = check_lines(db, "PRAGMA quick_check"); !problems.empty()) return problems;
  } catch (const SQLite::Exception& e) {
    return std::string{e.what()};
  }
  return std::nullopt;
}

}  // namespace tandem
