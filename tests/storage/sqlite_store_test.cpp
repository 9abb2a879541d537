#include "storage/sqlite/sqlite_store.h"

#include "core/action.h"
#include "storage/sqlite/sqlite_write_ahead_log.h"
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
using tandem::testing::temp_database;
using namespace std::chrono_literals;

namespace {

/// 2026-11-25 10:00 UTC.
constexpr time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

/// The schema version a database file says it has, read without the store.
int user_version_of(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA user_version").getInt();
}

/// The message of the store_error `operation` throws; fails the test when it throws none.
template <typename Operation>
std::string store_error_of(Operation&& operation) {
  try {
    operation();
  } catch (const store_error& e) {
    return e.what();
  }
  FAIL("expected a store_error");
  return {};
}

inbound event_from(identity sender, std::string dedup_key, time_point at, std::string text = "hello") {
  return inbound{std::move(dedup_key),  std::move(sender), "C1", false, true,
                 inbound_kind::message, std::move(text),   at,  ""};
}

send_message message_with_key(std::string key, time_point not_before = t0) {
  send_message m;
  m.key = std::move(key);
  m.to = destination{"slack", "T1", "", "U1", "ana", "de", ""};
  m.body.kind = "nudge";
  m.body.values = {{"name", "Ana"}, {"count", 3}, {"late", true}, {"tasks", {{{"number", 1}, {"title", "Map"}}}}};
  m.not_before = not_before;
  return m;
}

person person_with(const std::string& id, std::vector<identity> identities) {
  person p;
  p.id = id;
  p.name = "Person " + id;
  p.identities = std::move(identities);
  return p;
}

std::vector<std::string> keys_of(const std::vector<outbox_row>& rows) {
  std::vector<std::string> keys;
  keys.reserve(rows.size());
  for (const outbox_row& row : rows) keys.push_back(row.item.key);
  return keys;
}

outbox_row row_with_key(sqlite_store& store, const std::string& key) {
  for (outbox_row& row : store.outbox_rows(key)) {
    if (row.item.key == key) return row;
  }
  FAIL("no outbox row " << key);
  return {};
}

/// Applies `actions` to the world and to the store alike, as the runtime does.
void apply_both(world& w, sqlite_store& store, const std::vector<action>& actions,
                std::optional<std::int64_t> handled = std::nullopt) {
  apply_to_world(w, actions);
  store.apply(actions, handled);
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

TEST_CASE("a fresh store loads an empty world") {
  sqlite_store store(":memory:");
  CHECK(store.load() == world{});
  CHECK(store.unhandled_responses().empty());
  CHECK(store.outbox_rows("").empty());
  CHECK_FALSE(store.next_outbox_attempt_after(time_point{}).has_value());
}

TEST_CASE("a repeated dedup key is recorded once, and the first event stays") {
  sqlite_store store(":memory:");
  const inbound first = event_from({"slack", "T1", "U1"}, "slack:T1:C1:1355517523.000005", t0, "first");
  inbound retry = first;
  retry.text = "the app_mention twin";
  retry.at = t0 + 1s;

  const auto id = store.record(first, true, recorded_as::unhandled);
  const auto again = store.record(retry, true, recorded_as::unhandled);

  REQUIRE(id.has_value());
  CHECK_FALSE(again.has_value());
  const auto unhandled = store.unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].id == *id);
  CHECK(unhandled[0].event == first);
  CHECK_FALSE(unhandled[0].handled);
}

TEST_CASE("the text of an event is blanked unless it may be kept") {
  sqlite_store store(":memory:");
  store.record(event_from({"console", "", "ana"}, "console:ana:1", t0, "private chatter"), false, recorded_as::unhandled);
  store.record(event_from({"console", "", "ana"}, "console:ana:2", t0, "status 1 done"), true, recorded_as::unhandled);

  const auto unhandled = store.unhandled_responses();
  REQUIRE(unhandled.size() == 2);
  CHECK(unhandled[0].event.text.empty());
  CHECK(unhandled[0].event.dedup_key == "console:ana:1");
  CHECK(unhandled[1].event.text == "status 1 done");
}

