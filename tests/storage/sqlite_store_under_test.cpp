// The store contract tests against SQLite: each on a database file of its own, durable at each
// commit (`sqlite_durability::at_commit`).

#include "storage/store_under_test.h"

#include "storage/sqlite/sqlite_store.h"
#include "storage/temp_database.h"

namespace tandem::testing {

struct store_under_test::database {
  temp_database file;
};

store_under_test::store_under_test() : database_(std::make_unique<database>()) {}

store_under_test::~store_under_test() = default;

std::unique_ptr<store> store_under_test::open() { return std::make_unique<sqlite_store>(database_->file.path()); }

}  // namespace tandem::testing
