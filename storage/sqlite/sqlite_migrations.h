#pragma once
// The SQLite store's schema: numbered migrations (storage/schema_migration.h), the database's
// version kept in `PRAGMA user_version`. Internal to storage/sqlite.

namespace SQLite {  // NOLINT(readability-identifier-naming): the library's own name
class Database;
}

namespace tandem::sqlite_detail {

/// The version a database has once migrated: the number of the last migration.
int latest_schema_version() noexcept;

/// Runs, each in a transaction of its own that takes the write lock first, the migrations `db`
/// has not seen yet. Throws `store_error` when `db` has a version this Tandem does not know (a
/// newer Tandem wrote it), and `SQLite::Exception` when a migration fails.
void migrate(SQLite::Database& db);

}  // namespace tandem::sqlite_detail