TEST_CASE("unhandled responses are returned until an apply marks them handled") {
  sqlite_store store(":memory:");
  const auto first = store.record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::unhandled);
  const auto second = store.record(event_from({"console", "", "bob"}, "console:bob:1", t0 + 1s), true, recorded_as::unhandled);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(store.unhandled_responses().size() == 2);

  store.apply({message_with_key("reply:console:ana:1:0")}, first);

  const auto unhandled = store.unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].id == *second);
  CHECK(unhandled[0].event.sender.user == "bob");

  store.apply({}, second);
  CHECK(store.unhandled_responses().empty());
}

TEST_CASE("a response recorded as handled is not returned as unhandled until it is marked unhandled") {
  sqlite_store store(":memory:");
  const auto id = store.record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::handled);
  REQUIRE(id);
  CHECK(store.unhandled_responses().empty());

  store.mark_unhandled(*id);

  const auto unhandled = store.unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].id == *id);
  CHECK_FALSE(unhandled[0].handled);
}

TEST_CASE("marking an unknown response unhandled is refused") {
  sqlite_store store(":memory:");
  CHECK_THAT(store_error_of([&] { store.mark_unhandled(42); }), Catch::Contains("no response 42"));
}

TEST_CASE("marking an unknown response handled is refused and changes nothing") {
  sqlite_store store(":memory:");
  const std::string message = store_error_of([&] {
    store.apply({message_with_key("reply:x:0"), record_audit{{t0, "", "system", "x", ""}}}, 42);
  });

  CHECK_THAT(message, Catch::Contains("42"));
  CHECK(store.outbox_rows("").empty());
  CHECK(store.load() == world{});
}

TEST_CASE("an outbox key inserted twice stays one row, and the first row's content wins") {
  sqlite_store store(":memory:");
  const send_message first = message_with_key("nudge:ana:2026-W48", t0);
  send_message second = message_with_key("nudge:ana:2026-W48", t0 + 1h);
  second.body.kind = "reminder";
  second.to.person = "bob";

  store.apply({first}, std::nullopt);
  store.apply({second}, std::nullopt);

  const auto rows = store.outbox_rows("nudge:ana:");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].item == first);
  CHECK(rows[0].state == outbox_state::pending);
  CHECK(rows[0].attempts == 0);
  CHECK(rows[0].next_attempt == t0);
  CHECK(rows[0].last_error.empty());
}

TEST_CASE("due outbox rows are pending ones whose next attempt has come, earliest first") {
  sqlite_store store(":memory:");
  store.apply({message_with_key("a", t0 + 20s), message_with_key("b", t0), message_with_key("c", t0 + 10s),
               message_with_key("d", t0)},
              std::nullopt);

  CHECK(keys_of(store.due_outbox(t0 + 10s, 10)) == std::vector<std::string>{"b", "d", "c"});
  CHECK(keys_of(store.due_outbox(t0 + 10s, 2)) == std::vector<std::string>{"b", "d"});
  CHECK(store.due_outbox(t0 - 1s, 10).empty());
  CHECK(store.next_outbox_attempt_after(t0 - 1s) == t0);
  CHECK(store.next_outbox_attempt_after(t0) == t0 + 10s);
  CHECK(store.next_outbox_attempt_after(t0 + 10s) == t0 + 20s);
  CHECK_FALSE(store.next_outbox_attempt_after(t0 + 20s).has_value());
}

TEST_CASE("retry_later counts the attempt, keeps the reason and postpones the row") {
  sqlite_store store(":memory:");
  store.apply({message_with_key("b", t0), message_with_key("c", t0 + 10s)}, std::nullopt);
  const std::int64_t b = row_with_key(store, "b").id;

  store.retry_later(b, t0 + 30s, "HTTP 503");
  store.retry_later(b, t0 + 60s, "HTTP 429");

  const outbox_row row = row_with_key(store, "b");
  CHECK(row.state == outbox_state::pending);
  CHECK(row.attempts == 2);
  CHECK(row.last_error == "HTTP 429");
  CHECK(row.next_attempt == t0 + 60s);
  CHECK(row.item.not_before == t0);
  CHECK(keys_of(store.due_outbox(t0 + 30s, 10)) == std::vector<std::string>{"c"});
  CHECK(keys_of(store.due_outbox(t0 + 60s, 10)) == std::vector<std::string>{"c", "b"});
  CHECK(store.next_outbox_attempt_after(t0) == t0 + 10s);
}

