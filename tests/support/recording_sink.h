#pragma once
// What adapter tests share on the inbound side: a waiter for conditions other threads make true,
// a recording sink that deduplicates like the store, and an adapter state kept in memory.

#include "adapters/adapter_state.h"
#include "adapters/platform_adapter.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::testing {

/// How long a test waits for something another thread does before it fails.
inline constexpr std::chrono::seconds wait_deadline{10};

/// Waits for conditions other threads make true, with a deadline.
class waiter {
 public:
  /// Runs `change` under the lock, then wakes the waiting threads.
  void notify(const std::function<void()>& change) {
    {
      const std::lock_guard lock(mutex_);
      change();
    }
    changed_.notify_all();
  }
  /// True when `done` became true within `within`.
  bool wait(const std::function<bool()>& done, std::chrono::milliseconds within = wait_deadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, within, done);
  }
  std::mutex& mutex() { return mutex_; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

/// The store as an adapter sees it: records each dedup key once, answers stored(true) (or
/// stored(false) while failing), then runs `after_store` as the runtime handles an event.
/// Thread-safe.
class recording_sink {
 public:
  tandem::inbound_sink sink() {
    return [this](tandem::inbound event, std::function<void(bool)> stored) {
      bool fail = false;
      bool fresh = false;
      bool held = false;
      waiter_.notify([&] {
        fail = failing_;
        if (!fail && keys_.insert(event.dedup_key).second) {
          events_.push_back(event);
          fresh = true;
        }
        ++calls_;
        if (holding_) {
          held_.push_back([stored, fail] { stored(!fail); });
          held = true;
        }
      });
      if (held) return;
      stored(!fail);
      if (fresh && after_store_) after_store_(event);
    };
  }
  /// While holding, stored() is not called until release().
  void hold() {
    waiter_.notify([&] { holding_ = true; });
  }
  /// Stops holding new events; those held stay held until release().
  void stop_holding() {
    waiter_.notify([&] { holding_ = false; });
  }
  /// Answers the held events and stops holding.
  void release() {
    std::vector<std::function<void()>> held;
    waiter_.notify([&] {
      holding_ = false;
      held.swap(held_);
    });
    for (auto& f : held) f();
  }
  /// While failing, every event is answered stored(false) and nothing is recorded.
  void fail(bool failing) {
    waiter_.notify([&] { failing_ = failing; });
  }
  void after_store(std::function<void(const tandem::inbound&)> hook) { after_store_ = std::move(hook); }
  std::vector<tandem::inbound> events() {
    const std::lock_guard lock(waiter_.mutex());
    return events_;
  }
  std::size_t calls() {
    const std::lock_guard lock(waiter_.mutex());
    return calls_;
  }
  bool wait_for_events(std::size_t count) {
    return waiter_.wait([&] { return events_.size() >= count; });
  }
  bool wait_for_calls(std::size_t count) {
    return waiter_.wait([&] { return calls_ >= count; });
  }

 private:
  waiter waiter_;
  bool failing_ = false;
  bool holding_ = false;
  std::vector<std::function<void()>> held_;
  std::set<std::string> keys_;
  std::vector<tandem::inbound> events_;
  std::size_t calls_ = 0;
  std::function<void(const tandem::inbound&)> after_store_;
};

/// An adapter state kept in memory (thread-safe, so tests may read it too).
class memory_adapter_state final : public tandem::adapter_state {
 public:
  std::optional<std::string> get(std::string_view key) override {
    const std::lock_guard lock(mutex_);
    const auto it = values_.find(std::string(key));
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override {
    const std::lock_guard lock(mutex_);
    values_[std::string(key)] = std::string(value);
  }
  std::map<std::string, std::string> values() {
    const std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> values_;
};

}  // namespace tandem::testing
