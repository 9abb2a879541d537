#include "app/engine_host.h"

#include "storage/sqlite/sqlite_store.h"
#include "support/river_seed.h"

#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <date/date.h>

#include <filesystem>
#include <random>
#include <tuple>

using namespace tandem;
using tandem::testing::river_seed;
using namespace std::chrono_literals;

namespace {

const time_point start = date::sys_days{date::year{2026} / 11 / 25} + 10h;


inbound command_from(const std::string& who, const std::string& key, const std::string& text) {
  return inbound{key, identity{"console", "", who}, "dm", true, true, inbound_kind::command, text, start, ""};
}

struct temp_file {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("tandem-host-" + std::to_string(std::random_device{}()) + ".db");
  ~temp_file() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
};

/// A host started on the seed, its store in a file, and another connection to that file.
struct host_on_file {
  temp_file file;
  metrics_registry metrics;
  sqlite_store store{file.path.string()};
  engine_host host{store, metrics, {"en"}};
  SQLite::Database other{file.path.string(), SQLite::OPEN_READWRITE};

  host_on_file() { host.start(river_seed(), start); }
  std::tuple<engine_host&, sqlite_store&, SQLite::Database&> parts() { return {host, store, other}; }
};

/// The seed with `tz: <zone>` written for `who`.
world with_zone_given(world w, const std::string& who, const std::string& zone) {
  w.people.at(who).time_zone = zone;
  w.people.at(who).time_zone_origin = zone_origin::given;
  return w;
}

}  // namespace

TEST_CASE("the config seeds an empty store once, and a second start adds nothing") {
  temp_file file;
  metrics_registry metrics;
  {
    sqlite_store store(file.path.string());
    engine_host host(store, metrics, {"en"});
    CHECK(host.start(with_zone_given(river_seed(), "ana", "UTC"), start).empty());
    CHECK(host.current().people.size() == 2);
  }
  sqlite_store store(file.path.string());
  engine_host host(store, metrics, {"en"});
  const auto conflicts = host.start(with_zone_given(river_seed(), "ana", "Europe/Paris"), start);
  REQUIRE(conflicts.size() == 1);
  CHECK_THAT(conflicts[0], Catch::Contains("ana"));
  CHECK(host.current().people.at("ana").time_zone == "UTC");
}

TEST_CASE("a repeated event is recorded and handled once") {
  sqlite_store store(":memory:");
  metrics_registry metrics;
  engine_host host(store, metrics, {"en"});
  host.start(river_seed(), start);
  const inbound event = command_from("ana", "console:s:1", "assign @dee \"Print flyers\"");
  CHECK(host.submit(event, start));
  CHECK_FALSE(host.submit(event, start));
  CHECK(host.current().tasks.size() == 1);
  CHECK(store.outbox_rows("reply:console:s:1").size() == 1);
}

TEST_CASE("an event recorded before a crash is handled at the next start") {
  temp_file file;
  metrics_registry metrics;
  const inbound event = command_from("ana", "console:s:1", "assign @dee \"Print flyers\"");
  {
    sqlite_store store(file.path.string());
    engine_host host(store, metrics, {"en"});
    host.start(river_seed(), start);
    REQUIRE(host.record(event));  // acknowledged, then the process dies before handling it
  }
  sqlite_store store(file.path.string());
  engine_host host(store, metrics, {"en"});
  host.start(river_seed(), start + 1min);
  CHECK(host.current().tasks.size() == 1);
  CHECK(store.unhandled_responses().empty());
  CHECK(store.outbox_rows("reply:console:s:1").size() == 1);
  CHECK_FALSE(host.submit(event, start + 2min));
  CHECK(host.current().tasks.size() == 1);
}

TEST_CASE("activity survives a restart") {
  temp_file file;
  metrics_registry metrics;
  {
    sqlite_store store(file.path.string());
    engine_host host(store, metrics, {"en"});
    host.start(river_seed(), start);
    host.submit(command_from("dee", "console:s:2", "tasks"), start);
  }
  sqlite_store store(file.path.string());
  engine_host host(store, metrics, {"en"});
  host.start(river_seed(), start + 1h);
  CHECK(host.current().last_response.at("dee") == start);
}

