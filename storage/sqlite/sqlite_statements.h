#pragma once
// What every part of the SQLite store shares: statements prepared once, values bound by position,
// columns read in order, and SQLite's failures reported as `store_error`. Internal to storage/sqlite.

#include "core/model.h"
#include "core/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace tandem::sqlite_detail {

inline std::int64_t seconds_of(time_point t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }

// --- Binding: one overload per value type, bound by position. ---

inline void bind_one(SQLite::Statement& s, int index, std::string_view value) { s.bind(index, std::string{value}); }
inline void bind_one(SQLite::Statement& s, int index, std::int64_t value) { s.bind(index, value); }
inline void bind_one(SQLite::Statement& s, int index, time_point value) { s.bind(index, seconds_of(value)); }

// A template so that pointers and integers never convert to bool silently.
template <std::same_as<bool> Flag>
void bind_one(SQLite::Statement& s, int index, Flag value) {
  s.bind(index, value ? 1 : 0);
}

template <typename T>
void bind_one(SQLite::Statement& s, int index, const std::optional<T>& value) {
  if (value) {
    bind_one(s, index, *value);
  } else {
    s.bind(index);  // NULL
  }
}

/// Binds `values` to the statement's parameters 1, 2, 3... in order.
template <typename... Values>
void bind_all(SQLite::Statement& s, const Values&... values) {
  int index = 0;
  (bind_one(s, ++index, values), ...);
}

/// The statements a store runs, each prepared once and reused: preparing (parsing and planning the
/// SQL) costs more than running a small statement.
class statement_cache {
 public:
  explicit statement_cache(SQLite::Database& db) : db_(db) {}

  /// The statement for `sql`, reset, with no values bound. `sql` must have static storage (a
  /// string literal or a constant): statements are found by its address, without hashing the text.
  SQLite::Statement& prepared(const char* sql) {
    if (auto known = statements_.find(sql); known != statements_.end()) {
      known->second->tryReset();  // its result was read, or its error reported, when it last ran
      known->second->clearBindings();
      return *known->second;
    }
    auto statement = std::make_unique<SQLite::Statement>(db_, sql);
    return *statements_.emplace(sql, std::move(statement)).first->second;
  }

  SQLite::Database& database() { return db_; }

 private:
  SQLite::Database& db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

/// Runs one statement with `values` bound in order; returns the number of rows it changed.
template <typename... Values>
int execute(statement_cache& statements, const char* sql, const Values&... values) {
  SQLite::Statement& s = statements.prepared(sql);
  bind_all(s, values...);
  const int changed = s.exec();
  s.tryReset();  // leaves no statement running between calls
  return changed;
}

/// Reads the columns of the statement's current row, left to right.
class row_reader {
 public:
  explicit row_reader(const SQLite::Statement& s) : statement_(s) {}

  std::string text() { return next().getString(); }
  std::int64_t int64() { return next().getInt64(); }
  int int32() { return next().getInt(); }
  bool flag() { return int64() != 0; }
  time_point time() { return time_point{std::chrono::seconds{int64()}}; }

  std::optional<std::int64_t> optional_int64() {
    const SQLite::Column column = next();
    if (column.isNull()) return std::nullopt;
    return column.getInt64();
  }

  std::optional<time_point> optional_time() {
    const auto seconds = optional_int64();
    if (!seconds) return std::nullopt;
    return time_point{std::chrono::seconds{*seconds}};
  }

 private:
  SQLite::Column next() { return statement_.getColumn(column_++); }

  const SQLite::Statement& statement_;
  int column_ = 0;
};

/// `value`, or a `store_error` naming the unknown `text` found in the database.
template <typename Enum>
Enum parsed(std::optional<Enum> value, std::string_view what, const std::string& text) {
  if (!value) throw store_error("sqlite store: unknown " + std::string{what} + " '" + text + "' in the database");
  return *value;
}

/// Runs `operation`, reporting SQLite's failures as `store_error` naming the operation.
template <typename Operation>
auto translated(std::string_view operation_name, Operation&& operation) {
  try {
    return std::forward<Operation>(operation)();
  } catch (const SQLite::Exception& e) {
    throw store_error("sqlite store: " + std::string{operation_name} + ": " + e.what());
  }
}

}  // namespace tandem::sqlite_detail
