#pragma once
// Where the store contract tests take their stores from: the one place a backend is chosen. The
// contract tests (store_contract_test.cpp, approvals_store_test.cpp) are compiled once and linked
// into each backend's test program with that backend's definition of `store_under_test`
// (sqlite_store_under_test.cpp); a second backend adds its own definition and program beside it.

#include "core/store.h"

#include <memory>

namespace tandem::testing {

/// An empty database of the backend under test, for one test, dropped at the end. Its stores make
/// each commit durable before it returns, so `due_outbox` hands a row out as soon as it is applied.
class store_under_test {
 public:
  store_under_test();
  ~store_under_test();
  store_under_test(const store_under_test&) = delete;
  store_under_test& operator=(const store_under_test&) = delete;

  /// A store on this database: the first one, or one that opens again what earlier ones left.
  std::unique_ptr<store> open();

 private:
  struct database;
  std::unique_ptr<database> database_;
};

/// A store on an empty database of its own, for a test that needs no second one.
class fresh_store {
 public:
  fresh_store() : store_(database_.open()) {}

  store* operator->() const { return store_.get(); }
  store& operator*() const { return *store_; }

 private:
  store_under_test database_;
  std::unique_ptr<store> store_;
};

}  // namespace tandem::testing