TEST_CASE("postpone moves a row's next attempt without counting an attempt") {
  sqlite_store store(":memory:");
  store.apply({message_with_key("notify:1:dee", t0)}, std::nullopt);
  const std::int64_t id = row_with_key(store, "notify:1:dee").id;

  store.postpone(id, t0 + 9h);

  const outbox_row row = row_with_key(store, "notify:1:dee");
  CHECK(row.state == outbox_state::pending);
  CHECK(row.attempts == 0);
  CHECK(row.next_attempt == t0 + 9h);
  CHECK(store.due_outbox(t0 + 8h, 10).empty());
  CHECK(keys_of(store.due_outbox(t0 + 9h, 10)) == std::vector<std::string>{"notify:1:dee"});
  CHECK_THROWS_AS(store.postpone(id + 100, t0), store_error);
}

TEST_CASE("a withdrawn row keeps its reason and is never due again") {
  sqlite_store store(":memory:");
  store.apply({message_with_key("remind:1:before:dee", t0), message_with_key("sent", t0)}, std::nullopt);
  const std::int64_t id = row_with_key(store, "remind:1:before:dee").id;

  store.withdraw(id, "task #1 is done", t0 + 1h);

  const outbox_row row = row_with_key(store, "remind:1:before:dee");
  CHECK(row.state == outbox_state::withdrawn);
  CHECK(row.attempts == 0);
  CHECK(row.last_error == "task #1 is done");
  CHECK(keys_of(store.due_outbox(t0 + 2h, 10)) == std::vector<std::string>{"sent"});
  // Only a pending row can be withdrawn: one already sent stays sent.
  const std::int64_t sent = row_with_key(store, "sent").id;
  store.mark_sent(sent, t0 + 1s);
  CHECK_THROWS_AS(store.withdraw(sent, "too late", t0 + 2h), store_error);
  CHECK(row_with_key(store, "sent").state == outbox_state::sent);
  CHECK(to_string(outbox_state::withdrawn) == "withdrawn");
}

