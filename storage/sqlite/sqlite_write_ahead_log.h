#pragma once
// The SQLite-only side of group commit: the write-ahead log of a store opened `at_sync`, made
// durable by an fdatasync and moved into the database file by checkpoints beside the owner.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

namespace SQLite {  // NOLINT(readability-identifier-naming): the library's own name
class Database;
}
struct sqlite3;

namespace tandem {

/// The write-ahead log of a database file whose commits wait for no disk (synchronous=NORMAL):
/// `sync` makes what they wrote durable, and `checkpoint` moves the log's pages into the database
/// file on a connection of its own, so that SQLite's automatic checkpoints never run inside (and
/// hold up) the owner's commits. Thread-safe.
class sqlite_write_ahead_log {
 public:
  /// Log growth (in pages) between two checkpoints: SQLite's default.
  static constexpr int checkpoint_frames = 1000;
  /// Log size (in pages, 12 MB) from which a checkpoint waits for the owner to pause.
  static constexpr int paused_checkpoint_frames = 3 * checkpoint_frames;

  /// Takes over the checkpoints of `owner`, a connection in WAL mode to the file `path` opened
  /// through `vfs`: learns the log's size after each of the owner's commits, and opens the
  /// checkpoints' own connection. `owner` must outlive this object. Throws `SQLite::Exception`.
  sqlite_write_ahead_log(SQLite::Database& owner, const std::string& path, const std::string& vfs,
                         int busy_timeout_ms);
  /// Stops following the owner's commits, closes the checkpoints' connection and the log file;
  /// never throws.
  ~sqlite_write_ahead_log();
  sqlite_write_ahead_log(const sqlite_write_ahead_log&) = delete;
  sqlite_write_ahead_log& operator=(const sqlite_write_ahead_log&) = delete;

  /// fdatasync of the log file (and, the first time, of its folder): every commit that returned
  /// before the call is durable after it. Throws `store_error` when the disk refuses.
  void sync();
  /// Each time the log has grown by `checkpoint_frames` pages: a passive checkpoint, which copies
  /// what it can without waiting for the owner. True when it copied some. Throws `store_error`.
  bool checkpoint();
  /// True once the log holds `paused_checkpoint_frames` pages: the checkpoints beside the owner
  /// did not let it start over (SQLite restarts the log only when a commit finds it all copied).
  [[nodiscard]] bool needs_a_pause() const;

 private:
  /// sqlite3_wal_hook: the log's size in pages after each commit of the owner.
  static int on_commit(void* self, sqlite3* db, const char* database, int frames);

  sqlite3* owner_;
  std::string path_;                                ///< the log file
  std::unique_ptr<SQLite::Database> checkpointer_;  ///< the checkpoints' own connection
  std::mutex sync_mutex_;                           ///< guards descriptor_
  int descriptor_ = -1;                             ///< the log file, opened by the first sync
  std::mutex checkpoint_mutex_;                     ///< guards checkpointer_'s use and what follows
  int frames_at_last_look_ = 0;
  int next_checkpoint_at_ = checkpoint_frames;
  std::atomic<int> frames_{0};  ///< the log's size after the owner's last commit
};

}  // namespace tandem
