#include "storage/sqlite/sqlite_connection.h"

#include "core/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <string>
#include <utility>

namespace tandem::sqlite_detail {
namespace {

/// Runs `operation`, reporting SQLite's failures as `store_error`.
template <typename Operation>
auto translated(Operation&& operation) {
  try {
    return std::forward<Operation>(operation)();
  } catch (const SQLite::Exception& e) {
    throw store_error(e.what());
  }
}

/// The current row of a stepped statement.
class statement_row final : public sql::row {
 public:
  explicit statement_row(const SQLite::Statement& s) : statement_(s) {}

  [[nodiscard]] bool is_null(int column) const override { return statement_.getColumn(column).isNull(); }
  [[nodiscard]] std::int64_t int64(int column) const override { return statement_.getColumn(column).getInt64(); }
  [[nodiscard]] std::string text(int column) const override { return statement_.getColumn(column).getString(); }

 private:
  const SQLite::Statement& statement_;
};

/// Resets the statement when the scope ends, so that none stays running (and holding a lock)
/// between calls, even when a row's callback throws.
class reset_at_end {
 public:
  explicit reset_at_end(SQLite::Statement& s) : statement_(s) {}
  ~reset_at_end() { statement_.tryReset(); }
  reset_at_end(const reset_at_end&) = delete;
  reset_at_end& operator=(const reset_at_end&) = delete;

 private:
  SQLite::Statement& statement_;
};

}  // namespace

sqlite_connection::sqlite_connection(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}

sqlite_connection::~sqlite_connection() {
  statements_.clear();
  db_.reset();
}

SQLite::Statement& sqlite_connection::prepared(const char* sql, std::span<const sql::bound_value> values) {
  auto known = statements_.find(sql);
  if (known == statements_.end()) {
    known = statements_.emplace(sql, std::make_unique<SQLite::Statement>(*db_, sql)).first;
  } else {
    known->second->tryReset();
    known->second->clearBindings();
  }
  SQLite::Statement& s = *known->second;
  int index = 0;
  for (const sql::bound_value& v : values) {
    ++index;
    if (const auto* number = std::get_if<std::int64_t>(&v)) {
      s.bind(index, *number);
    } else if (const auto* text = std::get_if<std::string_view>(&v)) {
      s.bind(index, std::string{*text});
    } else {
      s.bind(index);  // NULL
    }
  }
  return s;
}

std::int64_t sqlite_connection::execute(const char* sql, std::span<const sql::bound_value> values) {
  return translated([&] {
    SQLite::Statement& s = prepared(sql, values);
    const reset_at_end reset(s);
    return static_cast<std::int64_t>(s.exec());
  });
}

void sqlite_connection::query(const char* sql, std::span<const sql::bound_value> values,
                              const std::function<void(const sql::row&)>& each_row) {
  translated([&] {
    SQLite::Statement& s = prepared(sql, values);
    const reset_at_end reset(s);
    const statement_row row(s);
    while (s.executeStep()) each_row(row);
  });
}

void sqlite_connection::begin() {
  translated([&] { db_->exec("BEGIN IMMEDIATE"); });
}

void sqlite_connection::begin_snapshot() {
  translated([&] { db_->exec("BEGIN"); });
}

bool sqlite_connection::in_transaction() { return sqlite3_get_autocommit(db_->getHandle()) == 0; }

}  // namespace tandem::sqlite_detail
