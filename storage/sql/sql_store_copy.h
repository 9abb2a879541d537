#pragma once
// Copying every row of one SQL store into another, empty one of any backend (`tandem store copy`):
// moving from SQLite to PostgreSQL and back. Internal to storage/; sql_store::copy_to uses it.

#include "storage/sql/sql_connection.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tandem::sql {

/// A table and its columns as the schema has them at the latest version. A migration that adds a
/// table or a column adds it to the copy's list too (a test holds the list against the schema).
struct table_columns {
  const char* name;
  const char* columns;  ///< as a SELECT lists them, e.g. `id, "user", at`
  bool has_identity;    ///< an `id` PostgreSQL numbers itself
};

/// Every table the copy copies, in an order where each comes after the ones its foreign keys name.
std::span<const table_columns> copied_schema();

/// How many rows of one table were copied, counted again in the target after the copy.
struct copied_table {
  std::string table;
  std::int64_t rows = 0;
};

/// Copies every table of the schema from `from` (read in one snapshot) into `to` (written in one
/// transaction: all or nothing), both at the same schema version, then counts each table in both
/// and compares. Throws `store_error` when `to` holds any row already (nothing is copied), when a
/// row cannot be written (the target keeps nothing), or when the counts differ.
std::vector<copied_table> copy_rows(connection& from, connection& to);

}  // namespace tandem::sql
