#pragma once
// The core's store in one SQLite database: WAL, numbered migrations, every write in a transaction.

#include "core/store.h"
#include "storage/store_checkpoints.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace SQLite {  // NOLINT(readability-identifier-naming): the library's own name
class Database;
}

namespace tandem {

namespace sqlite_detail {
class statement_cache;
}
class sqlite_write_ahead_log;

/// When a commit of an `sqlite_store` is on disk.
enum class sqlite_durability {
  at_commit,  ///< synchronous=FULL: each commit waits for the disk; sync() does nothing
  at_sync,    ///< synchronous=NORMAL: commits are written, sync() makes them durable (group commit)
};

/// A store kept in one SQLite file, or in memory for ":memory:". Every method commits before it
/// returns and reports failures as `store_error`. Not thread-safe, but for sync() and the
/// checkpoints: one owner at a time (the core strand); another thread that needs the database
/// opens its own `sqlite_store` on the same file.
///
/// The work is split by job: schema migrations (sqlite_migrations.cpp), `apply`'s writes
/// (sqlite_action_writer.cpp), `load` (sqlite_world_loader.cpp), the outbox
/// (sqlite_store_outbox.cpp), and the log of an `at_sync` file (sqlite_write_ahead_log.cpp).
class sqlite_store final : public store, public store_checkpoints {
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

  /// Inserts a responses row; nothing when the dedup key exists. Returns the new row id or nothing.
  std::optional<std::int64_t> record(const inbound& event, bool keep_text, recorded_as state) override;
  /// Throws `store_error` for an unknown `response_id`.
  void mark_unhandled(std::int64_t response_id) override;
  /// One transaction: upserts state rows (a person's identities are replaced in order), inserts
  /// outbox rows unless their key exists, appends task updates and audit lines, takes from
  /// `note_activity` only the nudge it answers and whether its responses row (by `response_key`)
  /// is presence only (the row is the activity), changes a person's zone by `learn_time_zone`
  /// only while it is the default, and marks `handled_response` handled.
  /// Throws `store_error` and leaves nothing behind when any of it fails (for example an identity
  /// claimed by two people, or an unknown `handled_response`).
  void apply(const std::vector<action>& actions, std::optional<std::int64_t> handled_response) override;
  void in_one_transaction(const std::function<void()>& work) override;
  /// Reads the whole world in one read transaction; `languages` is left at its default, and
  /// `last_response` is the latest responses row of each person's identities.
  world load() override;
  /// Unhandled responses in the order they were recorded.
  std::vector<recorded_response> unhandled_responses() override;
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

  /// Durable pending rows with next_attempt <= now, by next_attempt then id, at most `limit`.
  std::vector<outbox_row> due_outbox(time_point now, std::size_t limit) override;
  /// `at_sync`: pending rows due at `now` committed since the last sync, by id, at most `limit`.
  std::vector<outbox_row> written_outbox(time_point now, std::size_t limit) override;
  std::optional<time_point> next_outbox_attempt_after(time_point after) override;
  /// Marks the row sent and counts the attempt. Throws `store_error` for an unknown id.
  void mark_sent(std::int64_t outbox_id, time_point now) override;
  /// Marks the row failed for good, keeps `reason` and counts the attempt. Throws `store_error`
  /// for an unknown id.
  void mark_failed(std::int64_t outbox_id, std::string_view reason, time_point now) override;
  /// Counts an attempt, keeps `reason` and schedules the next one. Throws `store_error` for an
  /// unknown id.
  void retry_later(std::int64_t outbox_id, time_point next_attempt, std::string_view reason) override;
  void postpone(std::int64_t outbox_id, time_point next_attempt) override;
  void withdraw(std::int64_t outbox_id, std::string_view reason, time_point now) override;
  /// Rows whose key starts with `key_prefix` (compared exactly, case-sensitively), by id.
  std::vector<outbox_row> outbox_rows(std::string_view key_prefix) override;
  std::vector<record_task_update> task_history(std::int64_t task) override;

  std::optional<std::string> setting(std::string_view key) override;
  /// Inserts or replaces the value of `key`.
  void put_setting(std::string_view key, std::string_view value) override;

 private:
  /// After each commit of a transaction: the outbox rows it holds are written (and, `at_commit`,
  /// durable).
  void note_commit();
  void raise_durable_outbox(std::int64_t to);

  const sqlite_durability durability_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<sqlite_detail::statement_cache> statements_;  ///< prepared once, finalized before db_ closes
  std::unique_ptr<sqlite_write_ahead_log> log_;  ///< `at_sync` files only; closed before db_
  /// The highest outbox row id committed, and the highest whose commit is durable: due_outbox
  /// hands out only durable rows, so nothing is sent for a decision a power cut could undo.
  std::atomic<std::int64_t> committed_outbox_{0};
  std::atomic<std::int64_t> durable_outbox_{0};
};

}  // namespace tandem