TEST_CASE("what a message is about is kept with its outbox row") {
  sqlite_store store(":memory:");
  send_message about_a_round = message_with_key("approval:3:ask:bob", t0);
  about_a_round.about = message_subject{"river", about_approval{3, "city", true}};
  send_message about_a_task = message_with_key("remind:4:due:dee", t0);
  about_a_task.about = message_subject{"river", about_task{4, "dee", std::chrono::sys_days{std::chrono::year{2026} / 12 / 4}}};
  store.apply({about_a_round, about_a_task}, std::nullopt);
  CHECK(row_with_key(store, "approval:3:ask:bob").item == about_a_round);
  CHECK(row_with_key(store, "remind:4:due:dee").item == about_a_task);
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

TEST_CASE("mark_sent and mark_failed take a row out of the due outbox for good") {
  sqlite_store store(":memory:");
  store.apply({message_with_key("sent", t0), message_with_key("failed", t0), message_with_key("waiting", t0 + 5s)},
              std::nullopt);

  store.mark_sent(row_with_key(store, "sent").id, t0 + 1s);
  store.mark_failed(row_with_key(store, "failed").id, "channel_not_found", t0 + 1s);

  CHECK(keys_of(store.due_outbox(t0 + 1h, 10)) == std::vector<std::string>{"waiting"});
  const outbox_row sent = row_with_key(store, "sent");
  CHECK(sent.state == outbox_state::sent);
  CHECK(sent.attempts == 1);
  const outbox_row failed = row_with_key(store, "failed");
  CHECK(failed.state == outbox_state::failed);
  CHECK(failed.attempts == 1);
  CHECK(failed.last_error == "channel_not_found");
  CHECK(store.next_outbox_attempt_after(t0) == t0 + 5s);

  store.mark_sent(row_with_key(store, "waiting").id, t0 + 5s);
  CHECK_FALSE(store.next_outbox_attempt_after(t0).has_value());
}

TEST_CASE("marking an unknown outbox row is a store error") {
  sqlite_store store(":memory:");
  CHECK_THROWS_AS(store.mark_sent(7, t0), store_error);
  CHECK_THROWS_AS(store.mark_failed(7, "gone", t0), store_error);
  CHECK_THROWS_AS(store.retry_later(7, t0, "later"), store_error);
}

TEST_CASE("an outbox key prefix is matched literally and case-sensitively") {
  sqlite_store store(":memory:");
  store.apply({message_with_key("nudge_ana:1"), message_with_key("nudgeXana:2"), message_with_key("NUDGE_ana:3"),
               message_with_key("nudge_ana:4"), message_with_key("%done"), message_with_key("half done")},
              std::nullopt);

  CHECK(keys_of(store.outbox_rows("nudge_")) == std::vector<std::string>{"nudge_ana:1", "nudge_ana:4"});
  CHECK(keys_of(store.outbox_rows("%")) == std::vector<std::string>{"%done"});
  CHECK(store.outbox_rows("nudge_ana:1x").empty());
  CHECK(store.outbox_rows("").size() == 6);
}

TEST_CASE("settings round-trip and a second put replaces the value") {
  sqlite_store store(":memory:");
  CHECK_FALSE(store.setting("matrix.since").has_value());

  store.put_setting("matrix.since", "s72594_4483_1934");
  CHECK(store.setting("matrix.since") == "s72594_4483_1934");

  store.put_setting("matrix.since", "s72595_4483_1935");
  CHECK(store.setting("matrix.since") == "s72595_4483_1935");
  CHECK_FALSE(store.setting("matrix").has_value());
}

TEST_CASE("a varied world survives a round trip through apply and load") {
  sqlite_store store(":memory:");
  world w;

  collaboration river{"river", "River Alliance", true, {room{"slack", "T1", "C1"}, room{"console", "", "river-room"}}};
  person ana = person_with("ana", {identity{"console", "", "ana"}, identity{"slack", "T1", "U1"}});
  ana.time_zone = "Europe/Berlin";
  ana.language = "de";
  ana.quiet = quiet_hours{22 * 60, 7 * 60};
  ana.paused_until = t0 + std::chrono::days{7};
  const person bob = person_with("bob", {identity{"slack", "T1", "U2"}});

  task mapped{1,
              "river",
              "Map the wetlands",
              "ana",
              "",
              std::chrono::sys_days{std::chrono::year{2026} / 11 / 27},
              task_status::in_progress,
              "started with the north bank",
              "ana",
              t0,
              t0 + 1h};
  task open_for_city{2, "river", "Count the herons", "", "city", std::nullopt, task_status::open, "", "ana", t0, t0};

  // Responses first, as the runtime records before it handles.
  const auto ana_by_console = store.record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::unhandled);
  const auto ana_by_slack = store.record(event_from({"slack", "T1", "U1"}, "slack:T1:C1:1.1", t0 + 2h), false, recorded_as::unhandled);
  store.record(event_from({"slack", "T1", "U9"}, "slack:T1:C1:1.2", t0 + 3h), false, recorded_as::unhandled);  // a stranger
  REQUIRE(ana_by_console);
  REQUIRE(ana_by_slack);

  apply_both(
      w, store,
      {save_collaboration{river}, save_collaboration{collaboration{"lake", "Lake Council", false, {}}},
       save_organization{organization{"river", "backbone", "Backbone Trust"}},
       save_organization{organization{"river", "city", "City of Millbrook"}},
       save_tier_policy{tier::core, tier_policy{"weekly mon 09:00", std::chrono::days{14}, std::chrono::days{3}}},
       save_tier_policy{tier::informed, tier_policy{"monthly 1 09:00", std::chrono::days{60}, 0s}}, save_person{ana},
       save_person{bob},
       save_membership{
           membership{"river", "ana", "backbone", {role::facilitator, role::representative}, tier::core, true}},
       save_membership{membership{"river", "bob", "city", {role::participant}, tier::informed, false}},
       save_membership{membership{"lake", "ana", "", {role::facilitator}, tier::active, true}}, save_task{mapped},
       save_task{open_for_city},
       record_task_update{1, task_status::in_progress, "started with the north bank", "ana", t0 + 1h},
       record_audit{audit_entry{t0, "river", "config", "org.add", "backbone \"Backbone Trust\""}},
       record_audit{audit_entry{t0 + 1h, "river", "ana", "task.assign", "1 @ana"}}, note_activity{"ana", t0, ""},
       message_with_key("reply:console:ana:1:0"),
       save_engagement{engagement{"river", "ana", t0 + 24h, t0 - 1h, std::nullopt, t0}},
       save_silence{silence{"river", silence_subject::person, "bob", 2, t0, t0 - 240h, std::nullopt, t0, std::nullopt,
                            std::nullopt}},
       record_tick{t0}},
      ana_by_console);
  // The calendar, outcome records and secrets; ana's nudge is answered by her next response (t0 + 2h).
  apply_both(w, store,
             {record_nudge{"river", "ana", t0 - 1h}, record_nudge{"river", "bob", t0 - 1h},
              save_event{calendar_event{7, "river", "backbone", std::chrono::floor<std::chrono::days>(t0) + std::chrono::days{3},
                                        "Spring newsletter, \"final\"", {"newsletter", "spring"}, "public", "ana", t0, std::nullopt}},
              save_pulse{pulse_answer{"river", "backbone", "ana", month_of(t0), 4, "the joint grant helped", t0}},
              save_round{"river", "events", "2026-W48"}, save_round{"river", "pulse", "2026-11"},
              save_secret{"river", "calendar", "feed-token"}, save_secret{"river", "export", "export-token"}},
             std::nullopt);

  mapped.status = task_status::done;
  mapped.reminded_before = true;
  mapped.escalated = true;
  mapped.due = std::nullopt;
  mapped.updated_at = t0 + 2h;
  apply_both(w, store,
             {save_task{mapped}, record_task_update{1, task_status::done, "", "ana", t0 + 2h},
              record_audit{audit_entry{t0 + 2h, "river", "ana", "task.done", "1"}}, note_activity{"ana", t0 + 2h, "river", true},
              note_activity{"", t0 + 3h, "river"},
              save_silence{silence{"river", silence_subject::person, "bob", 2, t0, t0 - 240h, t0 + 2h, t0, t0 + 1h,
                                   std::nullopt}},
              record_tick{t0 + 2h}},
             ana_by_slack);

  const world loaded = store.load();
  CHECK(loaded.collaborations == w.collaborations);
  CHECK(loaded.organizations == w.organizations);
  CHECK(loaded.people == w.people);
  CHECK(loaded.memberships == w.memberships);
  CHECK(loaded.tiers == w.tiers);
  CHECK(loaded.tasks == w.tasks);
  CHECK(loaded.audit == w.audit);
  CHECK(loaded.last_response == w.last_response);
  CHECK(loaded.last_response.at("ana") == t0 + 2h);
  CHECK(loaded.recent_responses == w.recent_responses);
  CHECK(loaded.recent_answers == w.recent_answers);
  CHECK(loaded.engagements == w.engagements);
  CHECK(loaded.silences == w.silences);
  CHECK(loaded.events == w.events);
  CHECK(loaded.nudges == w.nudges);
  CHECK(loaded.nudges.at({"river", "ana"}).front().answered == t0 + 2h);
  CHECK_FALSE(loaded.nudges.at({"river", "bob"}).front().answered);
  CHECK(loaded.pulses == w.pulses);
  CHECK(loaded.monthly_responses == w.monthly_responses);
  CHECK(loaded.monthly_responses.at("ana").at("2026-11") == 2);
  CHECK(loaded.rounds == w.rounds);
  CHECK(loaded.secrets == w.secrets);
  CHECK(loaded.first_tick == t0);
  CHECK(loaded.last_tick == t0 + 2h);
  CHECK(loaded == w);
  CHECK(store.unhandled_responses().size() == 1);  // the stranger's message
}

