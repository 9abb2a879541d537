// The PostgreSQL store's own side: its migrations, its connection, and what the server is told.
// What every store must do is in tests/storage/store_contract_test.cpp, which runs against
// PostgreSQL too (postgresql_store_under_test.cpp).

#include "storage/postgresql/postgresql_store.h"

#include "postgresql/test_database.h"
#include "storage/postgresql/postgresql_connection.h"
#include "storage/sql/sql_statements.h"
#include "storage/sqlite/sqlite_store.h"

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace tandem;
using namespace tandem::testing;

TEST_CASE("an empty PostgreSQL database is migrated to the same schema version as SQLite's") {
  test_database db;

  { postgresql_store store(db.address()); }

  CHECK(postgresql_store::latest_schema_version() == sqlite_store::latest_schema_version());
  CHECK(db.value_of("SELECT version FROM tandem_schema") == std::to_string(sqlite_store::latest_schema_version()));
}

TEST_CASE("reopening a migrated PostgreSQL database keeps its rows and does not migrate again") {
  test_database db;
  { postgresql_store(db.address()).put_setting("marker", "kept"); }

  postgresql_store reopened(db.address());

  CHECK(reopened.setting("marker") == "kept");
  CHECK(db.value_of("SELECT COUNT(*) FROM tandem_schema") == "1");
}

TEST_CASE("two stores opening one empty database at once both find it migrated once") {
  test_database db;
  postgresql_store first(db.address());
  postgresql_store second(db.address());

  first.put_setting("from", "first");

  CHECK(second.setting("from") == "first");
  CHECK(db.value_of("SELECT version FROM tandem_schema") == std::to_string(postgresql_store::latest_schema_version()));
}

TEST_CASE("a PostgreSQL database written by a newer Tandem is refused with a clear error") {
  test_database db;
  { postgresql_store store(db.address()); }
  db.run("UPDATE tandem_schema SET version = version + 1");

  CHECK_THROWS_WITH(postgresql_store(db.address()),
                    Catch::Contains("written by a newer Tandem") && Catch::Contains("postgresql store"));
}

TEST_CASE("a server that cannot be reached is a store error that says so, without the password") {
  // Port 1 on 127.0.0.1: nothing listens there.
  const postgresql_address nowhere{"postgresql://tandem@127.0.0.1:1/tandem?connect_timeout=2", "secret-password"};

  try {
    postgresql_store store(nowhere);
    FAIL("a store opened on a port nobody listens on");
  } catch (const store_error& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("postgresql store: cannot connect"));
    CHECK_THAT(message, !Catch::Contains("secret-password"));
  }
}

TEST_CASE("a store whose session the server ended connects again for the next operation") {
  test_database db;
  postgresql_store store(db.address());
  store.put_setting("before", "1");

  db.run(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
      "pg_backend_pid()");

  // The first operation after the end may fail (its session is gone); the one after it works.
  try {
    store.put_setting("during", "1");
  } catch (const store_error&) {
  }
  store.put_setting("after", "1");
  CHECK(store.setting("before") == "1");
  CHECK(store.setting("after") == "1");
}

namespace {

/// `address`'s URL with `parameter` (`key=value`, URL-encoded) added.
std::string with_parameter(const postgresql_address& address, const std::string& parameter) {
  return address.url + (address.url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

/// What `SHOW setting` answers on a new connection to `url`.
std::string shown(const std::string& url, const std::string& setting) {
  postgresql_detail::postgresql_connection connection(url, "");
  std::string value;
  sql::query(connection, ("SHOW " + setting).c_str(), [&](const sql::row& r) { value = r.text(0); });
  return value;
}

}  // namespace

TEST_CASE("a connection's statements run 30 s at most unless its URL says otherwise") {
  // The client's own limits (connect_timeout, tcp_user_timeout, keepalives) live in libpq's
  // socket and are not visible to SHOW, which answers for the server's side.
  test_database db;
  CHECK(shown(db.address().url, "statement_timeout") == "30s");
  CHECK(shown(with_parameter(db.address(), "options=-c%20statement_timeout%3D5s"), "statement_timeout") == "5s");
}

TEST_CASE("a statement that runs past its timeout is a store error, and the connection goes on") {
  test_database db;
  postgresql_detail::postgresql_connection connection(
      with_parameter(db.address(), "options=-c%20statement_timeout%3D100ms"), "");
  try {
    sql::execute(connection, "SELECT pg_sleep(2)");
    FAIL("a two-second statement under a 100 ms timeout");
  } catch (const store_error& e) {
    CHECK_THAT(std::string{e.what()}, Catch::Contains("statement timeout"));
  }
  std::string one;
  sql::query(connection, "SELECT 1", [&](const sql::row& r) { one = r.text(0); });
  CHECK(one == "1");
}

TEST_CASE("one Tandem leads a database at a time, and knows when the server ended its lock's session") {
  test_database db;
  postgresql_store store(db.address());  // migrated, as `tandem serve` finds it
  postgresql_leadership first(db.address());
  postgresql_leadership second(db.address());
  CHECK_FALSE(first.still_leading());  // not before it took the lock
  CHECK(first.try_to_lead());
  CHECK(first.try_to_lead());  // it leads already
  CHECK(first.still_leading());
  CHECK_FALSE(second.try_to_lead());  // held: the second follows
  CHECK_FALSE(second.still_leading());

  db.run(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
      "(SELECT oid FROM pg_database WHERE datname = current_database())");

  CHECK_FALSE(first.still_leading());
  CHECK_FALSE(first.still_leading());  // its connection's new session holds no lock either
  CHECK(second.try_to_lead());         // the lock is free for a follower to take
  CHECK(second.still_leading());
}

TEST_CASE(
    "a follower's notification reaches the leader listening on the inbound channel when its transaction commits") {
  test_database db;
  postgresql_store follower(db.address());
  postgresql_leadership leader(db.address());
  REQUIRE(leader.try_to_lead());
  leader.listen(postgresql_leadership::inbound_channel);
  CHECK(leader.take_notifications() == 0);

  CHECK_THROWS_AS(follower.in_one_transaction([&] {
    follower.notify_at_commit(postgresql_leadership::inbound_channel);
    throw store_error("the burst was not kept");
  }),
                  store_error);
  for (int burst = 0; burst < 2; ++burst) {
    follower.in_one_transaction([&] { follower.notify_at_commit(postgresql_leadership::inbound_channel); });
  }

  std::size_t woken = 0;
  for (int attempt = 0; attempt < 200 && woken < 2; ++attempt) {
    woken += leader.take_notifications();
    if (woken < 2) std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  CHECK(woken == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CHECK(leader.take_notifications() == 0);  // none from the transaction that did not commit
  CHECK(leader.socket() >= 0);
}

TEST_CASE("a store URL is PostgreSQL by its scheme, anything else a SQLite file") {
  CHECK(is_postgresql_url("postgresql://tandem@db.internal/tandem"));
  CHECK(is_postgresql_url("postgres://tandem@db.internal/tandem"));
  CHECK_FALSE(is_postgresql_url("deploy/tandem.db"));
  CHECK_FALSE(is_postgresql_url("/var/lib/tandem/postgresql://x.db"));
}
