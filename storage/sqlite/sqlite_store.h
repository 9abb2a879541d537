#pragma once
// The core's store in one SQLite database: WAL, numbered migrations, every write in a transaction.

#include "storage/sql/sql_store.h"
#include "storage/store_checkpoints.h"

#include <memory>
#include <string>

namespace tandem {

namespace sqlite_detail {
class sqlite_connection;
}
class sqlite_write_ahead_log;

/// When a commit of an `sqlite_store` is on disk.
enum class sqlite_durability {
  at_commit,  ///< synchronous=FULL: each commit waits for the disk; sync() does nothing
  at_sync,    ///< synchronous=NORMAL: commits are written, sync() makes them durable (group commit)
};

/// A store kept in one SQLite file, or in memory for ":memory:" (the SQL it runs is sql_store's,
/// shared with PostgreSQL). Not thread-safe, but for sync() and the checkpoints: one owner at a
/// time (the core strand); another thread that needs the database opens its own `sqlite_store` on
/// the same file. Its own work: opening the file, migrations (sqlite_migrations.cpp), and the log
/// of an `at_sync` file (sqlite_write_ahead_log.cpp).
class sqlite_store final : public sql_store, public store_checkpoints {
 public:
  /// Opens `path` (created when missing; ":memory:" for a private in-memory database), sets WAL
  /// for files, foreign keys, `durability` and a busy timeout, then runs the migrations the
  /// database has not seen yet (and, `at_sync`, syncs what an earlier run left). Throws
  /// `store_error` when the file cannot be opened, is not a database, or was written by a newer
  /// Tandem than this one.
  explicit sqlite_store(const std::string& path, sqlite_durability durability = sqlite_durability::at_commit);
  /// Closes the connection; never throws.
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// The schema version (`PRAGMA user_version`) an opened database has after migration.
  static int latest_schema_version() noexcept;

  /// `at_sync`: fdatasync of the WAL file (and, the first time, of its folder). Thread-safe.
  void sync() override;
  /// `at_sync` files, each time the WAL has grown by `sqlite_write_ahead_log::checkpoint_frames`
  /// pages: a passive checkpoint on a connection of its own, so that the WAL's pages move to the
  /// database file without holding up the owner (`at_commit` stores checkpoint inside their
  /// commits, as SQLite does by default, and this does nothing). Thread-safe.
  bool checkpoint() override;
  /// True once the WAL of an `at_sync` file holds `sqlite_write_ahead_log::paused_checkpoint_frames`
  /// pages: the checkpoints beside the owner did not let it start over (SQLite restarts the log
  /// only when a commit finds it all copied). Thread-safe.
  bool checkpoint_needs_a_pause() override;

 private:
  std::unique_ptr<sqlite_write_ahead_log> log_;  ///< `at_sync` files only; closed before the connection
};

}  // namespace tandem