TEST_CASE("a burst is recorded and handled in one transaction: each command decided in order, a duplicate once") {
  sqlite_store store(":memory:");
  metrics_registry metrics;
  engine_host host(store, metrics, {"en"});
  host.start(river_seed(), start);
  const inbound assign = command_from("ana", "console:s:1", "assign @dee \"Print flyers\"");
  const inbound done = command_from("dee", "console:s:2", "done 1");
  CHECK(host.submit_all({assign, assign, done}, start));
  REQUIRE(host.current().tasks.size() == 1);
  CHECK(host.current().tasks.at(1).status == task_status::done);
  CHECK(store.unhandled_responses().empty());
  CHECK(store.outbox_rows("reply:console:s:1").size() == 1);
  CHECK(store.outbox_rows("reply:console:s:2").size() == 1);
}

TEST_CASE("a burst the store cannot take is refused whole, and the world stays as the store has it") {
  host_on_file f;
  auto [host, store, other] = f.parts();
  // Another connection holds the write lock past the store's busy timeout.
  other.exec("BEGIN IMMEDIATE");
  CHECK_FALSE(host.submit_all({command_from("ana", "console:s:1", "assign @dee \"Print flyers\"")}, start));
  other.exec("ROLLBACK");
  CHECK(host.current().tasks.empty());
  CHECK(store.unhandled_responses().empty());
  CHECK(host.submit_all({command_from("ana", "console:s:1", "assign @dee \"Print flyers\"")}, start));
  CHECK(host.current().tasks.size() == 1);
}

TEST_CASE("an event whose handling fails in a burst stays recorded and unhandled, and is handled on a later try") {
  host_on_file f;
  auto [host, store, other] = f.parts();
  other.exec("CREATE TRIGGER refuse_poison BEFORE INSERT ON tasks WHEN NEW.title = 'Poison'"
             " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");

  CHECK(host.submit_all({command_from("ana", "console:s:1", "assign @dee \"Poison\""),
                         command_from("ana", "console:s:2", "assign @dee \"Print flyers\"")},
                        start));
  REQUIRE(host.current().tasks.size() == 1);
  CHECK(host.current().tasks.begin()->second.title == "Print flyers");
  const auto unhandled = store.unhandled_responses();
  REQUIRE(unhandled.size() == 1);
  CHECK(unhandled[0].event.dedup_key == "console:s:1");

  other.exec("DROP TRIGGER refuse_poison");
  host.handle_unhandled(start + 1s);
  CHECK(host.current().tasks.size() == 2);
  CHECK(store.unhandled_responses().empty());
}

