#include "app/sync_thread.h"

#include "storage/sqlite/sqlite_store.h"

#include <catch2/catch.hpp>
#include <date/date.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

const time_point start = date::sys_days{date::year{2026} / 12 / 2} + 10h;

struct temp_file {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("tandem-sync-" + std::to_string(std::random_device{}()) + ".db"))
                         .string();
  ~temp_file() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

/// Collects what the sync thread posts, to run it on the test's thread as the core strand would.
class posted_work {
 public:
  sync_thread::post_function poster() {
    return [this](std::function<void()> f) {
      const std::lock_guard lock(mutex_);
      work_.push_back(std::move(f));
    };
  }
  /// Runs what was posted until `count` functions ran (at most 10 s).
  bool run(std::size_t count) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    std::size_t ran = 0;
    while (ran < count && std::chrono::steady_clock::now() < until) {
      std::vector<std::function<void()>> ready;
      {
        const std::lock_guard lock(mutex_);
        ready.swap(work_);
      }
      for (auto& f : ready) f();
      ran += ready.size();
      if (ready.empty()) std::this_thread::sleep_for(1ms);
    }
    return ran >= count;
  }

 private:
  std::mutex mutex_;
  std::vector<std::function<void()>> work_;
};

send_message reply(std::string key) {
  return send_message{std::move(key), destination{"console", "", "dm", "ana", "ana", "en", ""},
                      message{"tier_set", {{"tier", "core"}}}, start};
}

/// A store of which only the disk side is used: its syncs succeed or are refused, and it counts
/// its checkpoints, which it may say need the owner to pause.
class disk_only_store final : public store, public store_checkpoints {
 public:
  bool refuses_syncs = false;
  bool needs_a_pause = false;
  std::atomic<int> checkpoints{0};

  void sync() override {
    if (refuses_syncs) throw store_error("sqlite store: sync: the disk did not make it durable: I/O error");
  }
  bool checkpoint() override {
    ++checkpoints;
    return true;
  }
  bool checkpoint_needs_a_pause() override { return needs_a_pause; }
  std::optional<std::int64_t> record(const inbound&, bool, recorded_as) override { throw std::logic_error("unused"); }
  void mark_unhandled(std::int64_t) override { throw std::logic_error("unused"); }
  void apply(const std::vector<action>&, std::optional<std::int64_t>) override { throw std::logic_error("unused"); }
  void in_one_transaction(const std::function<void()>&) override { throw std::logic_error("unused"); }
  world load() override { throw std::logic_error("unused"); }
  std::vector<recorded_response> unhandled_responses() override { throw std::logic_error("unused"); }
  std::vector<outbox_row> due_outbox(time_point, std::size_t) override { throw std::logic_error("unused"); }
  std::vector<outbox_row> due_outbox_heads(time_point, std::size_t) override { throw std::logic_error("unused"); }
  std::vector<outbox_row> written_outbox(time_point, std::size_t) override { throw std::logic_error("unused"); }
  std::optional<time_point> next_outbox_attempt_after(time_point) override { throw std::logic_error("unused"); }
  void mark_sent(std::int64_t, time_point) override { throw std::logic_error("unused"); }
  void mark_failed(std::int64_t, std::string_view, time_point) override { throw std::logic_error("unused"); }
  void retry_later(std::int64_t, time_point, std::string_view) override { throw std::logic_error("unused"); }
  void postpone(std::int64_t, time_point) override { throw std::logic_error("unused"); }
  void withdraw(std::int64_t, std::string_view, time_point) override { throw std::logic_error("unused"); }
  std::vector<outbox_row> outbox_rows(std::string_view) override { throw std::logic_error("unused"); }
  std::vector<record_task_update> task_history(std::int64_t) override { throw std::logic_error("unused"); }
  audit_lines audit_page(const audit_selection&, std::size_t, std::size_t) override {
    throw std::logic_error("unused");
  }
  std::size_t forget_text_before(time_point, std::size_t) override { throw std::logic_error("unused"); }
  bool count_ended_month(time_point) override { throw std::logic_error("unused"); }
  std::optional<std::string> setting(std::string_view) override { throw std::logic_error("unused"); }
  void put_setting(std::string_view, std::string_view) override { throw std::logic_error("unused"); }
};

}  // namespace

