#include "app/sync_thread.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace tandem {

sync_thread::sync_thread(store& durable, metrics_registry& metrics, post_function post,
                         store_checkpoints* checkpoints)
    : store_(durable),
      checkpoints_(checkpoints),
      post_(std::move(post)),
      sync_seconds_(metrics.histogram("tandem_store_sync_seconds", "Time the disk took to make commits durable.",
                                      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1})),
      checkpoint_seconds_(metrics.histogram("tandem_store_checkpoint_seconds",
                                            "Time a checkpoint took (the log moved into the database file).",
                                            {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})),
      waiting_(metrics.histogram("tandem_store_sync_waiters", "Callbacks (bursts, ticks) that shared one sync.",
                                 {1, 2, 4, 8, 16, 32, 64})),
      thread_([this] { run(); }) {}

sync_thread::~sync_thread() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void sync_thread::after_sync(sync_callback then) {
  {
    const std::lock_guard lock(mutex_);
    pending_.push_back(std::move(then));
  }
  wake_.notify_one();
}

void sync_thread::checkpoint() {
  if (checkpoints_ == nullptr) return;
  const auto start = std::chrono::steady_clock::now();
  try {
    if (!checkpoints_->checkpoint()) return;
  } catch (const store_error& e) {
    spdlog::error("store: {} (the next sync tries again)", e.what());  // the log just grows longer meanwhile
    return;
  }
  checkpoint_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void sync_thread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nobody waits
    std::vector<sync_callback> batch = std::exchange(pending_, {});
    lock.unlock();
    bool durable = true;
    const auto start = std::chrono::steady_clock::now();
    try {
      store_.sync();
    } catch (const store_error& e) {
      spdlog::critical("store: {}", e.what());
      durable = false;
    }
    sync_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    waiting_.observe(static_cast<double>(batch.size()));
    // A checkpoint runs after the callbacks are posted, beside the owner, so that it delays no
    // acknowledgement or reply. When those have not let the log start over (a commit restarts
    // it only when it finds the log all copied, which a busy owner never does), one runs
    // before them instead: while they wait, the owner writes no burst.
    const bool pause_owner = durable && checkpoints_ != nullptr && checkpoints_->checkpoint_needs_a_pause();
    if (pause_owner) checkpoint();
    post_([batch = std::move(batch), durable] {
      for (const sync_callback& then : batch) then(durable);
    });
    if (durable && !pause_owner) checkpoint();
    lock.lock();
  }
}

}  // namespace tandem