TEST_CASE(
    "a follower's burst is recorded unhandled with its wake-up, and the leader handles it; a failing event waits "
    "alone") {
  host_on_file f;
  auto [host, store, other] = f.parts();
  const std::vector<inbound> burst{command_from("ana", "console:f:1", "assign @dee \"Poison\""),
                                   command_from("ana", "console:f:2", "assign @dee \"Print flyers\"")};

  // The wake-up fails: the burst is not kept either (the platforms retry).
  CHECK_FALSE(host.record_all(burst, [] { throw store_error("the wake-up was refused"); }));
  CHECK(other.execAndGet("SELECT COUNT(*) FROM responses").getInt() == 0);

  int woken = 0;
  CHECK(host.record_all(burst, [&woken] { ++woken; }));
  CHECK(woken == 1);
  CHECK(store.unhandled_responses().size() == 2);
  CHECK(host.current().tasks.empty());  // a follower decides nothing

  other.exec(
      "CREATE TRIGGER refuse_poison BEFORE INSERT ON tasks WHEN NEW.title = 'Poison'"
      " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  CHECK(host.handle_unhandled(start + 1s) == 2);  // the leader, in one transaction
  REQUIRE(host.current().tasks.size() == 1);
  CHECK(host.current().tasks.begin()->second.title == "Print flyers");
  REQUIRE(store.unhandled_responses().size() == 1);
  CHECK(store.unhandled_responses()[0].event.dedup_key == "console:f:1");

  other.exec("DROP TRIGGER refuse_poison");
  CHECK(host.handle_unhandled(start + 2s) == 1);
  CHECK(host.current().tasks.size() == 2);
  CHECK(store.unhandled_responses().empty());
  CHECK(host.handle_unhandled(start + 3s) == 0);
}

TEST_CASE("a burst with an event that can be neither handled nor marked unhandled is refused whole") {
  host_on_file f;
  auto [host, store, other] = f.parts();
  other.exec("CREATE TRIGGER refuse_poison BEFORE INSERT ON tasks WHEN NEW.title = 'Poison'"
             " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  other.exec("CREATE TRIGGER refuse_unhandling BEFORE UPDATE OF handled ON responses WHEN NEW.handled = 0"
             " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
  const std::vector<inbound> burst{command_from("ana", "console:s:1", "assign @dee \"Print flyers\""),
                                   command_from("ana", "console:s:2", "assign @dee \"Poison\"")};

  CHECK_FALSE(host.submit_all(burst, start));  // the platforms retry
  CHECK(host.current().tasks.empty());
  CHECK(other.execAndGet("SELECT COUNT(*) FROM responses").getInt() == 0);

  other.exec("DROP TRIGGER refuse_poison");
  other.exec("DROP TRIGGER refuse_unhandling");
  CHECK(host.submit_all(burst, start));  // the retry
  CHECK(host.current().tasks.size() == 2);
  CHECK(store.unhandled_responses().empty());
}

TEST_CASE("the host names the due time of each message it puts in the outbox, and nothing else") {
  sqlite_store store(":memory:");
  metrics_registry metrics;
  engine_host host(store, metrics, {"en"});
  (void)host.start(river_seed(), start);
  std::vector<time_point> queued;
  host.on_queued([&](time_point due) { queued.push_back(due); });

  CHECK(host.submit(command_from("ana", "console:1", "tasks"), start));
  CHECK(queued == std::vector<time_point>{start});
  CHECK_FALSE(host.submit(command_from("ana", "console:1", "tasks"), start));
  CHECK(queued.size() == 1);
}

TEST_CASE("a learned time zone is stored, survives a restart, and a later tz in the config replaces it") {
  temp_file file;
  metrics_registry metrics;
  const identity dee{"console", "", "dee"};
  {
    sqlite_store store(file.path.string());
    engine_host host(store, metrics, {"en"});
    host.start(river_seed(), start);
    CHECK(host.learn_time_zone(dee, "Mars/Olympus", start).outcome == learned_zone_outcome::unknown_zone);
    CHECK(host.learn_time_zone(dee, "Asia/Tokyo", start).outcome == learned_zone_outcome::kept);
  }
  {
    sqlite_store store(file.path.string());
    engine_host host(store, metrics, {"en"});
    CHECK(host.start(river_seed(), start + 1h).empty());  // the config gives no zone: no conflict, the learned one stays
    CHECK(host.current().people.at("dee").time_zone == "Asia/Tokyo");
    CHECK(host.current().people.at("dee").time_zone_origin == zone_origin::learned);
    CHECK(host.learn_time_zone(dee, "America/Chicago", start + 1h).outcome == learned_zone_outcome::not_wanted);
  }
  sqlite_store store(file.path.string());
  engine_host host(store, metrics, {"en"});
  CHECK(host.start(with_zone_given(river_seed(), "dee", "Europe/Lisbon"), start + 2h).empty());
  CHECK(host.current().people.at("dee").time_zone == "Europe/Lisbon");
  CHECK(host.current().people.at("dee").time_zone_origin == zone_origin::given);
  CHECK(store.load().people.at("dee").time_zone == "Europe/Lisbon");
  CHECK(std::ranges::count_if(host.current().audit, [](const audit_entry& e) {
          return e.action == "config.change" && e.detail == R"(person dee: time zone "Asia/Tokyo" (learned) -> "Europe/Lisbon" (config))";
        }) == 1);
}
