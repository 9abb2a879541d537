#include "app/engine_host.h"

#include "adapters/http/hmac.h"
#include "core/collaboration_secrets.h"
#include "core/dashboard.h"
#include "core/delivery.h"
#include "core/engagement.h"
#include "core/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace tandem {
namespace {

template <typename F>
auto timed(metric_histogram& histogram, F&& operation) {
  const auto start = std::chrono::steady_clock::now();
  struct observe_on_exit {
    metric_histogram& h;
    std::chrono::steady_clock::time_point start;
    ~observe_on_exit() { h.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()); }
  } guard{histogram, start};
  return operation();
}

}  // namespace

engine_host::engine_host(store& durable, metrics_registry& metrics, std::set<std::string> languages)
    : store_(durable),
      languages_(std::move(languages)),
      metrics_(metrics),
      store_seconds_(metrics.histogram("tandem_store_seconds", "Time spent in store operations.",
                                       {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})),
      commands_(metrics.counter("tandem_commands_total", "Commands handled.")),
      duplicates_(metrics.counter("tandem_inbound_duplicates_total", "Inbound events dropped as already recorded.")) {}

std::vector<std::string> engine_host::start(const world& seed, time_point now) {
  engine_settings_ = seed.engine;
  reload();
  auto reconciliation = reconcile_with_store(seed, world_, now);
  if (!reconciliation.additions.empty()) {
    persist(reconciliation.additions, std::nullopt);
    const auto added = std::ranges::count_if(reconciliation.additions, [](const action& a) {
      return !std::holds_alternative<record_audit>(a);
    });
    spdlog::info("config: added {} entries new in the config to the store", added);
  }
  // Each collaboration's secret tokens (calendar feed, report export) are made once and kept.
  if (auto secrets = missing_secrets(world_, random_token); !secrets.empty()) persist(secrets, std::nullopt);
  if (const auto handled = handle_unhandled(now); handled > 0) {
    spdlog::warn("handled {} events recorded earlier but not handled yet (by a follower, or before a crash)", handled);
  }
  return reconciliation.conflicts;
}

void engine_host::follow(const world& seed) {
  engine_settings_ = seed.engine;
  reload();
}

bool engine_host::record_all(const std::vector<inbound>& events, const std::function<void()>& also) {
  try {
    store_.in_one_transaction([&] {
      for (const inbound& event : events) record(event);
      also();
    });
    return true;
  } catch (const store_error& e) {
    spdlog::error("store: a burst of {} events was not recorded (the platforms will retry): {}", events.size(),
                  e.what());
    return false;
  }
}

void engine_host::tick(time_point now) { persist(tandem::tick(world_, now), std::nullopt); }

std::size_t engine_host::handle_unhandled(time_point now) {
  const auto pending = timed(store_seconds_, [&] { return store_.unhandled_responses(); });
  if (pending.empty()) return 0;
  // One transaction (one durable write) for them all; an event whose decision cannot be persisted
  // stays unhandled alone, for the next call.
  in_one_transaction([&] {
    for (const auto& event : pending) {
      try {
        handle_recorded(event.id, event.event, now);
      } catch (const store_error& e) {
        spdlog::error("store: handling {} failed (retried on the next tick): {}", event.event.dedup_key, e.what());
      }
    }
  });
  return pending.size();
}

std::optional<std::int64_t> engine_host::record(const inbound& event) { return record_as(event, recorded_as::unhandled); }

std::optional<std::int64_t> engine_host::record_as(const inbound& event, recorded_as state) {
  auto counter = inbound_by_platform_.find(event.sender.platform);
  if (counter == inbound_by_platform_.end()) {
    counter = inbound_by_platform_
                  .emplace(event.sender.platform,
                           &metrics_.counter("tandem_inbound_events_total", "Inbound events received, duplicates included.",
                                             {{"platform", event.sender.platform}}))
                  .first;
  }
  counter->second->increment();
  auto id = timed(store_seconds_, [&] { return store_.record(event, keeps_text(world_, event), state); });
  if (!id) {
    duplicates_.increment();
  }
  return id;
}

