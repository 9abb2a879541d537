#pragma once
// What the outbox dispatcher needs from a platform adapter: deliver one rendered message.

#include "core/action.h"
#include "core/message.h"

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace tandem {

struct delivery_result;

/// Writes a message an adapter holds ready (a slash command's HTTP answer), then calls `done`
/// with the outcome, exactly once, from any thread. May be called from any thread.
using write_function = std::function<void(std::function<void(delivery_result)> done)>;

/// The outcome of one delivery attempt.
struct delivery_result {
  /// `ready`: the adapter can write the message in one step and wants its row marked sent, durably,
  /// first; the outbox then calls `write` (see outbox_dispatcher).
  enum class outcome { delivered, retry, failed, ready };
  outcome what = outcome::delivered;
  std::string reason;                               ///< for retry and failed: what went wrong
  std::optional<std::chrono::seconds> retry_after;  ///< the platform's own hint (Retry-After)
  write_function write;                             ///< for ready: writes the message

  static delivery_result delivered() { return {}; }
  static delivery_result retry(std::string why, std::optional<std::chrono::seconds> after = std::nullopt) {
    return {outcome::retry, std::move(why), after, {}};
  }
  static delivery_result failed(std::string why) { return {outcome::failed, std::move(why), std::nullopt, {}}; }
  static delivery_result ready(write_function write) { return {outcome::ready, {}, std::nullopt, std::move(write)}; }
};

/// An answer offered with a message, its label rendered in the recipient's language.
struct labelled_answer {
  std::string label;  ///< "Done"
  answer what;
  bool operator==(const labelled_answer&) const = default;
};

/// A message ready for an adapter: neutral markup (see core/markup.h) and the answers it offers.
struct rendered_message {
  std::string markup;
  std::vector<labelled_answer> answers;
  bool operator==(const rendered_message&) const = default;
};

/// A platform's sending side. Implementations translate neutral markup to their platform.
class outbound_adapter {
 public:
  virtual ~outbound_adapter() = default;
  /// The platform name outbox destinations use ("console", "slack", ...).
  virtual std::string platform() const = 0;
  /// Delivers `message` to `to`. `idempotency_key` is stable across retries of the same outbox
  /// row and unique to it. `done` is called exactly once, possibly before deliver returns, from
  /// any thread: the caller re-posts it to its own strand.
  virtual void deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
                       std::function<void(delivery_result)> done) = 0;
  /// True when the platform itself drops a second message sent under the same idempotency key
  /// (Matrix txn ids): then a message may leave before its commit is durable, since a replay
  /// after a power cut sends it under the same key again.
  virtual bool deduplicates_by_key() const { return false; }
};

}  // namespace tandem
