#include "app/leader_wakeups.h"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <unistd.h>

#include <system_error>

namespace tandem {

/// The descriptor Asio watches is a duplicate of libpq's socket, so that closing it leaves the
/// connection to libpq.
struct leader_wakeups::watch : std::enable_shared_from_this<watch> {
  watch(boost::asio::io_context& io, postgresql_leadership& l, std::function<void()> w)
      : leadership(l), woken(std::move(w)), descriptor(io) {}

  void wait() {
    descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (ec) return;  // stopped
                            self->take();
                          });
  }

  void take() {
    try {
      if (leadership.take_notifications() > 0) woken();
    } catch (const store_error& e) {
      spdlog::error("store: no more wake-ups from followers: {}", e.what());
      return;
    }
    wait();
  }

  postgresql_leadership& leadership;
  std::function<void()> woken;
  boost::asio::posix::stream_descriptor descriptor;
};

leader_wakeups::leader_wakeups(boost::asio::io_context& io, postgresql_leadership& leadership,
                               std::function<void()> woken)
    : watch_(std::make_shared<watch>(io, leadership, std::move(woken))) {}

leader_wakeups::~leader_wakeups() { stop(); }

void leader_wakeups::start() {
  watch_->leadership.listen(postgresql_leadership::inbound_channel);
  const int socket = ::dup(watch_->leadership.socket());
  if (socket < 0) throw store_error("cannot watch the leadership connection: " + std::system_category().message(errno));
  watch_->descriptor.assign(socket);
  // Notifications that came with the answer to LISTEN (or before) are read before the first wait.
  watch_->take();
}

void leader_wakeups::stop() {
  boost::system::error_code ignored;
  watch_->descriptor.close(ignored);
}

}  // namespace tandem