void engine_host::handle_recorded(std::int64_t response_id, const inbound& event, time_point now) {
  decide(event, now, response_id);
}

void engine_host::decide(const inbound& event, time_point now, std::optional<std::int64_t> mark_handled) {
  if (event.addressed) commands_.increment();
  auto actions = handle(world_, event, now);
  complete_sign_ins(world_, actions, [] {
    std::string token = random_token();
    std::string hash = sha256_hex(token);
    return std::pair{std::move(token), std::move(hash)};
  });
  complete_rotations(world_, actions, random_token);
  persist(actions, mark_handled);
}

bool engine_host::record_and_handle(const inbound& event, time_point now) {
  // Recorded as handled, so that handling chatter writes nothing more; undone if handling fails.
  const auto id = record_as(event, recorded_as::handled);
  if (!id) return false;
  try {
    decide(event, now, std::nullopt);
  } catch (const store_error& e) {
    spdlog::error("store: {} recorded, handling it failed (retried on the next tick): {}", event.dedup_key, e.what());
    store_.mark_unhandled(*id);  // when this fails too, the whole transaction fails
  }
  return true;
}

bool engine_host::submit(const inbound& event, time_point now) {
  bool fresh = false;
  in_one_transaction([&] { fresh = record_and_handle(event, now); });
  return fresh;
}

bool engine_host::submit_all(const std::vector<inbound>& events, time_point now) {
  try {
    in_one_transaction([&] {
      for (const inbound& event : events) record_and_handle(event, now);
    });
    return true;
  } catch (const store_error& e) {
    spdlog::error("store: a burst of {} events was not recorded (the platforms will retry): {}", events.size(), e.what());
    return false;
  }
}

void engine_host::in_one_transaction(const std::function<void()>& work) {
  try {
    store_.in_one_transaction(work);
  } catch (const store_error&) {
    reload();  // the world took in what the store did not keep
    throw;
  }
}

learned_zone_decision engine_host::learn_time_zone(const identity& who, const std::string& zone, time_point now) {
  learned_zone_decision decision = on_time_zone_learned(world_, who, zone, now);
  if (!decision.actions.empty()) persist(decision.actions, std::nullopt);
  return decision;
}

delivery_decision engine_host::check(const send_message& m, time_point now) const {
  return check_delivery(world_, m, now);
}

void engine_host::delivered(const outbox_row& row, time_point now) {
  const std::vector<action> changes = on_delivered(row.item, now);
  if (changes.empty()) {
    timed(store_seconds_, [&] {
      store_.mark_sent(row.id, now);
      return 0;
    });
    return;
  }
  in_one_transaction([&] {
    store_.mark_sent(row.id, now);
    persist(changes, std::nullopt);
  });
}

void engine_host::withdrawn(const outbox_row& row, const std::string& reason, time_point now) {
  in_one_transaction([&] {
    store_.withdraw(row.id, reason, now);
    persist(on_withdrawn(row.item, reason, now), std::nullopt);
  });
}

void engine_host::failed(const outbox_row& row, const std::string& reason, time_point now) {
  in_one_transaction([&] {
    store_.mark_failed(row.id, reason, now);
    persist(on_failed(row.item, reason, now), std::nullopt);
  });
}

void engine_host::reload() {
  world_ = timed(store_seconds_, [&] { return store_.load(); });
  world_.languages = languages_;
  world_.engine = engine_settings_;
}

void engine_host::commit(const std::vector<action>& actions) {
  if (actions.empty()) return;
  in_one_transaction([&] { persist(actions, std::nullopt); });
}

void engine_host::persist(const std::vector<action>& actions, std::optional<std::int64_t> handled) {
  timed(store_seconds_, [&] {
    store_.apply(actions, handled);
    return 0;
  });
  apply_to_world(world_, actions);
  if (!queued_) return;
  for (const action& a : actions) {
    if (const auto* m = std::get_if<send_message>(&a)) queued_(m->not_before);
  }
}

}  // namespace tandem
