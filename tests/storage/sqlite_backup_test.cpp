#include "storage/sqlite/sqlite_backup.h"

#include "core/action.h"
#include "storage/sqlite/sqlite_store.h"
#include "storage/temp_database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace tandem;
using tandem::testing::temp_database;
using namespace std::chrono_literals;

namespace {

/// 2026-11-25 10:00 UTC.
constexpr time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

inbound chatter(const std::string& dedup_key) {
  return inbound{dedup_key, identity{"slack", "T1", "U1"}, "C1", false, true, inbound_kind::message, "hi", t0, ""};
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

long long responses_in(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("SELECT count(*) FROM responses").getInt64();
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

/// Damages the store or backup at `path` as a failing disk would: the root page of its responses
/// table overwritten with a pattern no page holds (after a checkpoint, so that no log still holds
/// a good copy of that page).
void damage_responses_table(const std::string& path) {
  long long page_size = 0;
  long long root_page = 0;
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    (void)db.execAndGet("PRAGMA wal_checkpoint(TRUNCATE)");
    page_size = db.execAndGet("PRAGMA page_size").getInt64();
    root_page = db.execAndGet("SELECT rootpage FROM sqlite_schema WHERE name = 'responses'").getInt64();
  }
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp((root_page - 1) * page_size);
  const std::string garbage(static_cast<std::size_t>(page_size), '\xA5');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

}  // namespace

TEST_CASE("a backup taken while another connection keeps writing holds every event recorded before it began") {
  temp_database live;
  temp_database backup;
  sqlite_store store(live.path(), sqlite_durability::at_sync);
  for (int i = 0; i < 2000; ++i) store.record(chatter("slack:before:" + std::to_string(i)), true, recorded_as::handled);
  store.sync();
  std::atomic<bool> copying{true};
  std::atomic<int> written_during{0};
  // The writer is another connection on the same file, as a serving Tandem is to `tandem backup`.
  std::thread writer([&] {
    sqlite_store other(live.path(), sqlite_durability::at_sync);
    for (int i = 0; copying.load() || i < 50; ++i) {
      other.record(chatter("slack:during:" + std::to_string(i)), true, recorded_as::handled);
      written_during = i + 1;
    }
  });
  while (written_during.load() < 10) std::this_thread::yield();
  const store_file_facts facts = backup_store(live.path(), backup.path(), 8);  // small steps: many of them
  copying = false;
  writer.join();

  CHECK(facts.responses >= 2000 + 10);
  CHECK(facts.schema_version == sqlite_store::latest_schema_version());
  CHECK(responses_in(backup.path()) == facts.responses);
  CHECK(responses_in(live.path()) == 2000 + written_during.load());
  CHECK(!std::filesystem::exists(backup.path() + ".partial"));
  CHECK(check_backup(backup.path()).responses == facts.responses);
}

TEST_CASE("a backup replaces an older file of the same name") {
  temp_database live;
  temp_database backup;
  {
    sqlite_store store(live.path());
    store.record(chatter("slack:1"), true, recorded_as::handled);
  }
  write_text(backup.path(), "last week's backup");
  CHECK(backup_store(live.path(), backup.path()).responses == 1);
  CHECK(responses_in(backup.path()) == 1);
}

TEST_CASE("a backup of a missing store, of a store onto itself or of a database that is not Tandem's is refused") {
  temp_database live;
  temp_database backup;
  CHECK(store_error_of([&] { backup_store(live.path(), backup.path()); }) == "backup: no store at " + live.path());
  { sqlite_store store(live.path()); }
  CHECK(store_error_of([&] { backup_store(live.path(), live.path()); }).find("is the store itself") != std::string::npos);
  temp_database foreign;
  { SQLite::Database(foreign.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE).exec("CREATE TABLE notes (x)"); }
  CHECK(store_error_of([&] { backup_store(foreign.path(), backup.path()); }).find("not a Tandem store") !=
        std::string::npos);
  CHECK(!std::filesystem::exists(backup.path()));
  CHECK(!std::filesystem::exists(backup.path() + ".partial"));
}

TEST_CASE("a backup is checked: missing, not a database, damaged, not Tandem's and newer schema are refused") {
  temp_database good;
  {
    sqlite_store store(good.path());
    for (int i = 0; i < 500; ++i) store.record(chatter("slack:" + std::to_string(i)), true, recorded_as::handled);
  }
  temp_database copy;
  backup_store(good.path(), copy.path());
  CHECK(check_backup(copy.path()).responses == 500);

  temp_database missing;
  CHECK(store_error_of([&] { check_backup(missing.path()); }) == missing.path() + ": no such file");

  temp_database text;
  write_text(text.path(), std::string(8192, 'x'));
  CHECK(store_error_of([&] { check_backup(text.path()); }).find("not a usable SQLite database") != std::string::npos);

  temp_database foreign;
  { SQLite::Database(foreign.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE).exec("CREATE TABLE notes (x)"); }
  CHECK(store_error_of([&] { check_backup(foreign.path()); }) ==
        foreign.path() + " is an SQLite database but not a Tandem store (it has no responses table)");

  temp_database newer;
  backup_store(good.path(), newer.path());
  { SQLite::Database(newer.path(), SQLite::OPEN_READWRITE).exec("PRAGMA user_version = 999"); }
  CHECK(store_error_of([&] { check_backup(newer.path()); }).find("has schema version 999, but this Tandem knows") !=
        std::string::npos);

  temp_database damaged;
  backup_store(good.path(), damaged.path());
  damage_responses_table(damaged.path());
  CHECK(store_error_of([&] { check_backup(damaged.path()); }).find("damaged") != std::string::npos);
}

TEST_CASE("a restore replaces a newer store with the backup, and the store opens where the backup was") {
  temp_database live;
  temp_database backup;
  {
    sqlite_store store(live.path(), sqlite_durability::at_sync);
    store.record(chatter("slack:1"), true, recorded_as::handled);
    store.sync();
    backup_store(live.path(), backup.path());
    store.record(chatter("slack:2"), true, recorded_as::handled);
    store.sync();
  }
  CHECK(restore_store(backup.path(), live.path()).responses == 1);
  sqlite_store reopened(live.path(), sqlite_durability::at_sync);
  CHECK(reopened.record(chatter("slack:1"), true, recorded_as::handled) == std::nullopt);
  CHECK(reopened.record(chatter("slack:2"), true, recorded_as::handled).has_value());
}

TEST_CASE("a restore into a folder without a store creates it") {
  temp_database live;
  temp_database backup;
  temp_database fresh;
  {
    sqlite_store store(live.path());
    store.record(chatter("slack:1"), true, recorded_as::handled);
  }
  backup_store(live.path(), backup.path());
  CHECK(restore_store(backup.path(), fresh.path()).responses == 1);
  CHECK(responses_in(fresh.path()) == 1);
}

TEST_CASE("a restore of a file that fails its check leaves the store as it was") {
  temp_database live;
  temp_database text;
  {
    sqlite_store store(live.path());
    store.record(chatter("slack:1"), true, recorded_as::handled);
  }
  write_text(text.path(), "not a backup");
  CHECK(store_error_of([&] { restore_store(text.path(), live.path()); }).find("not a usable SQLite database") !=
        std::string::npos);
  CHECK(responses_in(live.path()) == 1);
}

TEST_CASE("a whole store shows no damage; a missing one neither; a damaged one and a non-database do") {
  temp_database live;
  CHECK(find_store_damage(live.path()) == std::nullopt);
  {
    sqlite_store store(live.path());
    for (int i = 0; i < 500; ++i) store.record(chatter("slack:" + std::to_string(i)), true, recorded_as::handled);
  }
  CHECK(find_store_damage(live.path()) == std::nullopt);
  damage_responses_table(live.path());
  CHECK(find_store_damage(live.path()).has_value());

  temp_database text;
  write_text(text.path(), std::string(8192, 'x'));
  CHECK(find_store_damage(text.path()) == std::optional<std::string>{"file is not a database"});
}
