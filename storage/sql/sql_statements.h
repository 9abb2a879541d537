#pragma once
// What every part of the SQL stores shares: model values bound to parameters in order, columns
// read in order, and unknown names found in the database reported as `store_error`. Internal to
// storage/.

#include "core/model.h"
#include "core/store.h"
#include "storage/sql/sql_connection.h"

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tandem::sql {

inline std::int64_t seconds_of(time_point t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }

// --- Binding: one overload per model type. ---

inline bound_value bound(std::string_view v) { return v; }
inline bound_value bound(const std::string& v) { return std::string_view{v}; }
inline bound_value bound(const char* v) { return std::string_view{v}; }
inline bound_value bound(std::int64_t v) { return v; }
inline bound_value bound(time_point t) { return seconds_of(t); }

// A template so that pointers and integers never convert to bool silently.
template <std::same_as<bool> Flag>
bound_value bound(Flag v) {
  return std::int64_t{v ? 1 : 0};
}

template <typename T>
bound_value bound(const std::optional<T>& v) {
  if (!v) return nullptr;
  return bound(*v);
}

/// Runs one statement with `values` bound to $1, $2... in order; the number of rows it changed.
template <typename... Values>
std::int64_t execute(connection& db, const char* sql, const Values&... values) {
  const std::array<bound_value, sizeof...(Values)> bound_values{bound(values)...};
  return db.execute(sql, bound_values);
}

/// Runs a query with `values` bound in order, calling `each_row(const row&)` for each row.
template <typename EachRow, typename... Values>
void query(connection& db, const char* sql, EachRow&& each_row, const Values&... values) {
  const std::array<bound_value, sizeof...(Values)> bound_values{bound(values)...};
  db.query(sql, bound_values, std::forward<EachRow>(each_row));
}

/// Rolls back the open transaction, when a failure has left it open; never throws.
inline void roll_back(connection& db) noexcept {
  try {
    if (db.in_transaction()) execute(db, "ROLLBACK");
  } catch (const store_error&) {  // the database rolls back on its own when the connection ends
  }
}

/// Reads the columns of a row, left to right.
class row_reader {
 public:
  explicit row_reader(const row& r) : row_(r) {}

  std::string text() { return row_.text(column_++); }
  std::int64_t int64() { return row_.int64(column_++); }
  int int32() { return static_cast<int>(int64()); }
  bool flag() { return int64() != 0; }
  time_point time() { return time_point{std::chrono::seconds{int64()}}; }

  std::optional<std::int64_t> optional_int64() {
    if (row_.is_null(column_)) {
      ++column_;
      return std::nullopt;
    }
    return int64();
  }

  std::optional<time_point> optional_time() {
    const auto seconds = optional_int64();
    if (!seconds) return std::nullopt;
    return time_point{std::chrono::seconds{*seconds}};
  }

 private:
  const row& row_;
  int column_ = 0;
};

/// `known`, or a `store_error` naming the unknown `text` found in the database.
template <typename Enum>
Enum parsed(std::optional<Enum> known, std::string_view what, const std::string& text) {
  if (!known) throw store_error("unknown " + std::string{what} + " '" + text + "' in the database");
  return *known;
}

}  // namespace tandem::sql