TEST_CASE("saving a person again replaces their identities, in the new order") {
  sqlite_store store(":memory:");
  world w;
  apply_both(w, store,
             {save_person{person_with("ana", {identity{"console", "", "ana"}, identity{"slack", "T1", "U1"}})}});

  apply_both(w, store,
             {save_person{person_with(
                  "ana", {identity{"matrix", "example.org", "@ana:example.org"}, identity{"console", "", "ana"}})},
              save_person{person_with("bob", {identity{"slack", "T1", "U1"}})}});

  const world loaded = store.load();
  CHECK(loaded.people.at("ana").identities ==
        std::vector<identity>{{"matrix", "example.org", "@ana:example.org"}, {"console", "", "ana"}});
  CHECK(loaded.people.at("bob").identities == std::vector<identity>{{"slack", "T1", "U1"}});
  CHECK(loaded == w);
}

TEST_CASE("apply is atomic: an identity claimed by two people leaves nothing of the list behind") {
  sqlite_store store(":memory:");
  world w;
  apply_both(w, store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}});
  const auto response = store.record(event_from({"console", "", "ana"}, "console:ana:1", t0), true, recorded_as::unhandled);
  REQUIRE(response);
  note_response(w, "ana", t0);  // the recorded response is Ana's activity

  const std::vector<action> conflicting{
      save_organization{organization{"river", "city", "City of Millbrook"}},
      save_person{person_with("cy", {identity{"console", "", "cy"}})},
      save_task{task{1, "river", "Map", "cy", "", std::nullopt, task_status::open, "", "ana", t0, t0}},
      record_audit{audit_entry{t0, "river", "ana", "member.add", "cy"}},
      message_with_key("reply:console:ana:1:0"),
      save_person{person_with("dee", {identity{"console", "", "cy"}})},
  };
  const std::string message = store_error_of([&] { store.apply(conflicting, response); });

  CHECK_THAT(message, Catch::Contains("console//cy"));
  CHECK(store.load() == w);
  CHECK(store.outbox_rows("").empty());
  REQUIRE(store.unhandled_responses().size() == 1);
  CHECK(store.unhandled_responses()[0].id == *response);

  SECTION("an identity that already belongs to someone is refused in a later apply too") {
    CHECK_THROWS_AS(store.apply({save_person{person_with("eve", {identity{"console", "", "ana"}})}}, std::nullopt),
                    store_error);
    CHECK(store.load() == w);
  }
}

