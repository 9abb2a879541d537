#pragma once
// A connection to one SQLite database as the SQL store uses it (storage/sql/sql_connection.h).
// Internal to storage/sqlite.

#include "storage/sql/sql_connection.h"

#include <memory>
#include <unordered_map>

namespace SQLite {  // NOLINT(readability-identifier-naming): the library's own name
class Database;
class Statement;
}  // namespace SQLite

namespace tandem::sqlite_detail {

/// Runs the store's statements on one SQLite database, each prepared once and reused (preparing,
/// the parsing and planning, costs more than running a small statement). SQLite's failures are
/// thrown as `store_error`.
class sqlite_connection final : public sql::connection {
 public:
  /// Takes the database; statements are finalized before it closes.
  explicit sqlite_connection(std::unique_ptr<SQLite::Database> db);
  ~sqlite_connection() override;
  sqlite_connection(const sqlite_connection&) = delete;
  sqlite_connection& operator=(const sqlite_connection&) = delete;

  std::int64_t execute(const char* sql, std::span<const sql::bound_value> values) override;
  void query(const char* sql, std::span<const sql::bound_value> values,
             const std::function<void(const sql::row&)>& each_row) override;
  /// BEGIN IMMEDIATE: takes the write lock first.
  void begin() override;
  /// BEGIN (deferred): the snapshot starts at the first read.
  void begin_snapshot() override;
  bool in_transaction() override;
  [[nodiscard]] sql::dialect dialect() const override { return sql::dialect::sqlite; }
  [[nodiscard]] std::string_view name() const override { return "sqlite store"; }

  SQLite::Database& database() { return *db_; }

 private:
  /// The statement for `sql`, reset, with `values` bound.
  SQLite::Statement& prepared(const char* sql, std::span<const sql::bound_value> values);

  std::unique_ptr<SQLite::Database> db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;  ///< by the address of their SQL
};

}  // namespace tandem::sqlite_detail
