#include "storage/sqlite/wal_write_combining.h"

#include "core/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace tandem {
namespace {

constexpr const char* vfs_name = "tandem-wal-write-combining";
constexpr std::size_t frame_header_size = 24;  // SQLite's WAL format: a frame's header
// The default (unix) VFS writes at most 128 KiB less a byte in one call (it masks the length
// with 0x1ffff, and reports a longer write as a full disk): about 31 frames of 4 KiB pages.
constexpr std::size_t most_held = 0x1ffff;

std::atomic<std::int64_t> found_held_after_commit{0};

sqlite3_vfs* underlying(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// A WAL file opened through the VFS: the default VFS's file lives right after this object, in
// the room SQLite allocates for each file (szOsFile).
struct held_wal_file {
  sqlite3_file base;  // first: SQLite sees this object as a sqlite3_file
  sqlite3_file* real;
  std::vector<char> held;  // frames not yet written, to go at held_from in the file
  sqlite3_int64 held_from = 0;
  sqlite3_int64 written_to = 0;     // the end of what this file was given to write since the log began
  bool commit_header_held = false;  // the last write was the header of a commit frame

  // Writes the held frames in one call; afterwards nothing is held, whether it worked or not
  // (SQLite ends the transaction on the error returned).
  int write_out() {
    commit_header_held = false;
    if (held.empty()) return SQLITE_OK;
    const int rc = real->pMethods->xWrite(real, held.data(), static_cast<int>(held.size()), held_from);
    held.clear();
    return rc;
  }
};

constexpr std::size_t real_file_offset =
    (sizeof(held_wal_file) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) * alignof(std::max_align_t);

held_wal_file* held_of(sqlite3_file* file) { return reinterpret_cast<held_wal_file*>(file); }
sqlite3_file* real_of(sqlite3_file* file) { return held_of(file)->real; }

bool is_commit_frame_header(const void* data, int size, sqlite3_int64 offset) {
  if (size != static_cast<int>(frame_header_size) || offset < 32) return false;
  const auto* bytes = static_cast<const unsigned char*>(data);
  return (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;  // the database size after the commit
}

int held_write(sqlite3_file* file, const void* data, int size, sqlite3_int64 offset) {
  held_wal_file& f = *held_of(file);
  if (offset == 0) f.written_to = 0;  // a new WAL header: the log starts over
  const bool appends = offset >= f.written_to;
  f.written_to = std::max(f.written_to, offset + size);
  if (!appends) {
    // Frames of the transaction under way rewritten in place (after a cache spill), or their
    // checksums at its commit: written at once, as nothing is sure to follow them.
    if (const int rc = f.write_out(); rc != SQLITE_OK) return rc;
    return f.real->pMethods->xWrite(f.real, data, size, offset);
  }
  const bool completes_commit = f.commit_header_held;  // the commit frame's page
  const bool follows_held = !f.held.empty() && offset == f.held_from + static_cast<sqlite3_int64>(f.held.size());
  if (!follows_held || f.held.size() + static_cast<std::size_t>(size) > most_held) {
    if (const int rc = f.write_out(); rc != SQLITE_OK) return rc;
  }
  if (static_cast<std::size_t>(size) > most_held) return f.real->pMethods->xWrite(f.real, data, size, offset);
  if (f.held.empty()) f.held_from = offset;
  const auto* bytes = static_cast<const char*>(data);
  f.held.insert(f.held.end(), bytes, bytes + size);
  if (completes_commit) return f.write_out();
  f.commit_header_held = is_commit_frame_header(data, size, offset);
  return SQLITE_OK;
}

int held_close(sqlite3_file* file) {
  held_wal_file* f = held_of(file);
  const int written = f->write_out();
  const int closed = f->real->pMethods->xClose(f->real);
  f->~held_wal_file();
  return written != SQLITE_OK ? written : closed;
}

// Every other method writes out what is held, then is the default VFS's.
template <auto method, typename... Args>
int after_writing_out(sqlite3_file* file, Args... args) {
  if (const int rc = held_of(file)->write_out(); rc != SQLITE_OK) return rc;
  sqlite3_file* real = real_of(file);
  return (real->pMethods->*method)(real, args...);
}

template <auto method, typename... Args>
auto passed_on(sqlite3_file* file, Args... args) {
  sqlite3_file* real = real_of(file);
  return (real->pMethods->*method)(real, args...);
}

const sqlite3_io_methods held_methods = {
    3,
    &held_close,
    &after_writing_out<&sqlite3_io_methods::xRead, void*, int, sqlite3_int64>,
    &held_write,
    &after_writing_out<&sqlite3_io_methods::xTruncate, sqlite3_int64>,
    &after_writing_out<&sqlite3_io_methods::xSync, int>,
    &after_writing_out<&sqlite3_io_methods::xFileSize, sqlite3_int64*>,
    &passed_on<&sqlite3_io_methods::xLock, int>,
    &passed_on<&sqlite3_io_methods::xUnlock, int>,
    &passed_on<&sqlite3_io_methods::xCheckReservedLock, int*>,
    &after_writing_out<&sqlite3_io_methods::xFileControl, int, void*>,
    &passed_on<&sqlite3_io_methods::xSectorSize>,
    &passed_on<&sqlite3_io_methods::xDeviceCharacteristics>,
    &passed_on<&sqlite3_io_methods::xShmMap, int, int, int, void volatile**>,
    &passed_on<&sqlite3_io_methods::xShmLock, int, int, int>,
    &passed_on<&sqlite3_io_methods::xShmBarrier>,
    &passed_on<&sqlite3_io_methods::xShmUnmap, int>,
    &after_writing_out<&sqlite3_io_methods::xFetch, sqlite3_int64, int, void**>,
    &passed_on<&sqlite3_io_methods::xUnfetch, sqlite3_int64, void*>,
};

int open_file(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* real_vfs = underlying(vfs);
  if ((flags & SQLITE_OPEN_WAL) == 0) return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
  auto* real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + real_file_offset);
  const int rc = real_vfs->xOpen(real_vfs, name, real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // The default VFS leaves its own methods set when the file needs closing even so.
    if (real->pMethods != nullptr) real->pMethods->xClose(real);
    file->pMethods = nullptr;
    return rc;
  }
  auto* held = new (file) held_wal_file{};
  held->base.pMethods = &held_methods;
  held->real = real;
  return SQLITE_OK;
}

// The rest of the VFS is the default one's, called with the default VFS itself.
template <auto method, typename... Args>
auto underlying_call(sqlite3_vfs* vfs, Args... args) {
  sqlite3_vfs* real = underlying(vfs);
  return (real->*method)(real, args...);
}

sqlite3_vfs make_vfs(sqlite3_vfs* real) {
  sqlite3_vfs vfs{};
  vfs.iVersion = 3;
  vfs.szOsFile = static_cast<int>(real_file_offset) + real->szOsFile;
  vfs.mxPathname = real->mxPathname;
  vfs.zName = vfs_name;
  vfs.pAppData = real;
  vfs.xOpen = &open_file;
  vfs.xDelete = &underlying_call<&sqlite3_vfs::xDelete, const char*, int>;
  vfs.xAccess = &underlying_call<&sqlite3_vfs::xAccess, const char*, int, int*>;
  vfs.xFullPathname = &underlying_call<&sqlite3_vfs::xFullPathname, const char*, int, char*>;
  vfs.xDlOpen = &underlying_call<&sqlite3_vfs::xDlOpen, const char*>;
  vfs.xDlError = &underlying_call<&sqlite3_vfs::xDlError, int, char*>;
  vfs.xDlSym = &underlying_call<&sqlite3_vfs::xDlSym, void*, const char*>;
  vfs.xDlClose = &underlying_call<&sqlite3_vfs::xDlClose, void*>;
  vfs.xRandomness = &underlying_call<&sqlite3_vfs::xRandomness, int, char*>;
  vfs.xSleep = &underlying_call<&sqlite3_vfs::xSleep, int>;
  vfs.xCurrentTime = &underlying_call<&sqlite3_vfs::xCurrentTime, double*>;
  vfs.xGetLastError = &underlying_call<&sqlite3_vfs::xGetLastError, int, char*>;
  vfs.xCurrentTimeInt64 = &underlying_call<&sqlite3_vfs::xCurrentTimeInt64, sqlite3_int64*>;
  vfs.xSetSystemCall = &underlying_call<&sqlite3_vfs::xSetSystemCall, const char*, sqlite3_syscall_ptr>;
  vfs.xGetSystemCall = &underlying_call<&sqlite3_vfs::xGetSystemCall, const char*>;
  vfs.xNextSystemCall = &underlying_call<&sqlite3_vfs::xNextSystemCall, const char*>;
  return vfs;
}

}  // namespace

const char* wal_write_combining_vfs() {
  static std::once_flag registered;
  static sqlite3_vfs vfs;
  std::call_once(registered, [] {
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (real == nullptr || real->iVersion < 3) throw store_error("sqlite store: no default VFS of version 3");
    vfs = make_vfs(real);
    if (const int rc = sqlite3_vfs_register(&vfs, 0); rc != SQLITE_OK) {
      throw store_error(std::string{"sqlite store: cannot register the WAL write-combining VFS: "} +
                        sqlite3_errstr(rc));
    }
  });
  return vfs_name;
}

std::int64_t write_out_held_wal_frames(sqlite3* db) {
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || wal == nullptr ||
      wal->pMethods != &held_methods) {
    return 0;
  }
  held_wal_file& f = *held_of(wal);
  const auto bytes = static_cast<std::int64_t>(f.held.size());
  if (bytes == 0) return 0;
  found_held_after_commit.fetch_add(1);
  return f.write_out() == SQLITE_OK ? bytes : -1;
}

std::int64_t wal_frames_found_held_after_commit() { return found_held_after_commit.load(); }

}  // namespace tandem
