// The SQLite store's own side: its migrations, its file, and when its commits are durable. What
// every store must do is in store_contract_test.cpp, which runs against SQLite too.

#include "storage/sqlite/sqlite_store.h"

#include "core/action.h"
#include "storage/sqlite/sqlite_write_ahead_log.h"
#include "storage/store_test_values.h"
#include "storage/temp_database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

/// The schema version a database file says it has, read without the store.
int user_version_of(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA user_version").getInt();
}

}  // namespace

TEST_CASE("an empty database is migrated to the latest schema version") {
  temp_database file;
  { SQLite::Database empty(file.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); }
  REQUIRE(user_version_of(file.path()) == 0);

  { sqlite_store store(file.path()); }

  CHECK(sqlite_store::latest_schema_version() >= 1);
  CHECK(user_version_of(file.path()) == sqlite_store::latest_schema_version());
}

TEST_CASE("reopening a migrated database does not run the migrations again") {
  temp_database file;
  {
    sqlite_store store(file.path());
    store.put_setting("marker", "kept");
  }
  // Migrations create their tables without IF NOT EXISTS: running one twice would throw here.
  sqlite_store reopened(file.path());
  CHECK(reopened.setting("marker") == "kept");
  CHECK(user_version_of(file.path()) == sqlite_store::latest_schema_version());
}

TEST_CASE("a database written by a newer Tandem is refused with a clear error") {
  temp_database file;
  { sqlite_store store(file.path()); }
  const int newer = sqlite_store::latest_schema_version() + 1;
  {
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(newer));
  }

  const std::string message = store_error_of([&] { sqlite_store store(file.path()); });

  CHECK_THAT(message, Catch::Contains(file.path()));
  CHECK_THAT(message, Catch::Contains("newer Tandem"));
  CHECK_THAT(message, Catch::Contains("schema version " + std::to_string(newer)));
  CHECK(user_version_of(file.path()) == newer);
}

TEST_CASE("a file that is not a database is refused with a store error") {
  temp_database file;
  { std::ofstream(file.path()) << "these are not the pages of an SQLite database, but long enough to look at\n"; }

  const std::string message = store_error_of([&] { sqlite_store store(file.path()); });

  CHECK_THAT(message, Catch::Contains(file.path()));
}

