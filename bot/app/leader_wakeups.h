#pragma once
// How the leading Tandem hears that a follower recorded events for it: PostgreSQL notifications
// (LISTEN/NOTIFY) on the leadership connection, watched on the io_context without blocking it.

#include "storage/postgresql/postgresql_store.h"

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

/// Listens on `postgresql_leadership::inbound_channel` and calls `woken` on the io_context's
/// thread each time notifications arrive, so that the leader handles a follower's events at once
/// instead of at its next tick. A broken connection ends the watch (logged): the leader's check
/// of its lock notices the same and stops it. Used on the io_context's thread.
class leader_wakeups {
 public:
  /// `leadership` must outlive this and lead already.
  leader_wakeups(boost::asio::io_context& io, postgresql_leadership& leadership, std::function<void()> woken);
  ~leader_wakeups();
  leader_wakeups(const leader_wakeups&) = delete;
  leader_wakeups& operator=(const leader_wakeups&) = delete;

  /// Starts listening; throws `store_error` when the server refuses.
  void start();
  /// Stops watching (the shutdown).
  void stop();

 private:
  struct watch;
  std::shared_ptr<watch> watch_;
};

}  // namespace tandem
