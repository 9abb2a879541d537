#pragma once
// The core's store in a PostgreSQL database: the SQL store (storage/sql) on a libpq connection,
// its schema under the same version numbers as SQLite's.

#include "storage/sql/sql_store.h"

#include <memory>
#include <string>
#include <string_view>

namespace tandem::postgresql_detail {
class postgresql_connection;
}  // namespace tandem::postgresql_detail

namespace tandem {

/// Where a PostgreSQL store lives and how to sign in to it.
struct postgresql_address {
  std::string url;       ///< `postgresql://user@host:port/database?sslmode=verify-full&...` (libpq's form)
  std::string password;  ///< empty: from the URL, PGPASSWORD or ~/.pgpass, as libpq finds it
};

/// A store in one PostgreSQL database. Every commit is durable when it returns
/// (`synchronous_commit` as the server has it, `on` by default), so `sync` has nothing to do and
/// the outbox hands out rows as soon as they are committed. Not thread-safe: one owner at a time
/// (the core strand); another thread opens its own.
class postgresql_store final : public sql_store {
 public:
  /// Connects and runs the migrations the database has not seen yet. Throws `store_error` when the
  /// server cannot be reached or refuses the sign-in, or the database was written by a newer Tandem.
  explicit postgresql_store(const postgresql_address& address);

  /// The schema version a database has after migration: the same number as `sqlite_store`'s.
  static int latest_schema_version() noexcept;

  /// Nothing to do: commits are durable when they return.
  void sync() override {}

  /// Inside `in_one_transaction`: the server notifies the listeners of `channel` when the
  /// transaction commits, and not at all when it does not (a follower's wake-up of the leader
  /// costs no commit of its own). Throws `store_error` when the server refuses.
  void notify_at_commit(const char* channel);
};

/// Which of the Tandems sharing one PostgreSQL database leads: the one holding a session-level
/// advisory lock, on a connection of its own, while it lives. The leader alone decides, runs the
/// schedules and delivers; the others (followers) record what platforms send them and wake the
/// leader with a notification. If the server ends the lock's session (the leader was killed, a
/// server restart, an administrator's `pg_terminate_backend`, a network cut), the lock is free for
/// a follower to take; `still_leading` tells the old leader, which then stops. The same connection
/// carries the wake-ups (LISTEN/NOTIFY). Not thread-safe: one owner (the core strand).
class postgresql_leadership {
 public:
  /// The channel on which followers say that they recorded events for the leader to handle.
  static constexpr const char* inbound_channel = "tandem_inbound";

  /// Connects; does not take the lock yet. Throws `store_error` when the server cannot be reached.
  explicit postgresql_leadership(const postgresql_address& address);
  ~postgresql_leadership();
  postgresql_leadership(const postgresql_leadership&) = delete;
  postgresql_leadership& operator=(const postgresql_leadership&) = delete;

  /// Takes the lock unless another session holds it; true when this process leads now (also when
  /// it led already). A broken connection is opened again first; a server that cannot be reached
  /// throws `store_error`.
  bool try_to_lead();

  /// True while the session that took the lock lives, so that this process still leads; false
  /// before `try_to_lead` succeeded, and for good once the server ended that session or cannot be
  /// reached (the lock may be another's by now). One round trip to the server.
  bool still_leading();

  /// From now on, notifications on `channel` (`postgresql_store::notify_at_commit`) are counted
  /// by `take_notifications`.
  void listen(const char* channel);
  /// The connection's socket: readable when a notification (or anything else) came from the server.
  [[nodiscard]] int socket() const;
  /// Reads what came on the socket; returns how many notifications came since the last call.
  /// Throws `store_error` when the connection is broken.
  std::size_t take_notifications();

 private:
  std::unique_ptr<postgresql_detail::postgresql_connection> session_;
  std::string backend_;  ///< the server's process id of the session that took the lock; empty before
};

/// Whether `store` names a PostgreSQL database (`postgresql://` or `postgres://`) rather than a
/// SQLite file.
bool is_postgresql_url(std::string_view store);

}  // namespace tandem
