#include "core/action.h"

#include <algorithm>
#include <type_traits>

namespace tandem {

namespace {

/// Asks the next tick to look at each of the person's memberships.
void touch_person(world& w, const std::string& person) {
  if (!w.wakes.primed()) return;
  for (const auto& [id, _] : w.collaborations) {
    if (w.memberships.contains({id, person})) w.wakes.touch({id, person});
  }
}

/// Asks the next tick to look at a changed member and at everyone in its organization before and
/// after the change (an organization's silence and its alternate depend on all of them).
void touch_organization_of(world& w, const membership& changed) {
  if (!w.wakes.primed()) return;
  w.wakes.touch({changed.collaboration, changed.person});
  const membership* before = find_membership(w, changed.collaboration, changed.person);
  const std::string old_organization = before != nullptr ? before->organization : std::string{};
  for (auto it = w.memberships.lower_bound({changed.collaboration, ""});
       it != w.memberships.end() && it->first.first == changed.collaboration; ++it) {
    const std::string& org = it->second.organization;
    if (!org.empty() && (org == changed.organization || org == old_organization)) w.wakes.touch(it->first);
  }
}

constexpr std::string_view reply_prefix = "reply:";
constexpr std::string_view notification_prefix = "notify:";

}  // namespace

std::string reply_key(std::string_view dedup_key, int index) {
  return std::string{reply_prefix}.append(dedup_key).append(":").append(std::to_string(index));
}

std::string notification_key(std::string_view dedup_key, std::string_view person) {
  return std::string{notification_prefix}.append(dedup_key).append(":").append(person);
}

bool is_reply_key(std::string_view key) { return key.starts_with(reply_prefix); }

std::optional<send_message> direct_message(const person& p, std::string key, message body, time_point not_before,
                                           message_subject about) {
  if (p.identities.empty()) return std::nullopt;
  const identity& where = p.identities.front();
  return send_message{std::move(key), destination{where.platform, where.workspace, "", where.user, p.id, p.language, ""},
                      std::move(body), not_before, std::move(about)};
}

std::string task_assignee(const task& t) {
  return t.assignee_person.empty() ? "org:" + t.assignee_organization : t.assignee_person;
}

message_subject subject_of(const task& t) {
  return message_subject{t.collaboration, about_task{t.number, task_assignee(t), t.due}};
}

nlohmann::json subject_to_json(const message_subject& about) {
  nlohmann::json out = nlohmann::json::object();
  if (!about.collaboration.empty()) out["collaboration"] = about.collaboration;
  if (const auto* t = std::get_if<about_task>(&about.what)) {
    out["task"] = {{"number", t->number}, {"assignee", t->assignee}};
    if (t->due) out["task"]["due"] = t->due->time_since_epoch().count();
  } else if (const auto* a = std::get_if<about_approval>(&about.what)) {
    out["approval"] = {{"number", a->number}, {"organization", a->organization}, {"to_answerer", a->to_answerer}};
  } else if (const auto* s = std::get_if<about_silence>(&about.what)) {
    out["silence"] = {{"subject", std::string{to_string(s->subject)}}, {"id", s->id}, {"episode", s->episode}};
  } else if (std::holds_alternative<about_nudge>(about.what)) {
    out["nudge"] = true;
  }
  return out;
}

message_subject subject_from_json(const nlohmann::json& json) {
  message_subject about;
  if (!json.is_object()) return about;
  about.collaboration = json.value("collaboration", "");
  if (const auto t = json.find("task"); t != json.end() && t->is_object()) {
    about_task subject{t->value("number", std::int64_t{0}), t->value("assignee", ""), std::nullopt};
    if (const auto due = t->find("due"); due != t->end() && due->is_number_integer()) {
      using due_type = decltype(task::due)::value_type;
      subject.due = due_type{due_type::duration{due->get<std::int64_t>()}};
    }
    about.what = std::move(subject);
  } else if (const auto a = json.find("approval"); a != json.end() && a->is_object()) {
    about.what = about_approval{a->value("number", std::int64_t{0}), a->value("organization", ""),
                                a->value("to_answerer", false)};
  } else if (const auto si = json.find("silence"); si != json.end() && si->is_object()) {
    const auto subject = silence_subject_from_string(si->value("subject", ""));
    if (subject) about.what = about_silence{*subject, si->value("id", ""), si->value("episode", 0)};
  } else if (json.value("nudge", false)) {
    about.what = about_nudge{};
  }
  return about;
}

namespace {

void keep_recent(std::deque<time_point>& recent, time_point at) {
  recent.insert(std::upper_bound(recent.begin(), recent.end(), at), at);
  while (recent.size() > recent_response_count) recent.pop_front();
}

}  // namespace

void note_presence(world& w, const std::string& person, time_point at) {
  auto& last = w.last_response[person];
  last = std::max(last, at);
  keep_recent(w.recent_responses[person], at);
}

void note_response(world& w, const std::string& person, time_point at) {
  note_presence(w, person, at);
  keep_recent(w.recent_answers[person], at);
  ++w.monthly_responses[person][month_of(at)];
  // No touch: a response only moves a member's next look later, and the silence it ends is a
  // save_silence, which touches.
}

namespace {

/// The latest nudge of `person` in each collaboration that a response at `at` answers.
template <typename World, typename F>
void for_each_open_nudge(World& w, const std::string& person, time_point at, F&& f) {
  for (const auto& [id, _] : w.collaborations) {
    auto it = w.nudges.find({id, person});
    if (it == w.nudges.end() || it->second.empty()) continue;
    auto& latest = it->second.back();
    if (!latest.answered && latest.sent <= at) f(latest);
  }
}

}  // namespace

bool answers_a_nudge(const world& w, const std::string& person, time_point at) {
  bool open = false;
  for_each_open_nudge(w, person, at, [&](const nudge_record&) { open = true; });
  return open;
}

void apply_to_world(world& w, const std::vector<action>& actions) {
  for (const action& a : actions) {
    std::visit(
        [&w](const auto& change) {
          using T = std::decay_t<decltype(change)>;
          if constexpr (std::is_same_v<T, save_collaboration>) {
            w.collaborations[change.value.id] = change.value;
          } else if constexpr (std::is_same_v<T, save_organization>) {
            w.organizations[{change.value.collaboration, change.value.id}] = change.value;
          } else if constexpr (std::is_same_v<T, save_person>) {
            w.people[change.value.id] = change.value;
            touch_person(w, change.value.id);
          } else if constexpr (std::is_same_v<T, save_membership>) {
            touch_organization_of(w, change.value);
            w.memberships[{change.value.collaboration, change.value.person}] = change.value;
          } else if constexpr (std::is_same_v<T, save_tier_policy>) {
            w.tiers[change.which] = change.value;
            w.wakes.forget();
          } else if constexpr (std::is_same_v<T, save_task>) {
            w.tasks[change.value.number] = change.value;
          } else if constexpr (std::is_same_v<T, save_approval>) {
            w.approvals[change.value.number] = change.value;
          } else if constexpr (std::is_same_v<T, record_audit>) {
            w.audit.push_back(change.value);
          } else if constexpr (std::is_same_v<T, note_activity>) {
            if (!change.person.empty()) {
              if (change.presence_only) {
                note_presence(w, change.person, change.at);
              } else {
                note_response(w, change.person, change.at);
              }
              if (change.answers_nudge) {
                for_each_open_nudge(w, change.person, change.at, [&](nudge_record& n) { n.answered = change.at; });
              }
            }
            if (!change.room_collaboration.empty()) {
              auto& room = w.room_activity[change.room_collaboration];
              room = std::max(room, change.at);
            }
          } else if constexpr (std::is_same_v<T, save_engagement>) {
            w.engagements[{change.value.collaboration, change.value.person}] = change.value;
          } else if constexpr (std::is_same_v<T, save_silence>) {
            w.silences[{change.value.collaboration, change.value.subject, change.value.id}] = change.value;
            if (change.value.subject == silence_subject::person) w.wakes.touch({change.value.collaboration, change.value.id});
          } else if constexpr (std::is_same_v<T, record_tick>) {
            w.last_tick = change.at;
            if (!w.first_tick) w.first_tick = change.at;
            if (change.looked_at_everyone) w.wakes.forget();
            for (const auto& [member, wake] : change.wakes) w.wakes.set(member, wake);
            if (change.looked_at_everyone) w.wakes.prime();
          } else if constexpr (std::is_same_v<T, save_event>) {
            w.events[change.value.number] = change.value;
          } else if constexpr (std::is_same_v<T, record_nudge>) {
            auto& sent = w.nudges[{change.collaboration, change.person}];
            if (sent.empty() || sent.back().sent < change.sent) sent.push_back(nudge_record{change.sent, std::nullopt});
          } else if constexpr (std::is_same_v<T, save_pulse>) {
            w.pulses[{change.value.collaboration, change.value.month, change.value.person}] = change.value;
          } else if constexpr (std::is_same_v<T, save_round>) {
            w.rounds[{change.collaboration, change.round}] = change.period;
          } else if constexpr (std::is_same_v<T, save_secret>) {
            w.secrets[{change.collaboration, change.purpose}] = change.value;
          } else if constexpr (std::is_same_v<T, save_sign_in>) {
            w.sign_ins[change.value.token_hash] = change.value;
          } else if constexpr (std::is_same_v<T, save_session>) {
            w.sessions[change.value.id_hash] = change.value;
          } else if constexpr (std::is_same_v<T, learn_time_zone>) {
            auto it = w.people.find(change.person);
            if (it != w.people.end() && it->second.time_zone_origin == zone_origin::defaulted) {
              it->second.time_zone = change.zone;
              it->second.time_zone_origin = zone_origin::learned;
              touch_person(w, change.person);
            }
          }
          // send_message, record_task_update, issue_sign_in and rotate_secret (both completed before
          // they are applied) are not part of the world.
        },
        a);
  }
}

}  // namespace tandem
