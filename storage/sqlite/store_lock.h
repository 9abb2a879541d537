#pragma once
// Who has a store open: a POSIX record lock on `<store>.lock`, shared by every running Tandem,
// exclusive for a restore. The kernel drops it when the process ends, kill -9 included.

#include <string>

namespace tandem {

/// A lock on the store at `store_path`, held from construction to destruction. One per process
/// and store: a process's POSIX locks on a file end when it closes any descriptor of that file.
class store_lock {
 public:
  /// Shared: Tandem runs on the store (serve, console). Throws `store_error` while a restore
  /// holds it exclusively, or when the lock file cannot be opened.
  static store_lock shared(const std::string& store_path);
  /// Exclusive: nothing else has the store open (restore). Throws `store_error` naming the
  /// process id of a running Tandem that holds it, or when the lock file cannot be opened.
  static store_lock exclusive(const std::string& store_path);

  ~store_lock();
  store_lock(store_lock&& other) noexcept;
  store_lock& operator=(store_lock&&) = delete;
  store_lock(const store_lock&) = delete;
  store_lock& operator=(const store_lock&) = delete;

  /// The lock file of the store at `store_path`.
  static std::string path_for(const std::string& store_path);

 private:
  explicit store_lock(int descriptor) noexcept : descriptor_(descriptor) {}
  static store_lock take(const std::string& store_path, bool exclusive);

  int descriptor_;
};

}  // namespace tandem
