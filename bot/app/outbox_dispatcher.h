#pragma once
// Delivers due outbox rows through the platform adapters: render, send, then mark the row sent,
// failed, or due again later (backoff, or the platform's Retry-After). A message an adapter holds
// ready to write in one step (a slash command's HTTP answer) is marked sent, durably, first.

#include "adapters/metrics/metrics_registry.h"
#include "adapters/outbound_adapter.h"
#include "app/template_catalog.h"
#include "app/delivery_gate.h"
#include "core/store.h"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace tandem {

/// How long to wait before attempt number `attempts + 1`: the platform's hint when it gave one,
/// else exponential backoff from 1 s, capped at 5 minutes, so that a platform back after a long
/// outage is used again within 5 minutes. A hinted attempt is due one second more after the
/// outbox's `now`, which counts whole seconds, so it never comes before the hint.
std::chrono::seconds retry_delay(int attempts, std::optional<std::chrono::seconds> hint);

/// A row is given up (marked failed) after this many attempts: about four hours of trying
/// (511 s of doubling delays, then 45 of 5 minutes).
inline constexpr int max_delivery_attempts = 55;

/// Not thread-safe: call it from the core strand; adapters' completions come back through `post`.
class outbox_dispatcher {
 public:
  using post_function = std::function<void(std::function<void()>)>;
  using clock_function = std::function<time_point()>;
  /// Calls its argument on the core strand once every commit made so far is durable: with true,
  /// or with false when the disk refused (durability unknown).
  using after_sync_function = std::function<void(std::function<void(bool durable)>)>;

  /// `gate` is asked about every row before it leaves (and must outlive this); `post` runs a
  /// function on the core strand; `now` reads the clock; `after_sync` waits for the store's sync.
  outbox_dispatcher(store& durable, delivery_gate& gate, const template_catalog& templates, metrics_registry& metrics,
                    post_function post, clock_function now, after_sync_function after_sync);

  /// Sends to `adapter.platform()` destinations through `adapter` (which must outlive this).
  void add(outbound_adapter& adapter);

  /// Says that a pending row becomes due at `due` (a message just put in the outbox).
  void expect(time_point due);

  /// Starts delivering every due row that is not already in flight, after the gate's last look:
  /// a row whose recipient may not be reached yet is postponed to when they may, one no longer
  /// true is withdrawn. One row at a time goes to a destination: a row waits, due, while another
  /// row to the same destination is in flight or an earlier one (a smaller id) waits for a
  /// retry, so a platform's outage does not reorder one recipient's messages, and a row already
  /// handed to an adapter cannot leave before the Retry-After of a 429 its predecessor got. When
  /// the row in flight comes back, the next one goes at once. Looks at the store only when a row
  /// may be due: at the first call, when a row was expected by now, or when the earliest pending
  /// row the store named at the last look has come.
  void dispatch_due();

  /// Starts delivering, before their commit is durable, the written rows that may leave early:
  /// replies (`is_reply_key`) for an adapter that `deduplicates_by_key`. After a power cut the
  /// platform delivers the unacknowledged event again, its replay makes the same key, and the
  /// platform drops the repeat. The other rows wait for the sync and `dispatch_due`.
  void dispatch_written();

  /// Rows handed to an adapter whose outcome has not come back yet, or that are ready to be
  /// written once marked sent.
  std::size_t in_flight() const { return in_flight_.size(); }

 private:
  /// Asks the gate about `row` (not in flight), then starts, postpones or withdraws it.
  void consider(const outbox_row& row, outbound_adapter& adapter);
  /// Renders `body` for `row` and hands it to `adapter`.
  void start(const outbox_row& row, const message& body, outbound_adapter& adapter);
  /// `row` is no longer in flight: runs `outcome`, then lets the next row to its destination go.
  void came_back(const outbox_row& row, const std::function<void()>& outcome);
  void finish(const outbox_row& row, const delivery_result& result);
  /// A row whose message the adapter holds ready: marks it sent, and once that is durable has
  /// the adapter write the message (a kill in between loses it at worst, never sends it twice).
  void mark_then_write(const outbox_row& row, const write_function& write);
  /// What came of writing a message whose row was already marked sent.
  void written(const outbox_row& row, const delivery_result& result);
  /// True when another row to the same destination as `row` is in flight, or an earlier one
  /// waits for a retry; the destination then goes on `waiting_turn_`.
  bool must_wait_its_turn(const outbox_row& row);
  /// `row` no longer waits for a retry; the rows behind it may go at the next look.
  void no_longer_retrying(const outbox_row& row);

  store& store_;
  delivery_gate& gate_;
  const template_catalog& templates_;
  post_function post_;
  clock_function now_;
  after_sync_function after_sync_;
  metric_counter& sent_;
  metric_counter& retries_;
  metric_counter& failed_;
  metric_counter& held_;
  metric_counter& withdrawn_;
  std::map<std::string, outbound_adapter*> adapters_;
  std::set<std::int64_t> in_flight_;
  /// Destinations with a row in flight (one at most each).
  std::set<std::string> sending_to_;
  /// Destinations where a due row was held back; the outcome of the row in flight there looks
  /// again at once.
  std::set<std::string> waiting_turn_;
  /// Destination (platform, workspace, conversation, user) -> the rows to it waiting for a retry
  /// after a failed attempt. Kept in memory: after a restart, order is kept again from the first
  /// failure on.
  std::map<std::string, std::set<std::int64_t>> retrying_;
  /// From when the store is worth a look; nothing: not before a row is expected.
  std::optional<time_point> next_look_ = time_point{};
};

}  // namespace tandem
