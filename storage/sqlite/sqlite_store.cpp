#include "storage/sqlite/sqlite_store.h"

#include "storage/sqlite/sqlite_connection.h"
#include "storage/sqlite/sqlite_migrations.h"
#include "storage/sqlite/sqlite_write_ahead_log.h"
#include "storage/sqlite/wal_write_combining.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace tandem {

using namespace sqlite_detail;

namespace {

constexpr int busy_timeout_ms = 5000;

/// Opens `path` in WAL mode with foreign keys and `durability`, and migrates it.
std::unique_ptr<sqlite_connection> opened(const std::string& path, sqlite_durability durability) {
  try {
    // A file's WAL frames go out in one write per commit (see wal_write_combining.h).
    const std::string vfs = path == ":memory:" ? "" : wal_write_combining_vfs();
    auto db =
        std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms, vfs);
    if (path != ":memory:") {
      const std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") {
        throw store_error("sqlite store: opening " + path + ": the journal mode stays '" + mode + "', not 'wal'");
      }
    }
    db->exec("PRAGMA foreign_keys = ON");
    // NORMAL in WAL mode: a commit writes its frames without waiting for the disk, a checkpoint
    // still syncs the WAL before and the database after, so the file never corrupts; sync()
    // makes the commits durable.
    db->exec(durability == sqlite_durability::at_commit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    migrate(*db);
    return std::make_unique<sqlite_connection>(std::move(db));
  } catch (const SQLite::Exception& e) {
    throw store_error("sqlite store: opening " + path + ": " + e.what());
  }
}

}  // namespace

sqlite_store::sqlite_store(const std::string& path, sqlite_durability durability)
    : sql_store(opened(path, durability),
                durability == sqlite_durability::at_commit ? durable::at_commit : durable::at_sync) {
  if (path != ":memory:" && durability == sqlite_durability::at_sync) {
    // Checkpoints move to sync(), on a connection of their own: SQLite's automatic ones would
    // run inside the owner's commits and hold it up while the database file is synced.
    translated("opening " + path, [&] {
      try {
        log_ = std::make_unique<sqlite_write_ahead_log>(static_cast<sqlite_connection&>(connection()).database(), path,
                                                        wal_write_combining_vfs(), busy_timeout_ms);
      } catch (const SQLite::Exception& e) {
        throw store_error(e.what());
      }
    });
  }
  note_commit();
  sync();  // what an earlier run left written but perhaps not synced
}

sqlite_store::~sqlite_store() { log_.reset(); }

void sqlite_store::sync() {
  // Read before syncing: every commit that returned before this line is on disk after it.
  const std::int64_t committed = committed_outbox();
  if (log_ != nullptr) log_->sync();
  outbox_synced(committed);
}

bool sqlite_store::checkpoint() { return log_ != nullptr && log_->checkpoint(); }

bool sqlite_store::checkpoint_needs_a_pause() { return log_ != nullptr && log_->needs_a_pause(); }

int sqlite_store::latest_schema_version() noexcept { return sqlite_detail::latest_schema_version(); }

}  // namespace tandem
