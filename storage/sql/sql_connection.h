#pragma once
// One connection to a SQL database, as the SQL stores (SQLite, PostgreSQL) share it: a statement run
// with values bound in order, its rows read column by column. The store itself (sql_store.h) is
// written once against this; each backend adds how it connects, migrates and makes commits durable.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace tandem::sql {

/// A value bound to a statement parameter: NULL, an integer, or text (not owned: it must outlive
/// the call that binds it).
using bound_value = std::variant<std::nullptr_t, std::int64_t, std::string_view>;

/// The row a query is on; columns are numbered from 0.
class row {
 public:
  [[nodiscard]] virtual bool is_null(int column) const = 0;
  [[nodiscard]] virtual std::int64_t int64(int column) const = 0;
  [[nodiscard]] virtual std::string text(int column) const = 0;

 protected:
  virtual ~row() = default;
};

/// The few places where the backends' SQL differs; everything else is written once.
enum class dialect { sqlite, postgresql };

/// A connection, used by one owner at a time. Statements are SQL text with parameters `$1`, `$2`...
/// numbered in the order they first appear (SQLite numbers named parameters that way, PostgreSQL
/// by their digits), and must have static storage: a backend prepares each once and finds it again
/// by its address. Failures throw `store_error` with the database's message.
class connection {
 public:
  virtual ~connection() = default;

  /// Runs a statement that returns no rows; the number of rows it changed.
  virtual std::int64_t execute(const char* sql, std::span<const bound_value> values) = 0;
  /// Runs a query and calls `each_row` for each of its rows, in order. `each_row` may run other
  /// statements, but not this one.
  virtual void query(const char* sql, std::span<const bound_value> values,
                     const std::function<void(const row&)>& each_row) = 0;

  /// Begins a transaction that will write (SQLite takes the write lock at once, so that two
  /// writers wait in turn instead of failing at their first write).
  virtual void begin() = 0;
  /// Begins a transaction that only reads, and sees the database as it was at its first read
  /// until it ends.
  virtual void begin_snapshot() = 0;
  /// Whether a transaction is open.
  virtual bool in_transaction() = 0;

  [[nodiscard]] virtual sql::dialect dialect() const = 0;
  /// How errors name the store: "sqlite store", "postgresql store".
  [[nodiscard]] virtual std::string_view name() const = 0;
};

}  // namespace tandem::sql
