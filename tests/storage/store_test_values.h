#pragma once
// What the store tests write and how they look at it, shared by the contract tests and the
// SQLite store's own.

#include "core/action.h"
#include "core/store.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tandem::testing {

/// 2026-11-25 10:00 UTC.
inline constexpr time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + std::chrono::hours{10};

/// The message of the store_error `operation` throws; fails the test when it throws none.
template <typename Operation>
std::string store_error_of(Operation&& operation) {
  try {
    operation();
  } catch (const store_error& e) {
    return e.what();
  }
  FAIL("expected a store_error");
  return {};
}

inline inbound event_from(identity sender, std::string dedup_key, time_point at, std::string text = "hello") {
  return inbound{std::move(dedup_key),  std::move(sender), "C1", false, true,
                 inbound_kind::message, std::move(text),   at,  ""};
}

inline send_message message_with_key(std::string key, time_point not_before = t0) {
  send_message m;
  m.key = std::move(key);
  m.to = destination{"slack", "T1", "", "U1", "ana", "de", ""};
  m.body.kind = "nudge";
  m.body.values = {{"name", "Ana"}, {"count", 3}, {"late", true}, {"tasks", {{{"number", 1}, {"title", "Map"}}}}};
  m.not_before = not_before;
  return m;
}

inline person person_with(const std::string& id, std::vector<identity> identities) {
  person p;
  p.id = id;
  p.name = "Person " + id;
  p.identities = std::move(identities);
  return p;
}

inline std::vector<std::string> keys_of(const std::vector<outbox_row>& rows) {
  std::vector<std::string> keys;
  keys.reserve(rows.size());
  for (const outbox_row& row : rows) keys.push_back(row.item.key);
  return keys;
}

/// The outbox row with exactly `key`; fails the test when there is none.
inline outbox_row row_with_key(store& durable, const std::string& key) {
  for (outbox_row& row : durable.outbox_rows(key)) {
    if (row.item.key == key) return row;
  }
  FAIL("no outbox row " << key);
  return {};
}

/// Applies `actions` to the world and to the store alike, as the runtime does.
inline void apply_both(world& w, store& durable, const std::vector<action>& actions,
                       std::optional<std::int64_t> handled = std::nullopt) {
  apply_to_world(w, actions);
  durable.apply(actions, handled);
}

}  // namespace tandem::testing
