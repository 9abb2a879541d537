#pragma once
// Backups of an SQLite store while Tandem serves, their checks, restores, and the check for a
// damaged store at start. Free functions on file paths: each opens connections of its own.

#include <optional>
#include <string>

namespace tandem {

/// What a store or backup file holds, once checked.
struct store_file_facts {
  int schema_version = 0;   ///< its `PRAGMA user_version`
  long long responses = 0;  ///< rows in its responses table (events recorded)
};

/// Copies the store at `store_path` to `backup_path` with SQLite's online backup API, from one read
/// transaction (a WAL snapshot: consistent, and Tandem's writes go on meanwhile), in steps of
/// `pages_per_step` pages. The copy is written beside `backup_path`, checked as `check_backup`
/// does, synced, and renamed over `backup_path` (an existing file there is replaced). Throws
/// `store_error` when the store is missing or not a Tandem store, when `backup_path` is the
/// store itself, or when writing fails (nothing is left at `backup_path` then). Any thread.
store_file_facts backup_store(const std::string& store_path, const std::string& backup_path,
                              int pages_per_step = 256);

/// Checks that `file` is a whole Tandem store this binary can run on: an SQLite database whose
/// `PRAGMA integrity_check` says ok, with Tandem's tables, at a schema version not newer than
/// `sqlite_store::latest_schema_version()`. Opens it read-only. Throws `store_error` saying what
/// is wrong (missing, not a database, damaged, not a Tandem store, written by a newer Tandem).
store_file_facts check_backup(const std::string& file);

/// Replaces the content of the store at `store_path` (created when missing) with the backup
/// `backup_path`, after `check_backup`, through SQLite's backup API (so the store's WAL and
/// shared memory stay consistent) and a checkpoint that leaves it all in the database file. The
/// caller must hold the store's `store_lock::exclusive`. Throws `store_error`.
store_file_facts restore_store(const std::string& backup_path, const std::string& store_path);

/// What is damaged in the store at `store_path` (`PRAGMA quick_check`, or SQLite's own
/// refusal of a file that is not a database), nothing when it is whole or does not exist yet.
/// Opens it read-write (recovering what a killed Tandem left in its WAL), creates nothing.
std::optional<std::string> find_store_damage(const std::string& store_path);

}  // namespace tandem
