#pragma once
// A connection to a PostgreSQL database through libpq, as the SQL store uses it
// (storage/sql/sql_connection.h). Internal to storage/postgresql.

#include "storage/sql/sql_connection.h"

#include <string>
#include <unordered_map>

struct pg_conn;  // libpq's PGconn

namespace tandem::postgresql_detail {

/// The limits a connection has unless its URL says otherwise: how long connecting may take, how
/// long sent data may stay unacknowledged by the server's host before the connection counts as
/// broken (a network cut), and how long one statement may run on the server (migrations lift it).
inline constexpr const char* connect_timeout_seconds = "10";
inline constexpr const char* tcp_user_timeout_milliseconds = "30000";
inline constexpr const char* statement_timeout_option = "-c statement_timeout=30s";

/// Runs the store's statements on one PostgreSQL session: each statement with values is prepared
/// once on the server and reused; values travel as text. A connection found broken is opened again
/// before the next statement (what was in its open transaction is gone: that statement's caller
/// gets the error). Failures throw `store_error` with the server's message.
class postgresql_connection final : public sql::connection {
 public:
  /// Connects to `url` (a libpq URI, `postgresql://user@host:port/database?sslmode=...`, or
  /// `key=value` pairs), with the limits above unless the URL sets them (`connect_timeout`,
  /// `tcp_user_timeout`, `keepalives_*`, `options`); `password`, when not empty, is given apart
  /// from the URL, so that it never appears in logs. Throws `store_error` saying why the server
  /// could not be reached.
  postgresql_connection(const std::string& url, const std::string& password);
  ~postgresql_connection() override;
  postgresql_connection(const postgresql_connection&) = delete;
  postgresql_connection& operator=(const postgresql_connection&) = delete;

  std::int64_t execute(const char* sql, std::span<const sql::bound_value> values) override;
  void query(const char* sql, std::span<const sql::bound_value> values,
             const std::function<void(const sql::row&)>& each_row) override;
  void begin() override;
  /// REPEATABLE READ, READ ONLY: one snapshot for the whole transaction.
  void begin_snapshot() override;
  bool in_transaction() override;
  [[nodiscard]] sql::dialect dialect() const override { return sql::dialect::postgresql; }
  [[nodiscard]] std::string_view name() const override { return "postgresql store"; }

  /// The session's socket, to watch for what the server sends unasked (notifications).
  [[nodiscard]] int socket() const;
  /// Reads what came on the socket and returns how many notifications (LISTEN/NOTIFY) came since
  /// the last call, including any a statement's answer brought. Throws `store_error` when the
  /// connection is broken.
  std::size_t take_notifications();

 private:
  class result;
  result run(const char* sql, std::span<const sql::bound_value> values);
  /// Opens the session again when the server or the network ended it.
  void reconnect_when_broken();

  pg_conn* connection_ = nullptr;
  std::unordered_map<const char*, std::string> prepared_;  ///< server-side names, by the address of their SQL
};

}  // namespace tandem::postgresql_detail
