#include "app/inbound_pipeline.h"

#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tandem {
namespace {

/// The pipeline's parts played by the test: posted work waits in a queue the test runs, commits
/// answer `commit_ok`, and each sync waits until the test ends it.
class pipeline_rig {
 public:
  pipeline_rig()
      : pipeline_({[this](std::function<void()> f) { posted_.push_back(std::move(f)); },
                   [this](const std::vector<inbound>& burst) {
                     std::vector<std::string> keys;
                     for (const inbound& e : burst) keys.push_back(e.dedup_key);
                     commits.push_back(std::move(keys));
                     return commit_ok;
                   },
                   [this] { ++written; }, [this](std::function<void(bool)> then) { syncs.push_back(std::move(then)); }},
                  metrics_) {}

  /// Hands the pipeline an event keyed `key`; its acknowledgement lands in `acks[key]`.
  void ingest(const std::string& key) {
    inbound event;
    event.dedup_key = key;
    acks.emplace_back(key, std::nullopt);
    const std::size_t at = acks.size() - 1;
    pipeline_.ingest(std::move(event), [this, at](bool stored) { acks[at].second = stored; });
  }

  /// Runs posted work until none is left (the end of the event loop's turns).
  void run() {
    while (!posted_.empty()) {
      auto f = std::move(posted_.front());
      posted_.pop_front();
      f();
    }
  }

  /// Ends the oldest sync under way with `durable`, and runs what follows.
  void end_sync(bool durable) {
    REQUIRE_FALSE(syncs.empty());
    auto then = std::move(syncs.front());
    syncs.erase(syncs.begin());
    then(durable);
    run();
  }

  std::optional<bool> ack_of(const std::string& key) const {
    for (const auto& [k, stored] : acks) {
      if (k == key) return stored;
    }
    return std::nullopt;
  }

  bool commit_ok = true;
  std::vector<std::vector<std::string>> commits;
  int written = 0;
  std::vector<std::function<void(bool)>> syncs;
  std::vector<std::pair<std::string, std::optional<bool>>> acks;

 private:
  std::deque<std::function<void()>> posted_;
  metrics_registry metrics_;
  inbound_pipeline pipeline_;
};

TEST_CASE("events that arrive together are one burst, acknowledged only after its sync") {
  pipeline_rig rig;
  rig.ingest("a");
  rig.ingest("b");
  rig.run();
  CHECK(rig.commits == std::vector<std::vector<std::string>>{{"a", "b"}});
  CHECK(rig.written == 1);
  REQUIRE(rig.syncs.size() == 1);
  CHECK(rig.ack_of("a") == std::nullopt);
  CHECK(rig.ack_of("b") == std::nullopt);
  rig.end_sync(true);
  CHECK(rig.ack_of("a") == std::optional<bool>{true});
  CHECK(rig.ack_of("b") == std::optional<bool>{true});
}

TEST_CASE("a failed commit acknowledges its burst false at once, and the next burst is taken") {
  pipeline_rig rig;
  rig.commit_ok = false;
  rig.ingest("a");
  rig.run();
  CHECK(rig.ack_of("a") == std::optional<bool>{false});
  CHECK(rig.written == 0);
  CHECK(rig.syncs.empty());
  rig.commit_ok = true;
  rig.ingest("b");
  rig.run();
  CHECK(rig.commits.size() == 2);
  rig.end_sync(true);
  CHECK(rig.ack_of("b") == std::optional<bool>{true});
}

TEST_CASE("events that arrive during a sync wait for it and become the next burst") {
  pipeline_rig rig;
  rig.ingest("a");
  rig.run();
  rig.ingest("b");
  rig.ingest("c");
  rig.run();
  CHECK(rig.commits.size() == 1);  // no second commit while the first burst syncs
  rig.end_sync(true);
  CHECK(rig.commits == std::vector<std::vector<std::string>>{{"a"}, {"b", "c"}});
  CHECK(rig.ack_of("b") == std::nullopt);
  rig.end_sync(true);
  CHECK(rig.ack_of("c") == std::optional<bool>{true});
}

TEST_CASE("after a refused sync the burst is acknowledged false and nothing more is committed") {
  pipeline_rig rig;
  rig.ingest("a");
  rig.run();
  rig.ingest("b");
  rig.run();
  rig.end_sync(false);
  CHECK(rig.ack_of("a") == std::optional<bool>{false});
  CHECK(rig.commits.size() == 1);
  CHECK(rig.syncs.empty());
}

}  // namespace
}  // namespace tandem
