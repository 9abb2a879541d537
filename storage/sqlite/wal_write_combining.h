#pragma once
// A SQLite VFS that writes each transaction's WAL frames in one write at its commit.
//
// SQLite writes a WAL frame as two writes (its 24-byte header, then the page), so a burst of ten
// pages costs twenty system calls. This VFS, the default one underneath, holds back the frames of
// a transaction in memory while they follow each other in the file and writes them out together
// as soon as the commit frame (a frame header whose "database size after commit" is not zero, in
// SQLite's documented WAL format) is complete: before SQLite publishes the commit to other
// connections, which happens in memory, without another call on the WAL file. Any other call on
// the WAL file (read, sync, size, truncate, close, file control, ...) writes out what is held
// first, and so does a write elsewhere in the file or beyond 128 KiB held. Files other than WAL
// files are the default VFS's own.

#include <cstdint>

struct sqlite3;

namespace tandem {

/// The name of the VFS (registered on the first call, never as the default) to open a database
/// with. Throws `store_error` when SQLite refuses to register it.
const char* wal_write_combining_vfs();

/// Writes out what the WAL file of `db`'s main database still holds back, and returns how many
/// bytes that was: 0 after every commit, unless SQLite wrote a commit in a way this VFS does not
/// recognise (then this call, made right after a commit, keeps the file whole for later readers).
/// Returns 0 for a database not opened through the VFS. Returns -1 when the write failed.
std::int64_t write_out_held_wal_frames(sqlite3* db);

/// How many times write_out_held_wal_frames found frames still held after a commit, since the
/// process started: stays 0 while the commit frames are recognised.
std::int64_t wal_frames_found_held_after_commit();

}  // namespace tandem
