#pragma once
// What the outbox dispatcher needs from a platform adapter: deliver one rendered message.

#include "core/action.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace tandem {

/// The outcome of one delivery attempt.
struct delivery_result {
  enum class outcome { delivered, retry, failed };
  outcome what = outcome::delivered;
  std::string reason;                               ///< for retry and failed: what went wrong
  std::optional<std::chrono::seconds> retry_after;  ///< the platform's own hint (Retry-After)

  static delivery_result delivered() { return {}; }
  static delivery_result retry(std::string why, std::optional<std::chrono::seconds> after = std::nullopt) {
    return {outcome::retry, std::move(why), after};
  }
  static delivery_result failed(std::string why) { return {outcome::failed, std::move(why), std::nullopt}; }
};

/// A platform's sending side. Implementations translate neutral markup to their platform.
class outbound_adapter {
 public:
  virtual ~outbound_adapter() = default;
  /// The platform name outbox destinations use ("console", "slack", ...).
  virtual std::string platform() const = 0;
  /// Delivers `markup` (neutral markup, already rendered) to `to`. `idempotency_key` is stable
  /// across retries of the same outbox row. `done` is called exactly once, possibly before
  /// deliver returns, from any thread: the caller re-posts it to its own strand.
  virtual void deliver(const destination& to, const std::string& markup, const std::string& idempotency_key,
                       std::function<void(delivery_result)> done) = 0;
};

}  // namespace tandem
