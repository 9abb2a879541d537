#include "storage/sqlite/store_lock.h"

#include "core/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tandem {

std::string store_lock::path_for(const std::string& store_path) { return store_path + ".lock"; }

store_lock store_lock::shared(const std::string& store_path) { return take(store_path, false); }

store_lock store_lock::exclusive(const std::string& store_path) { return take(store_path, true); }

store_lock store_lock::take(const std::string& store_path, bool exclusive) {
  const std::string file = path_for(store_path);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw store_error("store lock " + file + ": " + std::strerror(errno));
  struct flock lock {};
  lock.l_type = exclusive ? F_WRLCK : F_RDLCK;
  lock.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &lock) == 0) return store_lock{fd};
  // Who holds it (POSIX locks, unlike flock and OFD locks, tell the holder's process id).
  struct flock holder = lock;
  const bool known = ::fcntl(fd, F_GETLK, &holder) == 0 && holder.l_type != F_UNLCK;
  ::close(fd);
  const std::string pid = known ? " (process " + std::to_string(holder.l_pid) + ")" : "";
  if (exclusive) {
    throw store_error(store_path + " is in use by a running Tandem" + pid + ": stop it first");
  }
  throw store_error(store_path + " is being restored" + pid + ": start Tandem once the restore is done");
}

store_lock::store_lock(store_lock&& other) noexcept : descriptor_(std::exchange(other.descriptor_, -1)) {}

store_lock::~store_lock() {
  if (descriptor_ >= 0) ::close(descriptor_);  // closing the descriptor releases the lock
}

}  // namespace tandem
