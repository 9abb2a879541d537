// `tandem store copy`: a store moved from SQLite to PostgreSQL and back keeps every row, an empty
// target is required, a failed copy leaves the target empty, and the copy's list of tables is the
// schema's.

#include "app/config_seed.h"
#include "app/engine_host.h"
#include "app/store_copy_command.h"
#include "postgresql/test_database.h"
#include "storage/postgresql/postgresql_store.h"
#include "storage/sql/sql_store_copy.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/temp_database.h"
#include "support/river_seed.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <date/date.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

const time_point start = date::sys_days{date::year{2026} / 11 / 25} + 10h;


inbound said(const std::string& who, const std::string& key, const std::string& text, time_point at) {
  return inbound{key, identity{"console", "", who}, "dm", true, true, inbound_kind::command, text, at, ""};
}

/// A SQLite store after a few days of a small collaboration: a task assigned and worked on, an
/// event on the calendar, an approval round, and the messages of a week of the engine's ticks.
void fill(const std::string& file) {
  sqlite_store store(file);
  metrics_registry metrics;
  engine_host host(store, metrics, {"en"});
  world w = river_seed({role::participant, role::representative});
  w.tiers = config_detail::default_tiers();
  host.start(w, start);
  host.submit(said("ana", "k1", "assign @dee \"Map the river\" due 2026-12-01", start), start);
  host.submit(said("dee", "k2", "progress 1 the west bank is done", start + 1h), start + 1h);
  host.submit(said("ana", "k3", "event add 2026-12-03 \"River day\"", start + 2h), start + 2h);
  host.submit(
      said("ana", "k4", "approval open \"Budget\" to all deadline 2026-12-02 link https://example.org/b", start + 3h),
      start + 3h);
  for (auto at = start + 3h; at < start + std::chrono::days{8}; at += 3h) host.tick(at);
}

/// Every row of every table the copy knows, as text, in a fixed order: what two SQLite files
/// must agree on.
std::vector<std::string> rows_of(const std::string& file) {
  SQLite::Database db(file, SQLite::OPEN_READONLY);
  std::vector<std::string> rows;
  for (const sql::table_columns& table : sql::copied_schema()) {
    SQLite::Statement s(db, std::string{"SELECT "} + table.columns + " FROM " + table.name);
    std::vector<std::string> these;
    while (s.executeStep()) {
      std::string row = table.name;
      for (int c = 0; c < s.getColumnCount(); ++c) {
        row += s.getColumn(c).isNull() ? "|NULL" : "|" + s.getColumn(c).getString();
      }
      these.push_back(row);
    }
    std::ranges::sort(these);
    rows.insert(rows.end(), these.begin(), these.end());
  }
  return rows;
}

}  // namespace

TEST_CASE("a SQLite store copied to PostgreSQL and back holds the same rows, and its ids go on after them") {
  const temp_database original;
  fill(original.path());
  test_database pg;
  const temp_database back;
  {
    sqlite_store from(original.path());
    postgresql_store to(pg.address());
    const auto copied = from.copy_to(to);
    REQUIRE(copied.size() == sql::copied_schema().size());
  }
  {
    postgresql_store from(pg.address());
    sqlite_store to(back.path());
    from.copy_to(to);
  }

  const std::vector<std::string> before = rows_of(original.path());
  CHECK(before.size() > 50);
  CHECK(rows_of(back.path()) == before);
  for (const char* table :
       {"tasks", "task_updates", "calendar_events", "approval_rounds", "approval_answers", "engagements", "outbox"}) {
    INFO(table);
    CHECK(
        std::ranges::any_of(before, [&](const std::string& row) { return row.starts_with(std::string{table} + "|"); }));
  }

  postgresql_store copied(pg.address());
  const auto highest = pg.value_of("SELECT MAX(id) FROM responses");
  const auto next = copied.record(said("dee", "after-the-copy", "hello", start + 5 * 24h), false, recorded_as::handled);
  REQUIRE(next);
  CHECK(*next > std::stoll(highest));
}

