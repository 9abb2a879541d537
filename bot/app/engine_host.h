#pragma once
// Runs the pure engine against the store: record durably, decide, persist the decision and
// keep the in-memory world in step. No Asio here: the runtime calls it on its core strand.

#include "adapters/metrics/metrics_registry.h"
#include "app/config.h"
#include "app/delivery_gate.h"
#include "core/store.h"
#include "core/time_zones.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

/// Owns the world; uses the store; is the outbox dispatcher's delivery gate. Not thread-safe:
/// call it from the core strand only.
class engine_host final : public delivery_gate {
 public:
  engine_host(store& durable, metrics_registry& metrics, std::set<std::string> languages);

  /// Loads the world, adds what is new in the config (returning the conflict lines for the
  /// log), and handles events recorded before a crash but never handled.
  std::vector<std::string> start(const world& seed, time_point now);

  /// A follower's start (several Tandems on one database): loads the world that `record_all` keeps
  /// text by, adding and handling nothing. Called again, reads what the leader changed since.
  void follow(const world& seed);

  /// A follower's inbound path: records a burst of events, unhandled, in one transaction, for the
  /// leader to handle, and runs `also` in that transaction (the leader's wake-up). True when
  /// committed; false when nothing of it was kept (the platforms retry). Duplicates, also within
  /// the burst, are recorded once.
  bool record_all(const std::vector<inbound>& events, const std::function<void()>& also);

  /// Records `event` durably. Returns the response row id, or nothing for a duplicate (an event
  /// with the same dedup key was recorded before). Once it returns, the platform may be acked.
  std::optional<std::int64_t> record(const inbound& event);

  /// Decides about a recorded event and persists the decision in one transaction.
  void handle_recorded(std::int64_t response_id, const inbound& event, time_point now);

  /// Runs the schedules up to `now` (nudges, reminders, silences, digests) and persists the result.
  void tick(time_point now);

  /// Handles every recorded event not handled yet (recorded by a follower, or left by a crash or
  /// a store error while handling); returns how many.
  std::size_t handle_unhandled(time_point now);

  /// Records `event` and decides about it in one transaction; false for a duplicate. Throws
  /// store_error when nothing of it was kept (the world is reloaded from the store).
  bool submit(const inbound& event, time_point now);

  /// Records a burst of events and decides about the new ones in one transaction (group commit:
  /// one durable write per burst). True when the burst is durable, so the platforms may be acked.
  /// False when nothing of it was kept (the world is reloaded from the store): ask them to retry.
  /// An event whose decision could not be persisted stays recorded and unhandled (see
  /// `handle_unhandled`); duplicates, also within the burst, are recorded once.
  bool submit_all(const std::vector<inbound>& events, time_point now);

  /// Decides about the time zone a platform reports for `who` (core on_time_zone_learned) and
  /// persists what was decided. Throws store_error when it could not be persisted (nothing of it
  /// is kept then; the same report may come again).
  learned_zone_decision learn_time_zone(const identity& who, const std::string& zone, time_point now);

  /// Stores `actions` (state decided outside an inbound event, such as a dashboard session) in
  /// one transaction and applies them to the world. Throws store_error when nothing was kept.
  void commit(const std::vector<action>& actions);

  const world& current() const { return world_; }

  delivery_decision check(const send_message& m, time_point now) const override;
  void delivered(const outbox_row& row, time_point now) override;
  void withdrawn(const outbox_row& row, const std::string& reason, time_point now) override;
  void failed(const outbox_row& row, const std::string& reason, time_point now) override;

  /// Calls `listener` with the due time of every message put in the outbox from now on, once its
  /// transaction is written (the outbox dispatcher's `expect`).
  void on_queued(std::function<void(time_point not_before)> listener) { queued_ = std::move(listener); }

 private:
  std::optional<std::int64_t> record_as(const inbound& event, recorded_as state);
  /// Inside a transaction: records `event` as handled, decides and persists the decision; when
  /// persisting fails, the event stays recorded and unhandled. False for a duplicate.
  bool record_and_handle(const inbound& event, time_point now);
  /// Runs the core on `event` and persists its decision, marking `mark_handled` handled with it.
  void decide(const inbound& event, time_point now, std::optional<std::int64_t> mark_handled);
  /// The store's in_one_transaction, reloading the world when it fails.
  void in_one_transaction(const std::function<void()>& work);
  void persist(const std::vector<action>& actions, std::optional<std::int64_t> handled);
  /// Replaces the world with what the store holds (after a transaction that did not commit).
  void reload();

  store& store_;
  world world_;
  engine_settings engine_settings_;  ///< the config's knobs, not stored
  std::set<std::string> languages_;
  std::function<void(time_point)> queued_;
  metrics_registry& metrics_;
  metric_histogram& store_seconds_;
  metric_counter& commands_;
  metric_counter& duplicates_;
  std::map<std::string, metric_counter*, std::less<>> inbound_by_platform_;  ///< tandem_inbound_events_total
};

}  // namespace tandem
