#pragma once
// The SQLite store's `load`: the whole world the engine decides from, read table by table.
// Internal to storage/sqlite.

#include "core/model.h"

namespace SQLite {  // NOLINT(readability-identifier-naming): the library's own name
class Database;
}

namespace tandem::sqlite_detail {

/// Reads the world in one read transaction, so that it is a single snapshot; `languages` is left
/// at its default, and `last_response` is the latest responses row of each person's identities.
/// Throws `store_error` for a value the core does not know, `SQLite::Exception` when a read fails.
world load_world(SQLite::Database& db);

}  // namespace tandem::sqlite_detail
