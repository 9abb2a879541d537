#include "storage/sqlite/store_lock.h"

#include "core/store.h"
#include "storage/temp_database.h"

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

using namespace tandem;
using tandem::testing::temp_database;

namespace {

/// Runs `take` in a child process (POSIX locks do not conflict within one process) while this
/// process holds what the caller took; true when the child got its lock.
template <typename Take>
bool child_gets(Take&& take) {
  const pid_t child = ::fork();
  if (child == 0) {
    try {
      take();
      ::_exit(0);
    } catch (const store_error&) {
      ::_exit(1);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// The message with which an exclusive lock is refused; empty when it is taken.
std::string store_error_of_exclusive(const std::string& store_path) {
  try {
    (void)store_lock::exclusive(store_path);
  } catch (const store_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("two running Tandems may share a store, and a restore is refused while one runs") {
  temp_database store;
  {
    const store_lock running = store_lock::shared(store.path());
    CHECK(child_gets([&] { (void)store_lock::shared(store.path()); }));
    CHECK_FALSE(child_gets([&] { (void)store_lock::exclusive(store.path()); }));
  }
  CHECK(child_gets([&] { (void)store_lock::exclusive(store.path()); }));
  std::filesystem::remove(store_lock::path_for(store.path()));
}

TEST_CASE("Tandem does not start on a store that is being restored") {
  temp_database store;
  {
    const store_lock restoring = store_lock::exclusive(store.path());
    CHECK_FALSE(child_gets([&] { (void)store_lock::shared(store.path()); }));
  }
  CHECK(child_gets([&] { (void)store_lock::shared(store.path()); }));
  std::filesystem::remove(store_lock::path_for(store.path()));
}

TEST_CASE("a refused restore names the process of the running Tandem") {
  temp_database store;
  int locked[2];
  int done[2];
  REQUIRE(::pipe(locked) == 0);
  REQUIRE(::pipe(done) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    const store_lock running = store_lock::shared(store.path());
    char byte = 1;
    (void)::write(locked[1], &byte, 1);
    (void)::read(done[0], &byte, 1);  // holds the lock until the parent has looked
    ::_exit(0);
  }
  char byte = 0;
  REQUIRE(::read(locked[0], &byte, 1) == 1);
  const std::string message = store_error_of_exclusive(store.path());
  (void)::write(done[1], &byte, 1);
  ::waitpid(child, nullptr, 0);
  for (const int fd : {locked[0], locked[1], done[0], done[1]}) ::close(fd);
  CHECK(message == store.path() + " is in use by a running Tandem (process " + std::to_string(child) + "): stop it first");
  std::filesystem::remove(store_lock::path_for(store.path()));
}
