#pragma once
// A small collaboration for core tests: one facilitator, two organizations, a representative,
// an alternate and participants, all on the console.

#include "core/delivery.h"
#include "core/engine.h"
#include "core/model.h"

#include <date/date.h>

#include <string>

namespace tandem::testing {

/// 2026-11-25 10:00 UTC, a Wednesday.
inline time_point sample_now() {
  return date::sys_days{date::year{2026} / 11 / 25} + std::chrono::hours{10};
}

inline person console_person(std::string id, std::string name, std::string zone = "Europe/Berlin") {
  person p;
  p.id = id;
  p.name = std::move(name);
  p.time_zone = std::move(zone);
  p.identities = {identity{"console", "", std::move(id)}};
  return p;
}

inline void add_member(world& w, person p, std::string org, std::set<role> roles) {
  w.memberships[{"river", p.id}] = membership{"river", p.id, std::move(org), std::move(roles), tier::active, true};
  w.people[p.id] = std::move(p);
}

inline world sample_world() {
  world w;
  w.collaborations["river"] = collaboration{"river", "River Alliance", false, {room{"console", "", "river-room"}}};
  w.organizations[{"river", "backbone"}] = organization{"river", "backbone", "Backbone Trust"};
  w.organizations[{"river", "city"}] = organization{"river", "city", "City of Millbrook"};
  add_member(w, console_person("ana", "Ana"), "backbone", {role::facilitator});
  add_member(w, console_person("bob", "Bob", "America/New_York"), "city", {role::representative});
  add_member(w, console_person("cy", "Cy"), "city", {role::alternate});
  add_member(w, console_person("dee", "Dee"), "city", {role::participant});
  return w;
}

/// A command typed by `who` in their DM with Tandem on the console.
inline inbound typed(const std::string& who, std::string text, time_point at = sample_now()) {
  static int counter = 0;
  return inbound{"console:" + who + ":" + std::to_string(++counter), identity{"console", "", who}, "dm:" + who, true,
                 true, inbound_kind::command, std::move(text), at, ""};
}

/// A command typed by `who` in the collaboration's shared room on the console.
inline inbound typed_in_room(const std::string& who, std::string text, time_point at = sample_now()) {
  inbound event = typed(who, std::move(text), at);
  event.direct = false;
  event.conversation = "river-room";
  return event;
}

/// The replies and notices among actions, with the reply of a sign-in link or a new token as the
/// core decided it (the host adds the link: core/dashboard.h complete_sign_ins,
/// core/collaboration_secrets.h complete_rotations).
inline std::vector<send_message> messages_in(const std::vector<action>& actions) {
  std::vector<send_message> out;
  for (const action& a : actions) {
    if (const auto* m = std::get_if<send_message>(&a)) out.push_back(*m);
    if (const auto* link = std::get_if<issue_sign_in>(&a)) out.push_back(link->reply);
    if (const auto* rotation = std::get_if<rotate_secret>(&a)) out.push_back(rotation->reply);
  }
  return out;
}

/// Handles `text` from `who`, applies the state changes to `w`, and returns the messages sent.
inline std::vector<send_message> say(world& w, const std::string& who, std::string text, time_point at = sample_now()) {
  auto actions = handle(w, typed(who, std::move(text), at), at);
  apply_to_world(w, actions);
  return messages_in(actions);
}

/// Handles `text` from `who` in the shared room, as `say` does in their DM.
inline std::vector<send_message> say_in_room(world& w, const std::string& who, std::string text,
                                             time_point at = sample_now()) {
  auto actions = handle(w, typed_in_room(who, std::move(text), at), at);
  apply_to_world(w, actions);
  return messages_in(actions);
}

/// Hands `messages` to the last look before delivery at `at`, as the outbox dispatcher does, and
/// applies what delivering them changes (a nudge counts as sent). Returns those delivered now.
inline std::vector<send_message> deliver(world& w, const std::vector<send_message>& messages, time_point at) {
  std::vector<send_message> delivered;
  for (const send_message& m : messages) {
    if (!std::holds_alternative<deliver_now>(check_delivery(w, m, at))) continue;
    apply_to_world(w, on_delivered(m, at));
    delivered.push_back(m);
  }
  return delivered;
}

}  // namespace tandem::testing
