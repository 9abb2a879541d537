#pragma once
// What every platform adapter repeats: the strand its work is serialized on, the clock it checks
// signatures and links at, where its log lines go, the timers it cancels when it stops, and a
// guard that drops callbacks arriving after the adapter is gone.

#include "adapters/adapter_log.h"
#include "adapters/platform_adapter.h"
#include "core/model.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

namespace tandem {

/// One adapter's strand, clock, log and timers. Created with the adapter's state and used on its
/// strand (or, for an adapter on a single-threaded io_context, on that thread); `now`, `log` and
/// `post` may be called from any thread.
class adapter_context {
 public:
  using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

  /// A context on `io` (which must outlive it). `clock` empty: the system clock; `log` empty: no
  /// logging.
  adapter_context(boost::asio::io_context& io, std::function<time_point()> clock, adapter_log log);
  ~adapter_context();
  adapter_context(const adapter_context&) = delete;
  adapter_context& operator=(const adapter_context&) = delete;

  boost::asio::io_context& io() const { return io_; }
  const strand_type& strand() const { return strand_; }

  /// Now on the adapter's clock: the injected one, else the system clock to the second.
  time_point now() const;

  /// Writes a log line at `level` ("error", "warn", "info", "debug") when there is a log.
  void log(std::string_view level, std::string_view message) const {
    if (log_) log_(level, message);
  }
  /// The log itself, for the parts an adapter hands it to.
  const adapter_log& log_function() const { return log_; }

  /// Runs `f` on the strand.
  template <typename F>
  void post(F&& f) const {
    boost::asio::post(strand_, std::forward<F>(f));
  }

  /// Hands `event` to `sink`; `then(stored)` runs on the strand, the owner held until it has.
  void store_then(const inbound_sink& sink, inbound event, std::function<void(bool stored)> then) const;

  /// Runs `f(true)` on the strand at `when`, or `f(false)` when the adapter stops first.
  void at(std::chrono::steady_clock::time_point when, std::function<void(bool fired)> f);
  /// Runs `f` on the strand after `delay`, unless the adapter stops first.
  void after(std::chrono::steady_clock::duration delay, std::function<void()> f);

  /// From now on stopping() is true, and every waiting timer ends (its function gets false).
  void stop();
  bool stopping() const;

  /// Ties the context to the shared object that owns the adapter's parts: hold() then keeps
  /// that object alive while a callback holding it is pending (set once, before anything runs).
  void set_owner(std::weak_ptr<const void> owner) { owner_ = std::move(owner); }
  /// The owner, to capture in a callback that must find the adapter's parts alive.
  std::shared_ptr<const void> hold() const { return owner_.lock(); }

  /// `f`, doing nothing once this context (and so the adapter holding it) is destroyed.
  template <typename F>
  auto guard(F f) const {
    return [alive = std::weak_ptr<const char>(alive_), f = std::move(f)](auto&&... args) mutable {
      if (const auto still = alive.lock()) f(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  struct waits;  // the timers waiting and the stopping flag, shared with the waits themselves

  boost::asio::io_context& io_;
  strand_type strand_;
  std::function<time_point()> clock_;
  adapter_log log_;
  std::shared_ptr<waits> waits_;
  std::shared_ptr<const char> alive_;
  std::weak_ptr<const void> owner_;
};

}  // namespace tandem