TEST_CASE("state that refers to an unknown person or task is refused at commit") {
  sqlite_store store(":memory:");
  world w;
  apply_both(w, store, {save_collaboration{collaboration{"river", "River Alliance", false, {}}}});

  CHECK_THROWS_AS(
      store.apply({save_membership{membership{"river", "nobody", "", {role::participant}, tier::active, true}}},
                  std::nullopt),
      store_error);
  CHECK_THROWS_AS(store.apply({record_task_update{99, task_status::done, "", "ana", t0}}, std::nullopt), store_error);
  CHECK(store.load() == w);
}

TEST_CASE("a person can be saved before the collaboration and membership that name them, in one apply") {
  sqlite_store store(":memory:");
  world w;
  apply_both(w, store,
             {save_membership{membership{"river", "ana", "", {role::facilitator}, tier::core, true}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})},
              save_collaboration{collaboration{"river", "River Alliance", false, {}}}});
  CHECK(store.load() == w);
}

TEST_CASE("data survives closing and reopening a file database") {
  temp_database file;
  world w;
  std::optional<std::int64_t> unhandled;
  {
    sqlite_store store(file.path());
    apply_both(w, store,
               {save_collaboration{collaboration{"river", "River Alliance", false, {room{"console", "", "r"}}}},
                save_person{person_with("ana", {identity{"console", "", "ana"}})},
                save_membership{membership{"river", "ana", "", {role::facilitator}, tier::core, true}},
                save_task{task{1, "river", "Map", "ana", "", std::chrono::sys_days{std::chrono::year{2026} / 11 / 26},
                               task_status::open, "", "ana", t0, t0}},
                record_audit{audit_entry{t0, "river", "config", "seed", ""}}, message_with_key("nudge:ana:1", t0),
                record_tick{t0}});
    unhandled = store.record(event_from({"console", "", "ana"}, "console:ana:1", t0 + 1h), true, recorded_as::unhandled);
    store.put_setting("slack.cursor", "abc");
  }

  sqlite_store reopened(file.path());
  world expected = w;
  note_response(expected, "ana", t0 + 1h);
  CHECK(reopened.load() == expected);
  CHECK(keys_of(reopened.due_outbox(t0, 10)) == std::vector<std::string>{"nudge:ana:1"});
  REQUIRE(reopened.unhandled_responses().size() == 1);
  CHECK(reopened.unhandled_responses()[0].id == unhandled);
  CHECK(reopened.setting("slack.cursor") == "abc");
  CHECK_FALSE(reopened.record(event_from({"console", "", "ana"}, "console:ana:1", t0 + 1h), true, recorded_as::unhandled).has_value());
}

TEST_CASE("outbox states have stable names") {
  CHECK(to_string(outbox_state::pending) == "pending");
  CHECK(to_string(outbox_state::sent) == "sent");
  CHECK(to_string(outbox_state::failed) == "failed");
}

