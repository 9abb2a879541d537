#pragma once
// Housekeeping some stores need beside their owner, outside the core's store contract.

namespace tandem {

/// A store whose log must be moved into its files now and then, on a thread other than its
/// owner's, after its commits are durable (SQLite in WAL mode: the checkpoint). A store that keeps
/// its log itself (a database server) has none. The sync thread (app/sync_thread.h) runs them.
/// Thread-safe.
class store_checkpoints {
 public:
  virtual ~store_checkpoints() = default;

  /// Moves the log into the files when it is due, beside the owner. True when it moved some.
  /// Throws `store_error`; the log then only grows until a later checkpoint succeeds.
  virtual bool checkpoint() = 0;

  /// True when the checkpoints beside the owner have fallen so far behind (the log keeps growing
  /// while the owner writes) that the next one should run while the owner waits, so the log can
  /// start over.
  virtual bool checkpoint_needs_a_pause() = 0;
};

}  // namespace tandem
