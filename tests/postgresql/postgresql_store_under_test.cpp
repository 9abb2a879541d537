// The store contract tests against PostgreSQL: each on a database of its own in the cluster the
// test script started (tests/postgresql/cluster.sh). Commits are durable when they return.

#include "storage/store_under_test.h"

#include "postgresql/test_database.h"
#include "storage/postgresql/postgresql_store.h"

namespace tandem::testing {

struct store_under_test::database {
  test_database db;
};

store_under_test::store_under_test() : database_(std::make_unique<database>()) {}

store_under_test::~store_under_test() = default;

std::unique_ptr<store> store_under_test::open() { return std::make_unique<postgresql_store>(database_->db.address()); }

}  // namespace tandem::testing