TEST_CASE("an event's reply handle is kept with the event and with the replies to it") {
  sqlite_store store(":memory:");
  inbound slash = event_from({"slack", "T1", "U1"}, "slack:T1:trigger:1", t0, "/tandem tasks");
  slash.reply_handle = "https://hooks.slack.com/commands/T1/1/abc";
  store.record(slash, true, recorded_as::unhandled);
  CHECK(store.unhandled_responses().at(0).event.reply_handle == slash.reply_handle);

  send_message reply = message_with_key("reply:slack:T1:trigger:1:0");
  reply.to.reply_handle = slash.reply_handle;
  store.apply({reply}, std::nullopt);
  CHECK(row_with_key(store, reply.key).item == reply);
}

TEST_CASE("a burst recorded in one transaction keeps a duplicate once, and a failed apply undoes only itself") {
  temp_database file;
  {
    sqlite_store store(file.path());
    store.in_one_transaction([&] {
      const auto first = store.record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled);
      CHECK_FALSE(store.record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled));
      const auto second = store.record(event_from({"slack", "T1", "U2"}, "slack:Ev2", t0 + 1s), true, recorded_as::unhandled);
      REQUIRE(first);
      REQUIRE(second);
      store.apply({message_with_key("reply:slack:Ev1:0")}, first);
      CHECK_THAT(store_error_of([&] { store.apply({message_with_key("reply:slack:Ev2:0")}, 4242); }),
                 Catch::Contains("4242"));
    });
  }
  sqlite_store reopened(file.path());
  CHECK(keys_of(reopened.outbox_rows("")) == std::vector<std::string>{"reply:slack:Ev1:0"});
  const auto unhandled = reopened.unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].event.dedup_key == "slack:Ev2");
}

TEST_CASE("a burst whose work fails keeps nothing of it") {
  sqlite_store store(":memory:");
  CHECK_THROWS_AS(store.in_one_transaction([&] {
    store.record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled);
    store.apply({message_with_key("reply:slack:Ev1:0")}, std::nullopt);
    throw store_error("the disk is full");
  }),
                  store_error);
  CHECK(store.unhandled_responses().empty());
  CHECK(store.outbox_rows("").empty());
  // The store is usable afterwards: the transaction was rolled back, not left open.
  CHECK(store.record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled));
}

TEST_CASE("where a person's time zone came from survives a round trip, and a learned zone replaces only the default") {
  sqlite_store store(":memory:");
  world w;
  person given = person_with("ana", {identity{"slack", "T1", "U1"}});
  given.time_zone = "Europe/Berlin";
  given.time_zone_origin = zone_origin::given;
  const person defaulted = person_with("bob", {identity{"slack", "T1", "U2"}});
  apply_both(w, store, {save_person{given}, save_person{defaulted}});
  CHECK(store.load().people.at("bob").time_zone_origin == zone_origin::defaulted);

  apply_both(w, store, {learn_time_zone{"ana", "Asia/Tokyo"}, learn_time_zone{"bob", "America/Chicago"}});
  const world loaded = store.load();
  CHECK(loaded.people.at("ana").time_zone == "Europe/Berlin");
  CHECK(loaded.people.at("ana").time_zone_origin == zone_origin::given);
  CHECK(loaded.people.at("bob").time_zone == "America/Chicago");
  CHECK(loaded.people.at("bob").time_zone_origin == zone_origin::learned);
  CHECK(loaded == w);

  apply_both(w, store, {learn_time_zone{"bob", "Asia/Tokyo"}});  // learned once: not again
  CHECK(store.load().people.at("bob").time_zone == "America/Chicago");
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

TEST_CASE("a cancelled task and a task's due date survive a round trip") {
  sqlite_store store(":memory:");
  world w;
  task cancelled{1, "river", "Map", "ana", "", std::chrono::sys_days{std::chrono::year{2030} / 3 / 5},
                 task_status::cancelled, "no longer needed", "ana", t0, t0 + 1h};
  apply_both(w, store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}, save_task{cancelled}});
  const world loaded = store.load();
  CHECK(loaded.tasks.at(1).status == task_status::cancelled);
  CHECK(loaded.tasks.at(1).due == std::chrono::sys_days{std::chrono::year{2030} / 3 / 5});
  CHECK(loaded == w);
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

