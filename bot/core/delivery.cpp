#include "core/delivery.h"

#include "core/approvals.h"
#include "core/availability.h"
#include "core/engagement.h"

#include <optional>

namespace tandem {
namespace {

using reason = std::optional<std::string>;

reason task_gone(const world& w, const about_task& about) {
  const std::string number = "#" + std::to_string(about.number);
  const auto it = w.tasks.find(about.number);
  if (it == w.tasks.end()) return "task " + number + " no longer exists";
  const task& t = it->second;
  if (is_closed(t.status)) return "task " + number + " is " + std::string{to_string(t.status)};
  if (task_assignee(t) != about.assignee) return "task " + number + " was reassigned";
  if (t.due != about.due) return "task " + number + " was re-dated";
  return std::nullopt;
}

bool answers_for(const world& w, const std::string& collab, const std::string& organization, const std::string& person) {
  const membership* m = find_membership(w, collab, person);
  return m != nullptr && m->active && m->organization == organization &&
         (m->roles.contains(role::representative) || m->roles.contains(role::alternate));
}

reason approval_gone(const world& w, const std::string& collab, const about_approval& about, const std::string& recipient) {
  const std::string round = "A" + std::to_string(about.number);
  const auto it = w.approvals.find(about.number);
  if (it == w.approvals.end()) return "round " + round + " no longer exists";
  const approval_round& a = it->second;
  for (const approval_answer& answer : a.answers) {
    if (answer.organization == about.organization && is_final(answer.state)) {
      return "org:" + about.organization + " has answered round " + round;
    }
  }
  if (a.closed_at) return "round " + round + " is closed";
  if (about.to_answerer && !answers_for(w, collab, about.organization, recipient)) {
    return recipient + " no longer answers for org:" + about.organization;
  }
  return std::nullopt;
}

reason silence_gone(const world& w, const std::string& collab, const about_silence& about) {
  const auto it = w.silences.find({collab, about.subject, about.id});
  if (it == w.silences.end() || it->second.episode != about.episode || it->second.ended) {
    return "the silence of " + about.id + " has ended";
  }
  return std::nullopt;
}

/// Why `m` is no longer true, if it is not.
reason gone(const world& w, const send_message& m) {
  const message_subject& about = m.about;
  const std::string& recipient = m.to.person;
  if (!about.collaboration.empty() && !recipient.empty()) {
    const membership* member = find_membership(w, about.collaboration, recipient);
    if (member == nullptr || !member->active) return recipient + " is no longer a member of " + about.collaboration;
  }
  if (const auto* t = std::get_if<about_task>(&about.what)) return task_gone(w, *t);
  if (const auto* a = std::get_if<about_approval>(&about.what)) return approval_gone(w, about.collaboration, *a, recipient);
  if (const auto* s = std::get_if<about_silence>(&about.what)) return silence_gone(w, about.collaboration, *s);
  return std::nullopt;
}

/// The person a message waits for, if it is one that waits: not a room, not a reply.
const person* waits_for(const world& w, const send_message& m) {
  if (!m.to.conversation.empty() || m.to.person.empty() || is_reply_key(m.key)) return nullptr;
  const auto it = w.people.find(m.to.person);
  return it == w.people.end() ? nullptr : &it->second;
}

}  // namespace

delivery_decision check_delivery(const world& w, const send_message& m, time_point now) {
  if (reason why = gone(w, m)) return withdraw{std::move(*why)};
  if (const person* p = waits_for(w, m); p != nullptr && !reachable_at(*p, w.engine, now)) {
    return hold_until{first_allowed(*p, w.engine, now)};
  }
  if (std::holds_alternative<about_nudge>(m.about.what)) {
    const auto p = w.people.find(m.to.person);
    if (p != w.people.end()) return deliver_now{nudge_message(w, m.about.collaboration, p->second, now)};
  }
  return deliver_now{};
}

std::vector<action> on_delivered(const send_message& m, time_point at) {
  if (!std::holds_alternative<about_nudge>(m.about.what) || m.to.person.empty()) return {};
  return {record_nudge{m.about.collaboration, m.to.person, at}};
}

std::vector<action> on_withdrawn(const send_message& m, const std::string& reason, time_point at) {
  return {record_audit{audit_entry{at, m.about.collaboration, "system", "outbox.withdrawn", m.key + ": " + reason}}};
}

std::string delivery_place(const destination& to) {
  // A webhook channel is named by the config (its messages to a person go to the channel too).
  std::string place = to.platform == "webhook" ? to.workspace : to.conversation;
  if (place.empty()) place = "@" + (to.person.empty() ? to.user : to.person);
  return to.platform + ":" + place;
}

std::vector<action> on_failed(const send_message& m, const std::string& reason, time_point at) {
  return {record_audit{audit_entry{at, m.about.collaboration, "system", std::string{failed_delivery_action},
                                   delivery_place(m.to) + ": " + reason}}};
}

}  // namespace tandem