TEST_CASE("a callback comes back through post once what was committed before it is durable") {
  temp_file file;
  sqlite_store store(file.path, sqlite_durability::at_sync);
  metrics_registry metrics;
  posted_work posted;
  sync_thread syncer(store, metrics, posted.poster(), &store);

  store.apply({reply("reply:1")}, std::nullopt);
  REQUIRE(store.due_outbox(start, 10).empty());
  std::vector<bool> answers;
  syncer.after_sync([&](bool durable) { answers.push_back(durable); });
  syncer.after_sync([&](bool durable) { answers.push_back(durable); });
  REQUIRE(posted.run(1));
  if (answers.size() < 2) REQUIRE(posted.run(1));  // the second may have waited for a sync of its own
  CHECK(answers == std::vector<bool>{true, true});
  CHECK(store.due_outbox(start, 10).size() == 1);
}

TEST_CASE("a sync the disk refuses comes back as not durable") {
  disk_only_store store;
  store.refuses_syncs = true;
  metrics_registry metrics;
  posted_work posted;
  sync_thread syncer(store, metrics, posted.poster(), &store);
  std::optional<bool> answer;
  syncer.after_sync([&](bool durable) { answer = durable; });
  REQUIRE(posted.run(1));
  CHECK(answer == false);
}

/// Runs one sync through a sync thread and says how many checkpoints the store had made when
/// the thread posted the callback, and how many once the thread was joined.
std::pair<int, int> checkpoints_around_the_callback(disk_only_store& store) {
  metrics_registry metrics;
  std::atomic<int> at_post{-1};
  {
    posted_work posted;
    const auto post = posted.poster();
    sync_thread syncer(
        store, metrics,
        [&](std::function<void()> f) {
          at_post = store.checkpoints.load();
          post(std::move(f));
        },
        &store);
    syncer.after_sync([](bool) {});
    REQUIRE(posted.run(1));
  }
  return {at_post.load(), store.checkpoints.load()};
}

TEST_CASE("a checkpoint runs after the callbacks are posted, so it delays no reply") {
  disk_only_store store;
  CHECK(checkpoints_around_the_callback(store) == std::pair{0, 1});
}

TEST_CASE("a checkpoint that needs the owner to pause runs before the callbacks are posted") {
  disk_only_store store;
  store.needs_a_pause = true;
  CHECK(checkpoints_around_the_callback(store) == std::pair{1, 1});
}

TEST_CASE("a sync thread given no checkpoints only syncs, for a store that keeps its log itself") {
  disk_only_store store;
  store.needs_a_pause = true;
  metrics_registry metrics;
  posted_work posted;
  std::optional<bool> answer;
  {
    sync_thread syncer(store, metrics, posted.poster(), nullptr);
    syncer.after_sync([&](bool durable) { answer = durable; });
    REQUIRE(posted.run(1));
  }
  CHECK(answer == true);
  CHECK(store.checkpoints == 0);
}

TEST_CASE("callbacks still waiting when the thread stops are answered first") {
  temp_file file;
  sqlite_store store(file.path, sqlite_durability::at_sync);
  metrics_registry metrics;
  posted_work posted;
  std::vector<bool> answers;
  {
    sync_thread syncer(store, metrics, posted.poster(), &store);
    for (int i = 0; i < 5; ++i) syncer.after_sync([&](bool durable) { answers.push_back(durable); });
  }
  REQUIRE(posted.run(1));  // the thread is joined: everything it owed is posted
  CHECK(answers == std::vector<bool>(5, true));
}
