// `handover org:<id> @old @new`: declared in approvals.h with the approval rounds it hands over.

#include "core/approvals.h"

#include "core/availability.h"
#include "core/calendar.h"
#include "core/dates.h"
#include "core/task_view.h"

#include <algorithm>

namespace tandem {
namespace {

std::string organization_name(const world& w, const std::string& collab, const std::string& org) {
  auto it = w.organizations.find({collab, org});
  return it == w.organizations.end() ? org : it->second.name;
}

bool speaks_for(const membership& m) {
  return m.roles.contains(role::representative) || m.roles.contains(role::alternate);
}

/// How far ahead the onboarding digest shows the shared calendar.
constexpr int onboarding_calendar_days = 28;

/// The successor's onboarding digest: the collaboration, its decisions so far, their open tasks
/// (their own and their organization's), their organization's pending approvals, and the shared
/// calendar's next four weeks.
nlohmann::json onboarding_values(const world& w, const std::string& collab, const person& successor,
                                 const std::string& org, const person& predecessor, const person& facilitator,
                                 bool as_alternate, time_point now) {
  std::string organizations;
  for (const auto& [key, o] : w.organizations) {
    if (key.first == collab) organizations += (organizations.empty() ? "" : ", ") + o.name;
  }
  nlohmann::json decisions = nlohmann::json::array();
  for (const auto& [_, a] : w.approvals) {
    if (a.collaboration != collab || !a.closed_at) continue;
    decisions.push_back({{"number", a.number},
                         {"title", a.title},
                         {"approved", a.approved},
                         {"closed", format_date(local_date(*a.closed_at, successor.time_zone))}});
  }
  std::vector<const task*> open;
  for (const auto& [_, t] : w.tasks) {
    if (t.collaboration == collab && !is_closed(t.status) &&
        (t.assignee_person == successor.id || t.assignee_organization == org)) {
      open.push_back(&t);
    }
  }
  std::ranges::stable_sort(open, [](const task* a, const task* b) {
    if (a->due.has_value() != b->due.has_value()) return a->due.has_value();
    return a->due < b->due;
  });
  nlohmann::json tasks = nlohmann::json::array();
  for (const task* t : open) tasks.push_back(task_view(w, *t, now));
  nlohmann::json approvals = pending_approvals(w, collab, successor);
  nlohmann::json events =
      upcoming_events(w, collab, date::sys_days{local_date(now, successor.time_zone)}, onboarding_calendar_days);
  return {{"name", successor.name},
          {"collaboration", w.collaborations.at(collab).name},
          {"org_name", organization_name(w, collab, org)},
          {"predecessor", predecessor.name},
          {"alternate", as_alternate},
          {"by", facilitator.name},
          {"organizations", std::move(organizations)},
          {"any_decisions", !decisions.empty()},
          {"decisions", std::move(decisions)},
          {"any_tasks", !tasks.empty()},
          {"tasks", std::move(tasks)},
          {"any_approvals", !approvals.empty()},
          {"approvals", std::move(approvals)},
          {"any_events", !events.empty()},
          {"events", std::move(events)}};
}

}  // namespace

void run_handover(command_scope& s, const command& c, const std::function<const person*(const std::string&)>& resolve) {
  const world& w = s.w;
  const std::string& org = c.organization;
  if (!w.organizations.contains({s.collaboration, org})) {
    std::string known;
    for (const auto& [key, _] : w.organizations) {
      if (key.first == s.collaboration) known += (known.empty() ? "" : ", ") + key.second;
    }
    s.reply("error_unknown_organization", {{"org", org}, {"known", known}});
    return;
  }
  const std::string& old_ref = c.targets.at(0).ref;
  const std::string& new_ref = c.targets.at(1).ref;
  const person* old_rep = resolve(old_ref);
  const membership* old_m = old_rep == nullptr ? nullptr : find_membership(w, s.collaboration, old_rep->id);
  if (old_m == nullptr || !old_m->active || old_m->organization != org || !speaks_for(*old_m)) {
    s.reply("error_not_representative", {{"who", old_rep != nullptr ? old_rep->name : old_ref},
                                         {"org", organization_name(w, s.collaboration, org)}});
    return;
  }
  const person* successor = resolve(new_ref);
  if (successor == nullptr) {
    s.reply("error_unknown_person", {{"who", new_ref}});
    return;
  }
  if (successor->id == old_rep->id) {
    s.reply("error_handover_to_self", {{"who", successor->name}});
    return;
  }
  const membership* new_before = find_membership(w, s.collaboration, successor->id);
  if (new_before != nullptr && new_before->active && !new_before->organization.empty() &&
      new_before->organization != org) {
    s.reply("error_member_elsewhere",
            {{"who", successor->name}, {"org", organization_name(w, s.collaboration, new_before->organization)}});
    return;
  }

  // The successor takes the role; the predecessor becomes former (inactive, roles kept as history),
  // unless they also facilitate, in which case only the representative roles leave them.
  membership taking_over =
      new_before != nullptr ? *new_before : membership{s.collaboration, successor->id, org, {}, old_m->tier, true};
  taking_over.active = true;
  taking_over.organization = org;
  taking_over.roles.erase(role::participant);
  for (role r : {role::representative, role::alternate}) {
    if (old_m->roles.contains(r)) taking_over.roles.insert(r);
  }
  membership former = *old_m;
  if (former.roles.contains(role::facilitator)) {
    former.roles.erase(role::representative);
    former.roles.erase(role::alternate);
  } else {
    former.active = false;
  }
  std::vector<action> out{save_membership{former}, save_membership{taking_over}};

  std::string moved;
  int moved_count = 0;
  for (const auto& [number, original] : w.tasks) {
    if (original.collaboration != s.collaboration || original.assignee_person != old_rep->id ||
        is_closed(original.status)) {
      continue;
    }
    task t = original;
    t.assignee_person = successor->id;
    t.updated_at = s.now;
    t.reminded_before = false;  // the reminders are the successor's now
    t.reminded_on_due = false;
    out.push_back(save_task{t});
    out.push_back(record_task_update{t.number, t.status, "handed over from " + old_rep->id + " to " + successor->id,
                                     s.sender.id, s.now});
    moved += (moved.empty() ? " tasks #" : ", #") + std::to_string(number);
    ++moved_count;
  }
  // The organization's pending answers are the successor's to give: their reminders start afresh.
  for (const auto& [_, round] : w.approvals) {
    if (round.collaboration != s.collaboration || round.closed_at) continue;
    approval_round updated = round;
    bool changed = false;
    for (approval_answer& ans : updated.answers) {
      if (ans.organization != org || is_final(ans.state) || !(ans.reminded_deadline || ans.reminded_expected)) continue;
      ans.reminded_deadline = false;
      ans.reminded_expected = false;
      changed = true;
    }
    if (changed) out.push_back(save_approval{std::move(updated)});
  }
  out.push_back(record_audit{audit_entry{s.now, s.collaboration, s.sender.id, "member.handover",
                                         "org:" + org + " " + old_rep->id + " -> " + successor->id + moved}});

  // The onboarding digest sees the world as the handover leaves it.
  world after = w;
  apply_to_world(after, out);
  const nlohmann::json pending = pending_approvals(after, s.collaboration, after.people.at(successor->id));
  if (auto onboarding = direct_message(
          *successor, "handover:" + s.event_key + ":" + successor->id,
          message{"handover_onboarding", onboarding_values(after, s.collaboration, *successor, org, *old_rep, s.sender,
                                                           !taking_over.roles.contains(role::representative), s.now)},
          first_allowed(*successor, w.engine, s.now), message_subject{s.collaboration, {}})) {
    out.push_back(std::move(*onboarding));
  }
  // The reply first, as for every command; then what the handover changes and sends.
  s.reply("handover_done", {{"org", organization_name(w, s.collaboration, org)},
                            {"old", old_rep->name},
                            {"new", successor->name},
                            {"tasks", moved_count},
                            {"approvals", pending.size()}});
  for (action& x : out) s.change(std::move(x));
}

}  // namespace tandem
