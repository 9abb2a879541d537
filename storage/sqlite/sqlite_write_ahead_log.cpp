#include "storage/sqlite/sqlite_write_ahead_log.h"

#include "core/store.h"
#include "storage/sqlite/wal_write_combining.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tandem {

sqlite_write_ahead_log::sqlite_write_ahead_log(SQLite::Database& owner, const std::string& path,
                                               const std::string& vfs, int busy_timeout_ms)
    : owner_(owner.getHandle()), path_(owner.getFilename() + "-wal") {
  sqlite3_wal_hook(owner_, &sqlite_write_ahead_log::on_commit, this);
  checkpointer_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, busy_timeout_ms, vfs);
  // A connection learns that the file is in WAL mode at its first read; until then its
  // checkpoints do nothing.
  (void)checkpointer_->execAndGet("PRAGMA journal_mode");
}

sqlite_write_ahead_log::~sqlite_write_ahead_log() {
  sqlite3_wal_hook(owner_, nullptr, nullptr);
  checkpointer_.reset();
  if (descriptor_ >= 0) ::close(descriptor_);
}

void sqlite_write_ahead_log::sync() {
  const std::lock_guard lock(sync_mutex_);
  if (descriptor_ < 0) {
    descriptor_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor_ < 0 && errno != ENOENT) {
      throw store_error("sqlite store: sync: cannot open " + path_ + ": " + std::strerror(errno));
    }
    // A WAL file SQLite just created is durable only once its directory entry is.
    const std::string folder = std::filesystem::path(path_).parent_path().string();
    const int directory = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory >= 0) {
      (void)::fsync(directory);
      ::close(directory);
    }
  }
  if (descriptor_ >= 0 && ::fdatasync(descriptor_) != 0) {
    throw store_error("sqlite store: sync: the disk did not make " + path_ + " durable: " + std::strerror(errno));
  }
}

int sqlite_write_ahead_log::on_commit(void* self, sqlite3* db, const char* /*database*/, int frames) {
  static_cast<sqlite_write_ahead_log*>(self)->frames_.store(frames);
  // Nothing is held back after a commit; should SQLite ever write one unrecognised, this keeps
  // the file whole (and wal_frames_found_held_after_commit() tells).
  return write_out_held_wal_frames(db) < 0 ? SQLITE_IOERR_WRITE : SQLITE_OK;
}

bool sqlite_write_ahead_log::checkpoint() {
  const std::lock_guard lock(checkpoint_mutex_);
  const int frames = frames_.load();
  if (frames < frames_at_last_look_) next_checkpoint_at_ = checkpoint_frames;  // the log started over
  frames_at_last_look_ = frames;
  if (frames < next_checkpoint_at_) return false;
  // PASSIVE copies what it can without waiting for the owner; what it leaves, the next one takes.
  // In NORMAL mode the checkpoint syncs the log before and the database file after copying.
  int log_frames = 0;
  int copied_frames = 0;
  const int result = sqlite3_wal_checkpoint_v2(checkpointer_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                               &log_frames, &copied_frames);
  if (result != SQLITE_OK && result != SQLITE_BUSY) {
    throw store_error(std::string{"sqlite store: checkpoint: "} + sqlite3_errstr(result));
  }
  next_checkpoint_at_ = frames + checkpoint_frames;
  return copied_frames > 0;
}

bool sqlite_write_ahead_log::needs_a_pause() const { return frames_.load() >= paused_checkpoint_frames; }

}  // namespace tandem