TEST_CASE("a file store uses write-ahead logging") {
  temp_database file;
  sqlite_store store(file.path());
  SQLite::Database db(file.path(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("migration 7 keeps every outbox row of a store written before it, about nothing") {
  temp_database file;
  { sqlite_store created(file.path()); }
  {
    // The outbox before migration 7: no about_json, no 'withdrawn' state.
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE outbox");
    db.exec(
        "CREATE TABLE outbox (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, platform TEXT NOT NULL,"
        " workspace TEXT NOT NULL, conversation TEXT NOT NULL, user TEXT NOT NULL, person TEXT NOT NULL,"
        " language TEXT NOT NULL, kind TEXT NOT NULL, values_json TEXT NOT NULL, not_before INTEGER NOT NULL,"
        " state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')), attempts INTEGER NOT NULL DEFAULT 0,"
        " next_attempt INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL"
        " DEFAULT (unixepoch()), sent_at INTEGER, failed_at INTEGER, reply_handle TEXT NOT NULL DEFAULT '') STRICT");
    db.exec(
        "INSERT INTO outbox (key, platform, workspace, conversation, user, person, language, kind, values_json,"
        " not_before, state, attempts, next_attempt, last_error, reply_handle) VALUES"
        " ('nudge:river:dee:1', 'console', '', '', 'dee', 'dee', 'en', 'checkin', '{}', 100, 'pending', 0, 100, '', ''),"
        " ('reply:x:0', 'slack', 'T1', 'C1', 'U1', 'ana', 'fr', 'help', '{\"a\":1}', 50, 'sent', 1, 50, '', 'h')");
    db.exec("ALTER TABLE tasks RENAME COLUMN due_day TO due");  // and before migrations 8 to 10
    db.exec("ALTER TABLE responses DROP COLUMN presence_only");
    db.exec("ALTER TABLE calendar_events DROP COLUMN removed_at");
    db.exec("DROP TABLE dashboard_sign_ins; DROP TABLE dashboard_sessions;");  // and before migration 10
    db.exec("ALTER TABLE audit DROP COLUMN via");
    db.exec("DROP INDEX responses_with_text");  // and before migration 11
    db.exec("DROP TABLE response_months");      // and before migration 12
    db.exec(
        "DROP INDEX audit_by_time; DROP INDEX audit_by_action; DROP INDEX audit_by_collaboration;");  // and before
                                                                                                      // migration 13
    db.exec("PRAGMA user_version = 6");
  }
  sqlite_store store(file.path());
  const auto rows = store.outbox_rows("");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].item.key == "nudge:river:dee:1");
  CHECK(rows[0].state == outbox_state::pending);
  CHECK(rows[0].item.about == message_subject{});
  CHECK(rows[1].item.to == destination{"slack", "T1", "C1", "U1", "ana", "fr", "h"});
  CHECK(rows[1].item.body.values == nlohmann::json{{"a", 1}});
  CHECK(rows[1].state == outbox_state::sent);
  store.withdraw(rows[0].id, "the check after the migration", t0);  // the new state is allowed
  CHECK(row_with_key(store, "nudge:river:dee:1").state == outbox_state::withdrawn);
}

TEST_CASE("migration 6 tells a given zone from the default in a store written before it") {
  temp_database file;
  { sqlite_store created(file.path()); }
  {
    // The schema before migration 6: people without time_zone_origin.
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    db.exec("ALTER TABLE people DROP COLUMN time_zone_origin");
    db.exec("ALTER TABLE tasks RENAME COLUMN due_day TO due");  // nor migration 8's, which runs again
    // ... nor what later migrations add (the one numbered 9 in the list, presence and removed events).
    db.exec("ALTER TABLE responses DROP COLUMN presence_only");
    db.exec("ALTER TABLE calendar_events DROP COLUMN removed_at");
    db.exec("DROP TABLE dashboard_sign_ins; DROP TABLE dashboard_sessions;");  // and migration 10
    db.exec("ALTER TABLE audit DROP COLUMN via");
    db.exec("DROP INDEX responses_with_text");  // and before migration 11
    db.exec("DROP TABLE response_months");      // and before migration 12
    db.exec(
        "DROP INDEX audit_by_time; DROP INDEX audit_by_action; DROP INDEX audit_by_collaboration;");  // and before
                                                                                                      // migration 13
    db.exec("PRAGMA user_version = 5");
    db.exec(
        "INSERT INTO people (id, name, time_zone, language) VALUES"
        " ('ana', 'Ana', 'Europe/Berlin', 'en'),"  // from the config or a command
        " ('bob', 'Bob', 'UTC', 'en'),"            // nobody gave one
        " ('cy', 'Cy', 'UTC', 'en')");             // typed `tz UTC`
    db.exec(
        "INSERT INTO audit (at, collaboration, actor, action, detail) VALUES"
        " (1, 'river', 'cy', 'person.tz', 'UTC'), (2, 'river', 'bob', 'person.lang', 'fr')");
  }
  sqlite_store store(file.path());
  CHECK(user_version_of(file.path()) == sqlite_store::latest_schema_version());
  const world loaded = store.load();
  CHECK(loaded.people.at("ana").time_zone_origin == zone_origin::given);
  CHECK(loaded.people.at("bob").time_zone_origin == zone_origin::defaulted);
  CHECK(loaded.people.at("cy").time_zone_origin == zone_origin::given);
  CHECK(loaded.people.at("bob").time_zone == "UTC");
}

TEST_CASE("migration 8 turns each stored due instant into the date it ended, whatever zone moved since") {
  temp_database file;
  { sqlite_store created(file.path()); }
  {
    // The schema before migration 8: due as the last second of the day in the assignee's zone.
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    db.exec("ALTER TABLE tasks RENAME COLUMN due_day TO due");
    db.exec("ALTER TABLE responses DROP COLUMN presence_only");  // and before migration 9
    db.exec("ALTER TABLE calendar_events DROP COLUMN removed_at");
    db.exec("DROP TABLE dashboard_sign_ins; DROP TABLE dashboard_sessions;");  // and before migration 10
    db.exec("ALTER TABLE audit DROP COLUMN via");
    db.exec("DROP INDEX responses_with_text");  // and before migration 11
    db.exec("DROP TABLE response_months");      // and before migration 12
    db.exec(
        "DROP INDEX audit_by_time; DROP INDEX audit_by_action; DROP INDEX audit_by_collaboration;");  // and before
                                                                                                      // migration 13
    db.exec("PRAGMA user_version = 7");
    db.exec(
        "INSERT INTO collaborations (id, name, record_full_text, rooms) VALUES ('river', 'River', 0, '[]');"
        "INSERT INTO people (id, name, time_zone, language) VALUES"
        " ('ana', 'Ana', 'Europe/Berlin', 'en'), ('nz', 'Nia', 'Pacific/Auckland', 'en'),"
        " ('moved', 'Mo', 'Pacific/Auckland', 'en');");
    // 2030-03-05 ends at 22:59:59 UTC in Berlin (1898981999), at 10:59:59 UTC in Auckland
    // (1898938799); Mo's was given in New York (2030-03-06 04:59:59 UTC, 1899003599) before Mo
    // moved to Auckland, where that instant is no day's end.
    db.exec(
        "INSERT INTO tasks (number, collaboration, title, assignee_person, assignee_organization, due, status, note,"
        " created_by, created_at, updated_at) VALUES"
        " (1, 'river', 'Berlin', 'ana', '', 1898981999, 'open', '', 'ana', 0, 0),"
        " (2, 'river', 'Auckland', 'nz', '', 1898938799, 'open', '', 'ana', 0, 0),"
        " (3, 'river', 'For the city', '', 'city', 1898981999, 'open', '', 'ana', 0, 0),"
        " (4, 'river', 'Moved', 'moved', '', 1899003599, 'open', '', 'ana', 0, 0),"
        " (5, 'river', 'Undated', 'ana', '', NULL, 'open', '', 'ana', 0, 0)");
  }
  sqlite_store store(file.path());
  CHECK(user_version_of(file.path()) == sqlite_store::latest_schema_version());
  const world loaded = store.load();
  const std::chrono::sys_days march_5{std::chrono::year{2030} / 3 / 5};
  for (std::int64_t number : {1, 2, 3, 4}) {
    INFO("task " << number);
    CHECK(loaded.tasks.at(number).due == march_5);
  }
  CHECK_FALSE(loaded.tasks.at(5).due.has_value());
}

TEST_CASE("the database refuses a time zone origin other than default, given or learned") {
  temp_database file;
  { sqlite_store created(file.path()); }
  {
    SQLite::Database db(file.path(), SQLite::OPEN_READWRITE);
    CHECK_THROWS(db.exec("INSERT INTO people (id, name, time_zone, language, time_zone_origin)"
                         " VALUES ('ana', 'Ana', 'UTC', 'en', 'guessed')"));
  }
}

TEST_CASE("an at_sync store hands out an outbox row only once the commit that wrote it is synced") {
  temp_database file;
  sqlite_store store(file.path(), sqlite_durability::at_sync);
  store.apply({message_with_key("reply:1")}, std::nullopt);
  CHECK(store.due_outbox(t0 + 1h, 10).empty());
  CHECK_FALSE(store.next_outbox_attempt_after(t0 - 1s).has_value());
  CHECK(store.outbox_rows("reply:").size() == 1);  // written, only not handed out
  store.sync();
  CHECK(keys_of(store.due_outbox(t0 + 1h, 10)) == std::vector<std::string>{"reply:1"});
  CHECK(store.next_outbox_attempt_after(t0 - 1s) == t0);
}

TEST_CASE("an at_sync store names the due rows written since its last sync, and no others") {
  temp_database file;
  sqlite_store store(file.path(), sqlite_durability::at_sync);
  store.apply({message_with_key("reply:1")}, std::nullopt);
  store.sync();
  store.apply({message_with_key("reply:2"), message_with_key("reply:3")}, std::nullopt);
  CHECK(keys_of(store.written_outbox(t0, 10)) == std::vector<std::string>{"reply:2", "reply:3"});
  CHECK(keys_of(store.written_outbox(t0, 1)) == std::vector<std::string>{"reply:2"});
  CHECK(store.written_outbox(t0 - 1s, 10).empty());  // not due yet
  CHECK(keys_of(store.due_outbox(t0, 10)) == std::vector<std::string>{"reply:1"});
  const std::int64_t written = store.outbox_rows("reply:2").at(0).id;
  store.mark_sent(written, t0);
  CHECK(keys_of(store.written_outbox(t0, 10)) == std::vector<std::string>{"reply:3"});
  store.sync();
  CHECK(store.written_outbox(t0, 10).empty());
  CHECK(keys_of(store.due_outbox(t0, 10)) == std::vector<std::string>{"reply:1", "reply:3"});
}

TEST_CASE("an at_commit store hands out a row at once, and its sync changes nothing") {
  temp_database file;
  sqlite_store store(file.path());
  store.apply({message_with_key("reply:1")}, std::nullopt);
  CHECK(store.due_outbox(t0, 10).size() == 1);
  CHECK(store.written_outbox(t0, 10).empty());  // durable at once: nothing is only written
  store.sync();
  CHECK(store.due_outbox(t0, 10).size() == 1);
  CHECK_FALSE(store.checkpoint());
}

TEST_CASE("an at_sync store syncs at opening what the last run wrote, and hands it out") {
  temp_database file;
  { sqlite_store(file.path(), sqlite_durability::at_sync).apply({message_with_key("reply:1")}, std::nullopt); }
  sqlite_store store(file.path(), sqlite_durability::at_sync);
  CHECK(keys_of(store.due_outbox(t0, 10)) == std::vector<std::string>{"reply:1"});
}

namespace {

/// Records burst number `burst`: 25 responses of three pages each in one transaction (about 75
/// log frames).
void record_long_burst(sqlite_store& store, int burst) {
  const std::string long_text(3 * 4096, 'x');
  store.in_one_transaction([&] {
    for (int i = 0; i < 25; ++i) {
      const std::string key = "slack:T1:C1:" + std::to_string(burst) + "." + std::to_string(i);
      REQUIRE(store.record(
          inbound{key, identity{"slack", "T1", "U1"}, "C1", false, false, inbound_kind::message, long_text, t0, ""},
          true, recorded_as::unhandled));
    }
  });
}

}  // namespace

TEST_CASE("an at_sync store asks for a paused checkpoint only once its log has outgrown the bound") {
  temp_database file;
  sqlite_store store(file.path(), sqlite_durability::at_sync);
  int burst = 0;
  const auto write_burst = [&] { record_long_burst(store, burst++); };
  write_burst();
  CHECK_FALSE(store.checkpoint_needs_a_pause());
  // No checkpoint between the bursts: the log only grows, as under an owner that never pauses.
  // A WAL file is a 32-byte header, then frames of a 24-byte header and a 4 KB page.
  const auto log_frames = [&] { return (std::filesystem::file_size(file.path() + "-wal") - 32) / (24 + 4096); };
  while (log_frames() < sqlite_write_ahead_log::paused_checkpoint_frames) {
    write_burst();
  }
  CHECK(store.checkpoint_needs_a_pause());
  store.sync();
  CHECK(store.checkpoint());
  write_burst();  // finds the log all copied, and starts it over
  CHECK_FALSE(store.checkpoint_needs_a_pause());
}

TEST_CASE("an at_commit store never asks for a paused checkpoint") {
  temp_database file;
  sqlite_store store(file.path());
  for (int i = 0; i < 3; ++i) store.apply({message_with_key("reply:" + std::to_string(i))}, std::nullopt);
  CHECK_FALSE(store.checkpoint_needs_a_pause());
}

TEST_CASE("the log of an at_sync store is checkpointed into the database file and starts over") {
  temp_database file;
  sqlite_store store(file.path(), sqlite_durability::at_sync);
  bool checkpointed = false;
  for (int burst = 0; burst < 40; ++burst) {
    record_long_burst(store, burst);
    store.sync();
    checkpointed = store.checkpoint() || checkpointed;
  }
  CHECK(checkpointed);
  // 40 bursts wrote about 4,000 pages; the log started over after each checkpoint.
  const auto log_pages = std::filesystem::file_size(file.path() + "-wal") / 4096;
  CHECK(log_pages < 2 * sqlite_write_ahead_log::checkpoint_frames);
  CHECK(std::filesystem::file_size(file.path()) > 1000 * 4096);
  SQLite::Database reader(file.path(), SQLite::OPEN_READONLY);
  CHECK(reader.execAndGet("SELECT count(*) FROM responses").getInt() == 1000);
}