TEST_CASE("a read-only command is stored as presence: it is the last response but no counted response") {
  sqlite_store store(":memory:");
  world w;
  apply_both(w, store, {save_person{person_with("ana", {identity{"slack", "T1", "U1"}})}});
  const auto answered = store.record(event_from({"slack", "T1", "U1"}, "slack:Ev1", t0), true, recorded_as::unhandled);
  apply_both(w, store, {note_activity{"ana", t0, "", false, false}}, answered);
  const auto looked = store.record(event_from({"slack", "T1", "U1"}, "slack:Ev2", t0 + 1h), true, recorded_as::unhandled);
  apply_both(w, store, {note_activity{"ana", t0 + 1h, "", false, true, "slack:Ev2"}}, looked);
  const world loaded = store.load();
  CHECK(loaded.last_response.at("ana") == t0 + 1h);
  CHECK(loaded.recent_responses.at("ana").size() == 2);
  CHECK(loaded.recent_answers.at("ana") == std::deque<time_point>{t0});
  CHECK(loaded.monthly_responses.at("ana").at(month_of(t0)) == 1);
  CHECK(loaded.recent_answers == w.recent_answers);
  CHECK(loaded.monthly_responses == w.monthly_responses);
}

TEST_CASE("a removed calendar event stays in the store, marked, so that its number is never reused") {
  sqlite_store store(":memory:");
  world w;
  apply_both(w, store, {save_collaboration{collaboration{"river", "River", false, {}}}});
  calendar_event e{7, "river", "", std::chrono::floor<std::chrono::days>(t0), "Fair", {}, "", "ana", t0, std::nullopt};
  apply_both(w, store, {save_event{e}});
  e.removed_at = t0 + 1h;
  apply_both(w, store, {save_event{e}});
  CHECK(store.load().events.at(7).removed_at == t0 + 1h);
  CHECK(store.load().events == w.events);
}

TEST_CASE("dashboard links and sessions survive a round trip by their hashes; used and ended ones are not loaded") {
  sqlite_store store(":memory:");
  world w;
  const sign_in_grant open_link{"hash-a", "ana", "river", t0, t0 + 15min, std::nullopt};
  const sign_in_grant used_link{"hash-b", "ana", "river", t0, t0 + 15min, t0 + 1min};
  const dashboard_session open_session{"session-a", "ana", "river", t0, t0 + 2h, std::nullopt};
  const dashboard_session ended_session{"session-b", "ana", "river", t0, t0, t0 + 1h};
  apply_both(w, store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}, save_sign_in{open_link},
              save_sign_in{used_link}, save_session{open_session}, save_session{ended_session},
              record_audit{audit_entry{t0, "river", "ana", "task.assign", "#1", "dashboard"}}});
  const world loaded = store.load();
  CHECK(loaded.sign_ins == std::map<std::string, sign_in_grant>{{"hash-a", open_link}});
  CHECK(loaded.sessions == std::map<std::string, dashboard_session>{{"session-a", open_session}});
  REQUIRE(loaded.audit.size() == 1);
  CHECK(loaded.audit[0].via == "dashboard");

  dashboard_session seen = open_session;
  seen.last_seen = t0 + 3h;
  store.apply({save_session{seen}}, std::nullopt);
  CHECK(store.load().sessions.at("session-a").last_seen == t0 + 3h);
}

TEST_CASE("a task's history is read back in the order it was written") {
  sqlite_store store(":memory:");
  world w;
  task t{1, "river", "Map", "ana", "", std::nullopt, task_status::open, "", "ana", t0, t0};
  apply_both(w, store,
             {save_collaboration{collaboration{"river", "River Alliance", false, {}}},
              save_person{person_with("ana", {identity{"console", "", "ana"}})}, save_task{t},
              record_task_update{1, task_status::open, "", "ana", t0},
              record_task_update{1, task_status::blocked, "no boots", "ana", t0 + 1h},
              record_task_update{1, task_status::done, "found some", "ana", t0 + 2h}});
  const auto history = store.task_history(1);
  REQUIRE(history.size() == 3);
  CHECK(history[1] == record_task_update{1, task_status::blocked, "no boots", "ana", t0 + 1h});
  CHECK(history[2].status == task_status::done);
  CHECK(store.task_history(2).empty());
}

TEST_CASE("a sign-in link that reached the store without its token made is refused, not stored") {
  sqlite_store store(":memory:");
  CHECK_THROWS_AS(store.apply({issue_sign_in{}}, std::nullopt), store_error);
}

TEST_CASE("a token rotation that reached the store without its token made is refused, not stored") {
  sqlite_store store(":memory:");
  CHECK_THROWS_AS(store.apply({rotate_secret{"river", "calendar", {}}}, std::nullopt), store_error);
}
