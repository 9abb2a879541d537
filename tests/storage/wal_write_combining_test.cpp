#include "storage/sqlite/wal_write_combining.h"

#include "storage/sqlite/sqlite_store.h"
#include "storage/temp_database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

using namespace tandem;
using tandem::testing::temp_database;

namespace {

/// A connection in WAL mode with synchronous=NORMAL (commits are written, not synced), through
/// the write-combining VFS unless `vfs` is empty.
SQLite::Database open_wal(const std::string& path, const std::string& vfs = wal_write_combining_vfs()) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000, vfs);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  return db;
}

/// Inserts `rows` rows of ~300 bytes (about 13 to a page) in one transaction.
void insert_rows(SQLite::Database& db, int rows, int first = 0) {
  SQLite::Transaction transaction(db);
  SQLite::Statement insert(db, "INSERT INTO notes (id, text) VALUES (?, ?)");
  for (int i = first; i < first + rows; ++i) {
    insert.bind(1, i);
    insert.bind(2, std::string(300, static_cast<char>('a' + i % 26)));
    insert.exec();
    insert.reset();
  }
  transaction.commit();
}

int count_rows(const std::string& path) {
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  return reader.execAndGet("SELECT COUNT(*) FROM notes").getInt();
}

/// The WAL file's frames and whether the last one ends a transaction, read from the file itself
/// (SQLite's WAL format: a 32-byte header, then frames of a 24-byte header and a page).
struct wal_on_disk {
  long frames = 0;
  bool ends_in_commit = false;
};

wal_on_disk read_wal(const std::string& path, long page_size) {
  std::ifstream file(path + "-wal", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  wal_on_disk wal;
  if (bytes.size() < 32) return wal;
  wal.frames = static_cast<long>(bytes.size() - 32) / (24 + page_size);
  if (wal.frames == 0) return wal;
  const std::size_t last = 32 + static_cast<std::size_t>(wal.frames - 1) * static_cast<std::size_t>(24 + page_size);
  wal.ends_in_commit = (bytes[last + 4] | bytes[last + 5] | bytes[last + 6] | bytes[last + 7]) != 0;
  return wal;
}

/// Counts the default VFS's positioned writes while it lives (it swaps SQLite's own system call
/// for one that counts, and back).
class counted_writes {
 public:
  counted_writes() {
    vfs_ = sqlite3_vfs_find(nullptr);
    for (const char* name : {"pwrite64", "pwrite"}) {
      if (vfs_->xGetSystemCall(vfs_, name) == nullptr) continue;
      name_ = name;
      original_ = reinterpret_cast<pwrite_function>(vfs_->xGetSystemCall(vfs_, name));
      vfs_->xSetSystemCall(vfs_, name, reinterpret_cast<sqlite3_syscall_ptr>(&counting_pwrite));
      return;
    }
    FAIL("the default VFS names no pwrite system call");
  }
  ~counted_writes() { vfs_->xSetSystemCall(vfs_, name_, nullptr); }
  counted_writes(const counted_writes&) = delete;
  counted_writes& operator=(const counted_writes&) = delete;

  static long count() { return calls.load(); }
  static void reset() { calls = 0; }

 private:
  using pwrite_function = ssize_t (*)(int, const void*, size_t, off_t);
  static ssize_t counting_pwrite(int fd, const void* data, size_t size, off_t offset) {
    ++calls;
    return original_(fd, data, size, offset);
  }
  static inline std::atomic<long> calls{0};
  static inline pwrite_function original_ = nullptr;
  sqlite3_vfs* vfs_ = nullptr;
  const char* name_ = nullptr;
};

}  // namespace

TEST_CASE("a commit through the write-combining VFS is in the WAL file, whole, as soon as it returns") {
  temp_database file;
  SQLite::Database db = open_wal(file.path());
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  const long page_size = db.execAndGet("PRAGMA page_size").getInt();

  insert_rows(db, 200);

  const wal_on_disk wal = read_wal(file.path(), page_size);
  CHECK(wal.frames >= 15);  // 200 rows of ~300 bytes fill 15 pages or more
  CHECK(wal.ends_in_commit);
  CHECK(count_rows(file.path()) == 200);  // a connection of the default VFS reads them from the file
  CHECK(write_out_held_wal_frames(db.getHandle()) == 0);
}

