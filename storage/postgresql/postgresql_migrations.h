#pragma once
// The PostgreSQL store's schema: numbered migrations (storage/schema_migration.h) under the same
// numbers as SQLite's, the database's version kept in the table `tandem_schema`. Internal to
// storage/postgresql.

#include "storage/sql/sql_connection.h"

namespace tandem::postgresql_detail {

/// The version a database has once migrated: the number of the last migration.
int latest_schema_version() noexcept;

/// Runs the migrations the database has not seen yet, all in one transaction that holds an
/// advisory lock, so that instances starting together migrate in turn. Throws `store_error` when
/// the database has a version this Tandem does not know (a newer Tandem wrote it), or a step fails.
void migrate(sql::connection& db);

}  // namespace tandem::postgresql_detail
