#include "adapters/adapter_context.h"

#include <boost/asio/steady_timer.hpp>

#include <set>

namespace tandem {

struct adapter_context::waits {
  std::set<std::shared_ptr<boost::asio::steady_timer>> timers;
  bool stopping = false;
};

adapter_context::adapter_context(boost::asio::io_context& io, std::function<time_point()> clock, adapter_log log)
    : io_(io),
      strand_(boost::asio::make_strand(io)),
      clock_(std::move(clock)),
      log_(std::move(log)),
      waits_(std::make_shared<waits>()),
      alive_(std::make_shared<const char>('\0')) {}

adapter_context::~adapter_context() = default;

time_point adapter_context::now() const {
  return clock_ ? clock_() : std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

void adapter_context::store_then(const inbound_sink& sink, inbound event, std::function<void(bool)> then) const {
  sink(std::move(event),
       [this, owner = hold(), then = std::move(then)](bool stored) { post([owner, then, stored] { then(stored); }); });
}

void adapter_context::at(std::chrono::steady_clock::time_point when, std::function<void(bool fired)> f) {
  auto timer = std::make_shared<boost::asio::steady_timer>(strand_, when);
  waits_->timers.insert(timer);
  timer->async_wait([w = waits_, timer, f = std::move(f)](const boost::system::error_code& ec) {
    w->timers.erase(timer);
    f(!ec && !w->stopping);
  });
}

void adapter_context::after(std::chrono::steady_clock::duration delay, std::function<void()> f) {
  at(std::chrono::steady_clock::now() + delay, [f = std::move(f)](bool fired) {
    if (fired) f();
  });
}

void adapter_context::stop() {
  waits_->stopping = true;
  for (const auto& timer : waits_->timers) timer->cancel();
}

bool adapter_context::stopping() const { return waits_->stopping; }

}  // namespace tandem