TEST_CASE("a copy into a store that holds rows is refused, and changes nothing there") {
  const temp_database original;
  fill(original.path());
  test_database pg;
  { postgresql_store(pg.address()).put_setting("already", "here"); }

  sqlite_store from(original.path());
  postgresql_store to(pg.address());
  try {
    from.copy_to(to);
    FAIL("a copy into a store with rows");
  } catch (const store_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("the target is not empty") && Catch::Contains("settings holds 1 rows"));
  }
  CHECK(pg.value_of("SELECT COUNT(*) FROM settings") == "1");
  CHECK(pg.value_of("SELECT COUNT(*) FROM responses") == "0");
}

TEST_CASE("a copy that fails on a row leaves the target empty, so that it can be run again") {
  const temp_database original;
  fill(original.path());
  {
    // Text that is not UTF-8: SQLite keeps any bytes, PostgreSQL refuses them.
    SQLite::Database db(original.path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE settings SET value = CAST(X'C328' AS TEXT) WHERE key = 'engine.first_tick'");
  }
  test_database pg;
  sqlite_store from(original.path());
  postgresql_store to(pg.address());

  try {
    from.copy_to(to);
    FAIL("a copy of text PostgreSQL cannot hold");
  } catch (const store_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("copy from the sqlite store to the postgresql store"));
  }
  CHECK(pg.value_of("SELECT COUNT(*) FROM collaborations") == "0");
  CHECK(pg.value_of("SELECT COUNT(*) FROM audit") == "0");
}

TEST_CASE("the copy's list of tables and columns is the whole schema of both backends") {
  const temp_database file;
  { sqlite_store store(file.path()); }
  test_database pg;
  { postgresql_store store(pg.address()); }

  std::set<std::string> listed;
  for (const sql::table_columns& table : sql::copied_schema()) {
    std::string columns = table.columns;
    std::erase(columns, '"');
    std::erase(columns, ' ');
    listed.insert(std::string{table.name} + ":" + columns);
  }
  std::set<std::string> in_sqlite;
  SQLite::Database db(file.path(), SQLite::OPEN_READONLY);
  SQLite::Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  while (tables.executeStep()) {
    const std::string name = tables.getColumn(0).getString();
    SQLite::Statement columns(db, "SELECT group_concat(name, ',') FROM pragma_table_info(?)");
    columns.bind(1, name);
    columns.executeStep();
    in_sqlite.insert(name + ":" + columns.getColumn(0).getString());
  }
  CHECK(in_sqlite == listed);

  std::set<std::string> in_postgresql;
  std::istringstream lines{pg.value_of(
      "SELECT string_agg(table_name || ':' || columns, E'\\n') FROM (SELECT table_name, string_agg(column_name, ',' "
      "ORDER BY ordinal_position) AS columns FROM information_schema.columns WHERE table_schema = 'public' AND "
      "table_name <> 'tandem_schema' GROUP BY table_name) AS t")};
  for (std::string line; std::getline(lines, line);) in_postgresql.insert(line);
  CHECK(in_postgresql == listed);
}

TEST_CASE("tandem store copy prints each table's count, and refuses a missing source or the same store twice") {
  const temp_database original;
  fill(original.path());
  test_database pg;
  std::ostringstream out;
  std::ostringstream err;

  CHECK(copy_store_command(original.path(), pg.address().url, out, err) == 0);
  CHECK_THAT(out.str(), Catch::Contains("  tasks: 1\n") && Catch::Contains("each table counted again in both"));
  CHECK(err.str().empty());

  std::ostringstream missing;
  CHECK(copy_store_command("/nonexistent/tandem.db", pg.address().url, out, missing) == 1);
  CHECK(missing.str() == "store copy: sqlite store: /nonexistent/tandem.db does not exist\n");

  std::ostringstream same;
  CHECK(copy_store_command(original.path(), original.path(), out, same) == 1);
  CHECK(same.str() == "store copy: --from and --to name the same store\n");
}

TEST_CASE("tandem store copy refuses a database a Tandem leads") {
  const temp_database original;
  fill(original.path());
  test_database pg;
  postgresql_leadership running(pg.address());
  REQUIRE(running.try_to_lead());
  std::ostringstream out;
  std::ostringstream err;

  CHECK(copy_store_command(original.path(), pg.address().url, out, err) == 1);
  CHECK_THAT(err.str(), Catch::Contains("a Tandem serves this database") && Catch::Contains("stop every Tandem"));
  CHECK(out.str().empty());
}
