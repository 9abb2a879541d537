#pragma once
// The core's store in a PostgreSQL database: the SQL store (storage/sql) on a libpq connection,
// its schema under the same version numbers as SQLite's.

#include "storage/sql/sql_store.h"

#include <memory>
#include <string>
#include <string_view>

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
};

/// The one Tandem that serves a PostgreSQL database: a session-level advisory lock held on a
/// connection of its own while it lives. Until several instances share a database (one leading,
/// the others standing by), a second `tandem serve` on the same database is refused, as a second
/// on one SQLite file is (store_lock.h). If the server ends the lock's session (a restart, an
/// administrator's `pg_terminate_backend`, a network cut), the lock is gone with it: `still_held`
/// says so, and the serving Tandem stops rather than serve beside one that took it since.
class postgresql_instance_lock {
 public:
  /// Takes the lock, or throws `store_error` saying that another Tandem holds it (or that the
  /// server cannot be reached).
  explicit postgresql_instance_lock(const postgresql_address& address);

  /// True while the session that took the lock lives, so the lock is still this process's; false
  /// once the server ended that session or cannot be reached (the lock may be another's by now).
  /// One round trip to the server.
  bool still_held();
  ~postgresql_instance_lock();
  postgresql_instance_lock(const postgresql_instance_lock&) = delete;
  postgresql_instance_lock& operator=(const postgresql_instance_lock&) = delete;

 private:
  std::unique_ptr<sql::connection> session_;
  std::string backend_;  ///< the server's process id for the session that took the lock
};

/// Whether `store` names a PostgreSQL database (`postgresql://` or `postgres://`) rather than a
/// SQLite file.
bool is_postgresql_url(std::string_view store);

}  // namespace tandem
