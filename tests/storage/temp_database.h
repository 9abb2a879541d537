#pragma once
// A database file for one test, removed with its companions at the end.

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace tandem::testing {

/// A database file under the temp directory with a unique name, removed (with its WAL files) at the end.
class temp_database {
 public:
  temp_database() {
    std::random_device random;
    path_ = (std::filesystem::temp_directory_path() /
             ("tandem-store-test-" + std::to_string(random()) + "-" + std::to_string(random()) + ".db"))
                .string();
  }
  ~temp_database() {
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path_ + suffix, ignored);
  }
  temp_database(const temp_database&) = delete;
  temp_database& operator=(const temp_database&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tandem::testing
