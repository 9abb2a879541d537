#pragma once
// A database of its own for one test, in the cluster the test script started
// (tests/postgresql/cluster.sh, whose URL file CTest names in TANDEM_TEST_POSTGRESQL_URL_FILE).

#include "storage/postgresql/postgresql_store.h"

#include <string>

namespace tandem::testing {

/// A new, empty database, dropped at the end (with any sessions still on it).
class test_database {
 public:
  /// Throws `std::runtime_error` when no cluster was started for the tests.
  test_database();
  ~test_database();
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;

  /// Where a store finds it.
  [[nodiscard]] const postgresql_address& address() const { return address_; }
  /// Runs `sql` on the database beside the stores (a test's own look at the rows).
  void run(const std::string& sql) const;
  /// The first column of the first row `sql` returns, as text.
  [[nodiscard]] std::string value_of(const std::string& sql) const;

 private:
  std::string cluster_url_;
  std::string name_;
  postgresql_address address_;
};

}  // namespace tandem::testing
