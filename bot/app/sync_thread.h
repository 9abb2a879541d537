#pragma once
// Group commit's second half: a thread that makes the store's commits durable while the core
// strand goes on deciding, and hands each waiting callback back once its commits are on disk.

#include "adapters/metrics/metrics_registry.h"
#include "core/store.h"
#include "storage/store_checkpoints.h"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem {

/// Syncs `store` on a thread of its own. A callback given to `after_sync` is called (through
/// `post`, so on the core strand) after a sync that began after the call: every commit made
/// before the call is then durable. Callbacks that wait together share one sync, so a burst of
/// commits costs one trip to the disk. After a sync, the store's checkpoint (when it has
/// `store_checkpoints`) runs here too, when it is due, so that the core strand does not run it
/// inside a commit: after the callbacks are posted, or before them when the store needs the owner
/// to pause. Thread-safe.
class sync_thread {
 public:
  using post_function = std::function<void(std::function<void()>)>;
  /// Called with true once durable, false when the disk refused (durability unknown).
  using sync_callback = std::function<void(bool durable)>;

  /// Starts the thread. `durable`, `metrics` and `checkpoints` must outlive this object;
  /// `checkpoints` is null for a store that needs none (commits made durable at once, or a
  /// database server that keeps its own log).
  sync_thread(store& durable, metrics_registry& metrics, post_function post, store_checkpoints* checkpoints);
  /// Syncs for the callbacks still waiting, posts them, and joins the thread.
  ~sync_thread();
  sync_thread(const sync_thread&) = delete;
  sync_thread& operator=(const sync_thread&) = delete;

  /// Calls `then` once every commit made so far is durable (see the class comment).
  void after_sync(sync_callback then);

 private:
  void run();
  /// The store's housekeeping, after a sync and before its callbacks.
  void checkpoint();

  store& store_;
  store_checkpoints* checkpoints_;
  post_function post_;
  metric_histogram& sync_seconds_;
  metric_histogram& checkpoint_seconds_;
  metric_histogram& waiting_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<sync_callback> pending_;  ///< behind mutex_
  bool stopping_ = false;               ///< behind mutex_
  std::thread thread_;                  ///< last: starts once the rest is ready
};

}  // namespace tandem
