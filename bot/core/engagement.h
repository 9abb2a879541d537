#pragma once
// The engagement engine's clockwork: nudges on each tier's schedule, task reminders and overdue
// escalations, silence detection with its escalation ladder, and facilitator digests. Pure.

#include "core/action.h"
#include "core/model.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace tandem {

/// Runs everything scheduled up to `now`. The same world and `now` give the same actions, and
/// every message has a key derived from what it is about (`nudge:<collab>:<person>:<slot>`,
/// `remind:<task>:before:<person>`, `silence:<collab>:person:<id>:<episode>:dm`, ...), so a tick
/// repeated after a crash sends nothing twice. Looks only at the members the world's wake_index
/// says are due (everyone when it is not primed) and ends with a `record_tick` carrying their next
/// wake times, so its cost follows the number of members due, not the number of people.
std::vector<action> tick(const world& w, time_point now);

/// Actions that end the open silences a response from `person` ends: their own in each of their
/// collaborations, their organization's, and the lull of `room_collaboration` (when not empty).
std::vector<action> end_silences(const world& w, const std::string& person, const std::string& room_collaboration,
                                 time_point at);

/// The facilitator digest of a collaboration for `facilitator`: silences, overdue tasks, tasks
/// done since `since`, and engagement by organization since `since` (the last 7 days if none).
nlohmann::json digest_values(const world& w, const std::string& collaboration, const person& facilitator,
                             std::optional<time_point> since, time_point now);

/// The messages of a collaboration the outbox gave up on since `since` (audit `outbox.failed`),
/// oldest first, for the digest and `status`: each {"when": local time in `zone`, "detail":
/// "<where>: <reason>"}.
nlohmann::json failed_deliveries(const world& w, const std::string& collaboration, time_point since,
                                 const std::string& zone);

/// The open silences of a collaboration, for `silent`: who, since when, what was tried.
nlohmann::json silence_values(const world& w, const std::string& collaboration, const person& viewer, time_point now);

/// The nudge a member gets now: their open tasks, due soonest first, and one concrete ask.
message nudge_message(const world& w, const std::string& collaboration, const person& p, time_point now);

}  // namespace tandem