TEST_CASE("the write-combining VFS writes a transaction's frames in one call, where SQLite alone makes two a page") {
  temp_database combined_file;
  temp_database plain_file;
  SQLite::Database combined = open_wal(combined_file.path());
  SQLite::Database plain = open_wal(plain_file.path(), "");
  for (SQLite::Database* db : {&combined, &plain}) {
    db->exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
    insert_rows(*db, 10);  // the log and its header exist before the counting starts
  }
  const counted_writes writes;

  counted_writes::reset();
  insert_rows(combined, 100, 10);
  const long combined_writes = counted_writes::count();
  counted_writes::reset();
  insert_rows(plain, 100, 10);
  const long plain_writes = counted_writes::count();

  CHECK(combined_writes == 1);
  CHECK(plain_writes >= 16);  // 100 rows fill 8 pages or more: a header and a page each
  CHECK(count_rows(combined_file.path()) == 110);
}

TEST_CASE("nothing is held back after a commit of any size, also where the commit frame meets the most held") {
  temp_database file;
  SQLite::Database db = open_wal(file.path());
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  int next = 0;
  std::int64_t left_held = 0;
  // 1 to 600 rows: transactions of 1 to ~50 frames, across the 31 that fit in what is held.
  for (int rows = 1; rows <= 600; rows += 1) {
    insert_rows(db, rows, next);
    next += rows;
    left_held += write_out_held_wal_frames(db.getHandle());
  }
  CHECK(left_held == 0);
  CHECK(count_rows(file.path()) == next);
}

TEST_CASE("a process that dies right after its commits leaves every one of them in the file") {
  temp_database file;
  {
    SQLite::Database db = open_wal(file.path());
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  }

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No Catch2 here: the child commits, then ends without closing anything.
    try {
      SQLite::Database db = open_wal(file.path());
      // One transaction that spills pages midway, which rewrites frames in place at its commit,
      // then small ones as bursts are.
      db.exec("PRAGMA cache_size = 5");
      insert_rows(db, 10'000);
      for (int burst = 0; burst < 20; ++burst) insert_rows(db, 50, 10'000 + burst * 50);
      ::_exit(0);  // with the connection open
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  CHECK(count_rows(file.path()) == 11'000);
  SQLite::Database check(file.path(), SQLite::OPEN_READONLY);
  CHECK(check.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a transaction larger than what the VFS holds back, with spilled and rewritten pages, is written whole") {
  temp_database file;
  SQLite::Database db = open_wal(file.path());
  db.exec("PRAGMA cache_size = 5");
  db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)");

  insert_rows(db, 10'000);  // ~3 MB, far more than the 128 KiB held at most

  CHECK(count_rows(file.path()) == 10'000);
  SQLite::Database reader(file.path(), SQLite::OPEN_READONLY);
  // Each row's text is 300 times its letter, as insert_rows wrote it.
  CHECK(
      reader.execAndGet("SELECT COUNT(*) FROM notes WHERE text = replace(hex(zeroblob(300)), '00', char(97 + id % 26))")
          .getInt() == 10'000);
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("a store's commits leave nothing held back after them") {
  temp_database file;
  const std::int64_t found_before = wal_frames_found_held_after_commit();
  {
    sqlite_store store(file.path(), sqlite_durability::at_sync);
    for (int burst = 0; burst < 30; ++burst) {
      store.in_one_transaction([&] {
        for (int i = 0; i < 40; ++i) {
          inbound event;
          event.dedup_key = "slack:T1:C1:" + std::to_string(burst * 40 + i);
          event.sender = {"slack", "T1", "U1"};
          event.conversation = "C1";
          event.text = std::string(200, 'x');
          event.at = time_point{std::chrono::seconds{1'700'000'000 + burst}};
          (void)store.record(event, true, recorded_as::handled);
        }
      });
    }
    store.sync();
  }
  CHECK(wal_frames_found_held_after_commit() == found_before);
  SQLite::Database reader(file.path(), SQLite::OPEN_READONLY);
  CHECK(reader.execAndGet("SELECT COUNT(*) FROM responses").getInt() == 1200);
}
