#include "core/engine.h"

#include "core/approvals.h"
#include "core/availability.h"
#include "core/calendar.h"
#include "core/command.h"
#include "core/dashboard.h"
#include "core/dates.h"
#include "core/engagement.h"
#include "core/reports.h"
#include "core/store.h"
#include "core/task_view.h"
#include "core/time_zones.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace tandem {
namespace {

std::string flag_name(std::string_view command_name) {
  std::string out{command_name};
  std::ranges::replace(out, ' ', '_');
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::ranges::all_of(id, [](char ch) {
           return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
         });
}

/// One inbound event being handled: who sent it, where, and the actions decided so far.
class request {
 public:
  request(const world& w, const inbound& event, const person& sender, time_point now)
      : w_(w), event_(event), sender_(sender), now_(now) {}

  const world& w() const { return w_; }
  const inbound& event() const { return event_; }
  const person& sender() const { return sender_; }
  time_point now() const { return now_; }
  const std::string& collaboration() const { return collaboration_; }
  void set_collaboration(std::string id) { collaboration_ = std::move(id); }
  date::year_month_day today() const { return local_date(now_, sender_.time_zone); }

  /// Answers the sender where they wrote.
  void reply(std::string kind, nlohmann::json values) { reply_in(sender_.language, std::move(kind), std::move(values)); }

  /// Answers the sender in `language` (a `lang` change is confirmed in the new language).
  void reply_in(const std::string& language, std::string kind, nlohmann::json values) {
    destination to{event_.sender.platform, event_.sender.workspace, event_.conversation,
                   event_.sender.user, sender_.id, language, event_.reply_handle};
    actions_.push_back(send_message{reply_key(event_.dedup_key, replies_++), std::move(to),
                                    message{std::move(kind), std::move(values)}, now_});
  }

  /// Tells another person, in a direct message on their own platform, offering `answers`. It waits
  /// for their allowed hour and is checked again then (core/delivery.h): by default only that they
  /// are still a member of the request's collaboration.
  void notify(const person& p, std::string kind, nlohmann::json values, const std::vector<answer>& answers = {},
              std::optional<message_subject> about = std::nullopt) {
    message body{std::move(kind), std::move(values)};
    if (!answers.empty()) offer_answers(body, answers);
    notify_about(p, std::move(body), about.value_or(message_subject{collaboration_, {}}));
  }

  /// Sends `body` to a person's DM about `about`, from their first allowed moment on.
  void notify_about(const person& p, message body, message_subject about) {
    auto m = direct_message(p, notification_key(event_.dedup_key, p.id), std::move(body),
                            first_allowed(p, w_.engine, now_), std::move(about));
    if (m) actions_.push_back(std::move(*m));
  }

  void audit(std::string what, std::string detail) {
    actions_.push_back(record_audit{audit_entry{now_, collaboration_, sender_.id, std::move(what), std::move(detail)}});
  }

  void change(action a) { actions_.push_back(std::move(a)); }

  /// Turns the latest reply into a sign-in link for `grant` (core/dashboard.h complete_sign_ins).
  void issue_sign_in(sign_in_grant grant) {
    auto reply = std::get<send_message>(std::move(actions_.back()));
    actions_.back() = tandem::issue_sign_in{std::move(grant), std::move(reply)};
  }

  /// Turns the latest reply into the announcement of a new token for `purpose` (the host makes
  /// the token and adds the link: core/collaboration_secrets.h complete_rotations).
  void rotate_secret(std::string purpose) {
    auto reply = std::get<send_message>(std::move(actions_.back()));
    actions_.back() = tandem::rotate_secret{collaboration_, std::move(purpose), std::move(reply)};
  }

  std::vector<action> take() { return std::move(actions_); }

 private:
  const world& w_;
  const inbound& event_;
  const person& sender_;
  time_point now_;
  std::string collaboration_;
  std::vector<action> actions_;
  int replies_ = 0;
};

const person* resolve_person(const request& r, const std::string& ref) {
  if (auto it = r.w().people.find(ref); it != r.w().people.end()) return &it->second;
  return find_person_by_identity(r.w(), identity{r.event().sender.platform, r.event().sender.workspace, ref});
}

std::string display_name(const world& w, const std::string& person_id) {
  auto it = w.people.find(person_id);
  return it == w.people.end() ? person_id : it->second.name;
}

std::string organization_name(const world& w, const std::string& collab, const std::string& org) {
  auto it = w.organizations.find({collab, org});
  return it == w.organizations.end() ? org : it->second.name;
}

std::vector<std::string> organization_ids(const world& w, const std::string& collab) {
  std::vector<std::string> ids;
  for (const auto& [key, _] : w.organizations) {
    if (key.first == collab) ids.push_back(key.second);
  }
  return ids;
}

bool is_representative(const world& w, const std::string& collab, const std::string& person) {
  return has_role(w, collab, person, role::representative) || has_role(w, collab, person, role::alternate);
}

bool may_run(const world& w, const std::string& collab, const std::string& person, audience who) {
  switch (who) {
    case audience::everyone: return true;
    case audience::representatives: return is_representative(w, collab, person);
    case audience::facilitators: return has_role(w, collab, person, role::facilitator);
    case audience::facilitators_and_representatives:
      return has_role(w, collab, person, role::facilitator) || is_representative(w, collab, person);
  }
  return false;
}

nlohmann::json task_values(const request& r, const task& t) { return task_view(r.w(), t, r.now()); }

/// The task numbered `number` in the request's collaboration; otherwise replies why there is none
/// (a task of another collaboration of the sender's is named as such) and returns null.
const task* find_task(request& r, std::int64_t number) {
  auto it = r.w().tasks.find(number);
  if (it != r.w().tasks.end() && it->second.collaboration == r.collaboration()) return &it->second;
  if (it != r.w().tasks.end()) {
    const membership* m = find_membership(r.w(), it->second.collaboration, r.sender().id);
    if (m != nullptr && m->active) {
      r.reply("error_task_in_other_collaboration",
              {{"number", number}, {"collaboration", it->second.collaboration}, {"here", r.collaboration()}});
      return nullptr;
    }
  }
  r.reply("error_unknown_task", {{"number", number}});
  return nullptr;
}

/// Refuses a change to a closed task, pointing at `reopen N`; true when it did.
bool refuse_if_closed(request& r, const task& t) {
  if (!is_closed(t.status)) return false;
  r.reply("error_task_closed", {{"number", t.number},
                                {"title", t.title},
                                {"done", t.status == task_status::done},
                                {"cancelled", t.status == task_status::cancelled}});
  return true;
}

/// The assignee a `assign`/`reassign` target names, written into `t`; otherwise replies why not.
bool set_assignee(request& r, const target& who, task& t) {
  if (who.what == target::kind::organization) {
    if (!r.w().organizations.contains({r.collaboration(), who.ref})) {
      r.reply("error_unknown_organization", {{"org", who.ref}, {"known", join(organization_ids(r.w(), r.collaboration()))}});
      return false;
    }
    t.assignee_person.clear();
    t.assignee_organization = who.ref;
    return true;
  }
  const person* p = resolve_person(r, who.ref);
  const membership* m = p == nullptr ? nullptr : find_membership(r.w(), r.collaboration(), p->id);
  if (m == nullptr || !m->active) {
    r.reply("error_unknown_person", {{"who", who.ref}});
    return false;
  }
  t.assignee_person = p->id;
  t.assignee_organization.clear();
  return true;
}

/// Tells each of `people` but the sender, once each; `about` says what the notice is about (by
/// default only the collaboration).
void notify_each(request& r, const std::vector<const person*>& people, const std::string& kind,
                 const nlohmann::json& values, const std::vector<answer>& answers = {},
                 const std::optional<message_subject>& about = std::nullopt) {
  std::set<std::string> told{r.sender().id};
  for (const person* p : people) {
    if (told.insert(p->id).second) r.notify(*p, kind, values, answers, about);
  }
}

/// Gives `t` the due date `day`, unless that day is past where it ends (due_zone: the assignee's
/// zone, or the facilitator's who gives it): then replies so and returns false.
bool set_due(request& r, task& t, date::year_month_day day) {
  const std::string zone = due_zone(r.w(), t).value_or(r.sender().time_zone);
  if (date::sys_days{day} < date::sys_days{local_date(r.now(), zone)}) {
    r.reply("error_date_in_past", {{"date", format_date(day)}});
    return false;
  }
  t.due = date::sys_days{day};
  return true;
}

/// What the assignee can answer with one click on a task message.
std::vector<answer> task_answers(const task& t) {
  const std::string n = std::to_string(t.number);
  return {answer{"done", "done " + n, "\u2705", false}, answer{"blocked", "blocked " + n, "\u26d4", true}};
}

/// Facilitators may update any task; others the tasks assigned to them or to their organization.
bool may_update(const request& r, const task& t) {
  if (has_role(r.w(), t.collaboration, r.sender().id, role::facilitator)) return true;
  if (t.assignee_person == r.sender().id) return true;
  const membership* m = find_membership(r.w(), t.collaboration, r.sender().id);
  return m != nullptr && m->active && !t.assignee_organization.empty() && m->organization == t.assignee_organization;
}

/// The task numbered `number` if the sender may update it (may_update); otherwise replies why not
/// and returns null.
const task* find_task_to_update(request& r, std::int64_t number) {
  const task* found = find_task(r, number);
  if (found == nullptr || may_update(r, *found)) return found;
  r.reply("error_not_your_task", {{"number", found->number}, {"assignee", assignee_label(r.w(), *found)}});
  return nullptr;
}

void help(request& r, const command& c) {
  const auto visible = [&](const command_spec& s) { return may_run(r.w(), r.collaboration(), r.sender().id, s.who); };
  if (!c.text.empty()) {
    const auto& specs = command_specs();
    auto it = std::ranges::find_if(specs, [&](const command_spec& s) { return s.name == c.text; });
    if (it == specs.end()) {
      it = std::ranges::find_if(specs, [&](const command_spec& s) { return s.name.starts_with(c.text + " ") ; });
    }
    if (it == specs.end()) {
      r.reply("error_unknown_command", {{"word", c.text}, {"suggestion", ""}});
      return;
    }
    nlohmann::json values{{"name", std::string{it->name}}, {"syntax", std::string{it->syntax}},
                          {"example", std::string{it->example}},
                          {"allowed", visible(*it)}};
    values[flag_name(it->name)] = true;
    r.reply("help_command", std::move(values));
    return;
  }
  nlohmann::json commands = nlohmann::json::array();
  for (const command_spec& s : command_specs()) {
    if (!visible(s)) continue;
    nlohmann::json item{{"name", std::string{s.name}}, {"syntax", std::string{s.syntax}}};
    item[flag_name(s.name)] = true;
    commands.push_back(std::move(item));
  }
  r.reply("help", {{"commands", std::move(commands)}, {"name", r.sender().name}});
}

/// Open tasks of the request's collaboration that `wanted` picks, due soonest first (undated last).
std::vector<const task*> open_tasks(const request& r, const std::function<bool(const task&)>& wanted) {
  std::vector<const task*> found;
  for (const auto& [_, t] : r.w().tasks) {
    if (t.collaboration == r.collaboration() && !is_closed(t.status) && wanted(t)) found.push_back(&t);
  }
  std::ranges::stable_sort(found, [](const task* a, const task* b) {
    if (a->due.has_value() != b->due.has_value()) return a->due.has_value();
    return a->due < b->due;
  });
  return found;
}

/// True when the task is the person's to do: assigned to them, or to their organization.
bool is_task_of(const world& w, const task& t, const std::string& person) {
  if (t.assignee_person == person) return true;
  const membership* m = find_membership(w, t.collaboration, person);
  return m != nullptr && m->active && !m->organization.empty() && t.assignee_organization == m->organization;
}

/// `tasks all|overdue|blocked|@who|org:<id>`: a facilitator's view of everyone's open tasks.
void task_board(request& r, const command& c) {
  if (!has_role(r.w(), r.collaboration(), r.sender().id, role::facilitator)) {
    r.reply("error_not_allowed", {{"command", std::string{spec_of(verb::tasks).syntax}},
                                  {"facilitators", true}, {"representatives", false}});
    return;
  }
  nlohmann::json values{{"by_all", c.text == "all"}, {"by_overdue", c.text == "overdue"},
                        {"by_blocked", c.text == "blocked"}, {"by_person", false}, {"by_org", false}, {"who", ""}};
  std::function<bool(const task&)> wanted = [](const task&) { return true; };
  if (c.text == "overdue") {
    wanted = [&r](const task& t) { return is_overdue(r.w(), t, r.now()); };
  } else if (c.text == "blocked") {
    wanted = [](const task& t) { return t.status == task_status::blocked; };
  } else if (!c.targets.empty() && c.targets.front().what == target::kind::organization) {
    const std::string org = c.targets.front().ref;
    if (!r.w().organizations.contains({r.collaboration(), org})) {
      r.reply("error_unknown_organization", {{"org", org}, {"known", join(organization_ids(r.w(), r.collaboration()))}});
      return;
    }
    values["by_org"] = true;
    values["who"] = organization_name(r.w(), r.collaboration(), org);
    wanted = [&r, org](const task& t) {
      if (t.assignee_organization == org) return true;
      const membership* m = find_membership(r.w(), t.collaboration, t.assignee_person);
      return m != nullptr && m->organization == org;
    };
  } else if (!c.targets.empty()) {
    const person* p = resolve_person(r, c.targets.front().ref);
    if (p == nullptr || find_membership(r.w(), r.collaboration(), p->id) == nullptr) {
      r.reply("error_unknown_person", {{"who", c.targets.front().ref}});
      return;
    }
    values["by_person"] = true;
    values["who"] = p->name;
    wanted = [&r, id = p->id](const task& t) { return is_task_of(r.w(), t, id); };
  }
  const auto found = open_tasks(r, wanted);
  nlohmann::json tasks = nlohmann::json::array();
  for (const task* t : found) {
    nlohmann::json item = task_values(r, *t);
    item[std::string{to_string(t->status)}] = true;
    tasks.push_back(std::move(item));
  }
  values["tasks"] = std::move(tasks);
  values["count"] = found.size();
  values["any"] = !found.empty();
  r.reply("task_board", std::move(values));
}

void list_tasks(request& r, const command& c) {
  if (!c.text.empty() || !c.targets.empty()) {
    task_board(r, c);
    return;
  }
  const auto mine = open_tasks(r, [&r](const task& t) { return is_task_of(r.w(), t, r.sender().id); });
  nlohmann::json tasks = nlohmann::json::array();
  for (const task* t : mine) tasks.push_back(task_values(r, *t));
  r.reply("task_list", {{"tasks", std::move(tasks)}, {"count", mine.size()}, {"any", !mine.empty()}});
}

void assign(request& r, const command& c) {
  const target& who = c.targets.front();
  task t;
  t.number = next_task_number(r.w());
  t.collaboration = r.collaboration();
  t.title = c.text;
  t.created_by = r.sender().id;
  t.created_at = r.now();
  t.updated_at = r.now();
  if (!set_assignee(r, who, t)) return;
  const std::vector<const person*> recipients = task_recipients(r.w(), t);
  if (c.date && !set_due(r, t, *c.date)) return;
  r.change(save_task{t});
  r.change(record_task_update{t.number, t.status, "", r.sender().id, r.now()});
  r.audit("task.assign", "#" + std::to_string(t.number) + " \"" + t.title + "\" to " + assignee_label(r.w(), t));
  r.reply("task_assigned", task_values(r, t));
  for (const person* p : recipients) {
    if (p->id == r.sender().id) continue;
    nlohmann::json values = task_values(r, t);
    values["by"] = r.sender().name;
    r.notify(*p, "task_assigned_notice", std::move(values), task_answers(t), subject_of(t));
  }
}

void update_task(request& r, const command& c) {
  const task* found = find_task_to_update(r, c.number);
  if (found == nullptr) return;
  task t = *found;
  const task_status status = c.what == verb::done       ? task_status::done
                             : c.what == verb::blocked ? task_status::blocked
                                                       : task_status::in_progress;
  if (t.status == task_status::done && status == task_status::done) {
    r.reply("task_already_done", {{"number", t.number}, {"title", t.title}});
    return;
  }
  if (refuse_if_closed(r, t)) return;
  t.status = status;
  t.note = c.text;
  t.updated_at = r.now();
  r.change(save_task{t});
  r.change(record_task_update{t.number, status, c.text, r.sender().id, r.now()});
  r.audit("task." + std::string{spec_of(c.what).name}, "#" + std::to_string(t.number) + (c.text.empty() ? "" : ": " + c.text));
  nlohmann::json values = task_values(r, t);
  values[std::string{to_string(status)}] = true;
  r.reply("task_updated", values);
  if (status != task_status::in_progress && t.created_by != r.sender().id) {
    if (auto creator = r.w().people.find(t.created_by); creator != r.w().people.end()) {
      values["who"] = r.sender().name;
      r.notify(creator->second, "task_update_notice", std::move(values));
    }
  }
}

/// The facilitators of the request's collaboration, in membership order.
std::vector<const person*> facilitators_of(const request& r) {
  std::vector<const person*> out;
  for (const auto& [key, m] : r.w().memberships) {
    if (key.first == r.collaboration() && m.active && m.roles.contains(role::facilitator)) {
      out.push_back(&r.w().people.at(m.person));
    }
  }
  return out;
}

/// `reopen N`: a done task (by its assignee or a facilitator) or a cancelled one (by a facilitator)
/// is open again; the facilitators are told.
void reopen(request& r, const command& c) {
  const task* found = find_task_to_update(r, c.number);
  if (found == nullptr) return;
  task t = *found;
  if (!is_closed(t.status)) {
    r.reply("error_task_not_closed", {{"number", t.number}, {"title", t.title}});
    return;
  }
  if (t.status == task_status::cancelled && !has_role(r.w(), r.collaboration(), r.sender().id, role::facilitator)) {
    r.reply("error_reopen_cancelled", {{"number", t.number}, {"title", t.title}});
    return;
  }
  const std::string was{to_string(t.status)};
  t.status = task_status::open;
  t.note.clear();
  t.updated_at = r.now();
  r.change(save_task{t});
  r.change(record_task_update{t.number, t.status, "reopened (was " + was + ")", r.sender().id, r.now()});
  r.audit("task.reopen", "#" + std::to_string(t.number) + " (was " + was + ")");
  r.reply("task_reopened", task_values(r, t));
  nlohmann::json values = task_values(r, t);
  values["who"] = r.sender().name;
  notify_each(r, facilitators_of(r), "task_reopened_notice", values);
}

/// `cancel N [reason]`: the task is closed without being done; its assignee is told.
void cancel(request& r, const command& c) {
  const task* found = find_task(r, c.number);
  if (found == nullptr || refuse_if_closed(r, *found)) return;
  task t = *found;
  t.status = task_status::cancelled;
  t.note = c.text;
  t.updated_at = r.now();
  r.change(save_task{t});
  r.change(record_task_update{t.number, t.status, c.text, r.sender().id, r.now()});
  r.audit("task.cancel", "#" + std::to_string(t.number) + (c.text.empty() ? "" : ": " + c.text));
  r.reply("task_cancelled", task_values(r, t));
  nlohmann::json values = task_values(r, t);
  values["by"] = r.sender().name;
  notify_each(r, task_recipients(r.w(), t), "task_cancelled_notice", values);
}

/// `reassign N @who|org:<id>`: the old assignee is told it left them, the new one that it is
/// theirs; the reminders start afresh for the new assignee.
void reassign(request& r, const command& c) {
  const task* found = find_task(r, c.number);
  if (found == nullptr || refuse_if_closed(r, *found)) return;
  task t = *found;
  if (!set_assignee(r, c.targets.front(), t)) return;
  if (t.assignee_person == found->assignee_person && t.assignee_organization == found->assignee_organization) {
    r.reply("error_already_assigned", {{"number", t.number}, {"assignee", assignee_label(r.w(), t)}});
    return;
  }
  const std::string from = assignee_label(r.w(), *found);
  const std::string to = assignee_label(r.w(), t);
  t.updated_at = r.now();
  t.reminded_before = false;
  t.reminded_on_due = false;
  r.change(save_task{t});
  r.change(record_task_update{t.number, t.status, "reassigned from " + from + " to " + to, r.sender().id, r.now()});
  r.audit("task.reassign", "#" + std::to_string(t.number) + " from " + from + " to " + to);
  nlohmann::json values = task_values(r, t);
  values["from"] = from;
  r.reply("task_reassigned", values);
  values["by"] = r.sender().name;
  const auto newcomers = task_recipients(r.w(), t);
  notify_each(r, newcomers, "task_reassigned_notice", values, task_answers(t), subject_of(t));
  std::vector<const person*> former;
  for (const person* p : task_recipients(r.w(), *found)) {
    if (std::ranges::find(newcomers, p) == newcomers.end()) former.push_back(p);
  }
  notify_each(r, former, "task_unassigned_notice", values);
}

/// `due N DATE|none`: the only way a task's due date changes; the assignee is told, and the
/// reminders and the overdue escalation start afresh.
void change_due(request& r, const command& c) {
  const task* found = find_task(r, c.number);
  if (found == nullptr || refuse_if_closed(r, *found)) return;
  task t = *found;
  if (c.date) {
    if (!set_due(r, t, *c.date)) return;
  } else {
    t.due.reset();
  }
  const std::string was = found->due ? format_date(date::year_month_day{*found->due}) : "none";
  const std::string now_due = t.due ? format_date(date::year_month_day{*t.due}) : "none";
  t.updated_at = r.now();
  t.reminded_before = false;
  t.reminded_on_due = false;
  t.escalated = false;
  r.change(save_task{t});
  r.change(record_task_update{t.number, t.status, "due " + now_due + " (was " + was + ")", r.sender().id, r.now()});
  r.audit("task.due", "#" + std::to_string(t.number) + " " + now_due + " (was " + was + ")");
  nlohmann::json values = task_values(r, t);
  values["was"] = found->due ? was : "";
  r.reply("task_due_set", values);
  values["by"] = r.sender().name;
  notify_each(r, task_recipients(r.w(), t), "task_due_notice", values, task_answers(t), subject_of(t));
}

void save_sender(request& r, person p, std::string what, std::string detail) {
  r.change(save_person{std::move(p)});
  r.audit(std::move(what), std::move(detail));
}

void set_tier(request& r, const command& c) {
  membership m = *find_membership(r.w(), r.collaboration(), r.sender().id);
  m.tier = *c.tier_value;
  r.change(save_membership{m});
  r.audit("person.tier", std::string{to_string(m.tier)});
  r.reply("tier_set", {{"tier", std::string{to_string(m.tier)}}});
}

void pause(request& r, const command& c) {
  if (date::sys_days{*c.date} <= date::sys_days{r.today()}) {
    r.reply("error_date_in_past", {{"date", format_date(*c.date)}});
    return;
  }
  person p = r.sender();
  p.paused_until = start_of_day(*c.date, p.time_zone);
  save_sender(r, p, "person.pause", "until " + format_date(*c.date));
  r.reply("paused", {{"until", format_date(*c.date)}});
}

void resume(request& r) {
  person p = r.sender();
  const bool was_paused = p.paused_until && *p.paused_until > r.now();
  p.paused_until.reset();
  if (was_paused) save_sender(r, p, "person.resume", "");
  r.reply("resumed", {{"was_paused", was_paused}});
}

void set_quiet(request& r, const command& c) {
  person p = r.sender();
  p.quiet = c.quiet;
  if (!c.quiet->empty()) {
    const std::string from = format_minute_of_day(c.quiet->start_minute);
    const std::string to = format_minute_of_day(c.quiet->end_minute);
    save_sender(r, p, "person.quiet", from + "-" + to);
    r.reply("quiet_set", {{"from", from}, {"to", to}, {"tz", p.time_zone}});
  } else {
    save_sender(r, p, "person.quiet", "off");
    r.reply("quiet_off", {{"tz", p.time_zone}});
  }
}

void set_time_zone(request& r, const command& c) {
  const std::optional<std::string> zone = canonical_time_zone(c.text);
  if (!zone) {
    r.reply("error_unknown_time_zone", {{"zone", c.text}});
    return;
  }
  person p = r.sender();
  for (action& a : follow_time_zone(r.w(), p.id, p.time_zone, *zone, r.now())) r.change(std::move(a));
  p.time_zone = *zone;
  p.time_zone_origin = zone_origin::given;  // the person said so: no platform's zone replaces it
  save_sender(r, p, "person.tz", *zone);
  r.reply("tz_set", {{"zone", *zone}, {"local_time", format_local_time(r.now(), *zone)}});
}

void set_language(request& r, const command& c) {
  if (!r.w().languages.contains(c.text)) {
    r.reply("error_unknown_language", {{"lang", c.text}, {"known", join({r.w().languages.begin(), r.w().languages.end()})}});
    return;
  }
  person p = r.sender();
  p.language = c.text;
  save_sender(r, p, "person.lang", c.text);
  r.reply_in(c.text, "lang_set", {{"lang", c.text}});
}

/// How far back `status` lists messages the outbox gave up on.
constexpr std::chrono::days undelivered_shown_for{7};

void status(request& r) {
  const std::string& collab = r.collaboration();
  struct tally { int people = 0; int open = 0; int overdue = 0; int blocked = 0; int done = 0; };
  std::map<std::string, tally> by_org;
  for (const auto& org : organization_ids(r.w(), collab)) by_org[org];
  for (const auto& [key, m] : r.w().memberships) {
    if (key.first == collab && m.active && !m.organization.empty()) by_org[m.organization].people++;
  }
  tally total;
  for (const auto& [_, t] : r.w().tasks) {
    if (t.collaboration != collab) continue;
    std::string org = t.assignee_organization;
    if (org.empty()) {
      const membership* m = find_membership(r.w(), collab, t.assignee_person);
      org = m != nullptr ? m->organization : "";
    }
    for (tally* counts : {&total, org.empty() ? nullptr : &by_org[org]}) {
      if (counts == nullptr) continue;
      if (t.status == task_status::cancelled) continue;  // neither open nor done: no longer asked for
      if (t.status == task_status::done) counts->done++;
      else counts->open++;
      if (t.status == task_status::blocked) counts->blocked++;
      if (is_overdue(r.w(), t, r.now())) counts->overdue++;
    }
  }
  nlohmann::json orgs = nlohmann::json::array();
  for (const auto& [org, counts] : by_org) {
    orgs.push_back({{"name", organization_name(r.w(), collab, org)}, {"people", counts.people},
                    {"open", counts.open}, {"overdue", counts.overdue}, {"blocked", counts.blocked}, {"done", counts.done}});
  }
  nlohmann::json undelivered = failed_deliveries(r.w(), collab, r.now() - undelivered_shown_for, r.sender().time_zone);
  const bool any_undelivered = !undelivered.empty();
  r.reply("status_report", {{"collaboration", r.w().collaborations.at(collab).name}, {"organizations", std::move(orgs)},
                            {"open", total.open}, {"overdue", total.overdue}, {"blocked", total.blocked}, {"done", total.done},
                            {"undelivered", std::move(undelivered)}, {"any_undelivered", any_undelivered}});
}

void show_audit(request& r, const command& c) {
  constexpr std::size_t latest = 20;
  std::vector<const audit_entry*> entries;
  const auto since = c.date ? std::optional{start_of_day(*c.date, r.sender().time_zone)} : std::nullopt;
  for (const audit_entry& e : r.w().audit) {
    if (e.collaboration == r.collaboration() && (!since || e.at >= *since)) entries.push_back(&e);
  }
  const bool truncated = !since && entries.size() > latest;
  if (truncated) entries.erase(entries.begin(), entries.end() - static_cast<std::ptrdiff_t>(latest));
  nlohmann::json lines = nlohmann::json::array();
  for (const audit_entry* e : entries) {
    lines.push_back({{"at", format_local_time(e->at, r.sender().time_zone)}, {"actor", display_name(r.w(), e->actor)},
                     {"action", e->action}, {"detail", e->detail}});
  }
  // The world holds the lines of the last weeks only (store.h, audit_window); older ones are on
  // the dashboard's audit pages, read from the store.
  const bool older_on_dashboard = since && *since < r.now() - audit_window;
  r.reply("audit_log", {{"entries", std::move(lines)},
                        {"count", entries.size()},
                        {"any", !entries.empty()},
                        {"truncated", truncated},
                        {"since", c.date ? format_date(*c.date) : ""},
                        {"older_on_dashboard", older_on_dashboard},
                        {"window_days", audit_window.count()}});
}

void add_organization(request& r, const command& c) {
  if (!valid_id(c.organization)) {
    r.reply("error_bad_id", {{"id", c.organization}});
    return;
  }
  if (r.w().organizations.contains({r.collaboration(), c.organization})) {
    r.reply("error_organization_exists", {{"org", c.organization}});
    return;
  }
  r.change(save_organization{organization{r.collaboration(), c.organization, c.text}});
  r.audit("org.add", c.organization + " \"" + c.text + "\"");
  r.reply("org_added", {{"id", c.organization}, {"name", c.text}});
}

/// A member's roles as flags for templates (`representative`, `alternate`, `participant`,
/// `facilitator`), so that each language names them.
void add_role_flags(nlohmann::json& values, const membership& m) {
  for (role x : {role::facilitator, role::representative, role::alternate, role::participant}) {
    values[std::string{to_string(x)}] = m.roles.contains(x);
  }
}

/// What a new member is told: the collaboration and its organizations, who added them and why
/// they hear from Tandem, what it sends them and when (their tier's nudges, in their zone; tasks;
/// approval requests and the weekly calendar for representatives), and how to answer.
nlohmann::json welcome_values(const request& r, const person& p, const membership& m) {
  std::vector<std::string> organizations;
  for (const auto& [key, o] : r.w().organizations) {
    if (key.first == r.collaboration()) organizations.push_back(o.name);
  }
  const auto policy = r.w().tiers.find(m.tier);
  const std::string schedule = policy == r.w().tiers.end() ? "" : policy->second.schedule;
  nlohmann::json values{{"name", p.name},
                        {"collaboration", r.w().collaborations.at(r.collaboration()).name},
                        {"organizations", join(organizations)},
                        {"org", organization_name(r.w(), r.collaboration(), m.organization)},
                        {"by", r.sender().name},
                        {"tier", std::string{to_string(m.tier)}},
                        {"schedule", schedule == "never" ? "" : schedule},
                        {"zone", p.time_zone}};
  add_role_flags(values, m);
  return values;
}

void add_member(request& r, const command& c) {
  if (!r.w().organizations.contains({r.collaboration(), c.organization})) {
    r.reply("error_unknown_organization", {{"org", c.organization}, {"known", join(organization_ids(r.w(), r.collaboration()))}});
    return;
  }
  const std::string& ref = c.targets.front().ref;
  const person* existing = resolve_person(r, ref);
  person p;
  if (existing != nullptr) {
    p = *existing;
    if (!c.name.empty() && c.name != p.name) {
      p.name = c.name;
      r.change(save_person{p});
    }
  } else {
    // Someone new: known to Tandem from now on by their identity on the facilitator's platform.
    std::string id;
    for (char ch : ref) id += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!valid_id(id) || r.w().people.contains(id)) {
      r.reply("error_unknown_person", {{"who", ref}});
      return;
    }
    p.id = id;
    p.name = c.name.empty() ? ref : c.name;
    p.time_zone = r.sender().time_zone;  // a guess (defaulted): their platform's zone may replace it
    p.identities.push_back(identity{r.event().sender.platform, r.event().sender.workspace, ref});
    r.change(save_person{p});
  }
  const membership* before = find_membership(r.w(), r.collaboration(), p.id);
  membership m = before != nullptr ? *before : membership{r.collaboration(), p.id, "", {}, tier::active, true};
  const bool updated = before != nullptr && before->active;
  m.active = true;
  m.organization = c.organization;
  m.roles.erase(role::representative);
  m.roles.erase(role::alternate);
  m.roles.erase(role::participant);
  m.roles.insert(c.role_value.value_or(role::participant));
  if (c.tier_value) m.tier = *c.tier_value;
  r.change(save_membership{m});
  const std::string role_name{to_string(c.role_value.value_or(role::participant))};
  r.audit("member.add", p.id + " org:" + c.organization + " " + role_name + " tier " + std::string{to_string(m.tier)});
  nlohmann::json added{{"who", p.name}, {"org", organization_name(r.w(), r.collaboration(), c.organization)},
                       {"tier", std::string{to_string(m.tier)}}, {"updated", updated}};
  add_role_flags(added, m);
  r.reply("member_added", std::move(added));
  if (!updated && p.id != r.sender().id) r.notify(p, "welcome", welcome_values(r, p, m));
}

void remove_member(request& r, const command& c) {
  const person* p = resolve_person(r, c.targets.front().ref);
  const membership* m = p == nullptr ? nullptr : find_membership(r.w(), r.collaboration(), p->id);
  if (m == nullptr || !m->active) {
    r.reply("error_unknown_person", {{"who", c.targets.front().ref}});
    return;
  }
  if (m->roles.contains(role::facilitator)) {
    const auto facilitators = std::ranges::count_if(r.w().memberships, [&](const auto& entry) {
      return entry.first.first == r.collaboration() && entry.second.active && entry.second.roles.contains(role::facilitator);
    });
    if (facilitators <= 1) {
      r.reply("error_last_facilitator", {{"who", p->name}});
      return;
    }
  }
  membership removed = *m;
  removed.active = false;
  r.change(save_membership{removed});
  r.audit("member.remove", p->id);
  r.reply("member_removed", {{"who", p->name}});
}

void add_facilitator(request& r, const command& c) {
  const person* p = resolve_person(r, c.targets.front().ref);
  if (p == nullptr) {
    r.reply("error_unknown_person", {{"who", c.targets.front().ref}});
    return;
  }
  const membership* before = find_membership(r.w(), r.collaboration(), p->id);
  membership m = before != nullptr ? *before : membership{r.collaboration(), p->id, "", {}, tier::core, true};
  m.active = true;
  m.roles.insert(role::facilitator);
  r.change(save_membership{m});
  r.audit("facilitator.add", p->id);
  r.reply("facilitator_added", {{"who", p->name}});
  const bool was_facilitator = before != nullptr && before->active && before->roles.contains(role::facilitator);
  if (!was_facilitator && p->id != r.sender().id) {
    r.notify(*p, "facilitator_welcome", {{"name", p->name}, {"collaboration", r.w().collaborations.at(r.collaboration()).name},
                                          {"by", r.sender().name},
                                          {"digest_schedule", r.w().engine.digest_schedule == "never" ? "" : r.w().engine.digest_schedule}});
  }
}

/// `members [org:<id>]`: each active member with organization, role, tier, zone and when they
/// last responded (in the viewer's zone), by organization then name.
void list_members(request& r, const command& c) {
  if (!c.organization.empty() && !r.w().organizations.contains({r.collaboration(), c.organization})) {
    r.reply("error_unknown_organization", {{"org", c.organization}, {"known", join(organization_ids(r.w(), r.collaboration()))}});
    return;
  }
  std::vector<const membership*> chosen;
  for (auto it = r.w().memberships.lower_bound({r.collaboration(), ""});
       it != r.w().memberships.end() && it->first.first == r.collaboration(); ++it) {
    const membership& m = it->second;
    if (m.active && (c.organization.empty() || m.organization == c.organization)) chosen.push_back(&m);
  }
  std::ranges::stable_sort(chosen, [&](const membership* a, const membership* b) {
    return std::pair{a->organization, display_name(r.w(), a->person)} < std::pair{b->organization, display_name(r.w(), b->person)};
  });
  nlohmann::json members = nlohmann::json::array();
  for (const membership* m : chosen) {
    const person& p = r.w().people.at(m->person);
    const auto last = r.w().last_response.find(p.id);
    nlohmann::json item{{"name", p.name},
                        {"org", m->organization.empty() ? "" : organization_name(r.w(), r.collaboration(), m->organization)},
                        {"tier", std::string{to_string(m->tier)}},
                        {"zone", p.time_zone},
                        {"last_response", last == r.w().last_response.end()
                                              ? ""
                                              : format_local_time(last->second, r.sender().time_zone)}};
    add_role_flags(item, *m);
    members.push_back(std::move(item));
  }
  r.reply("member_list", {{"members", std::move(members)},
                          {"count", chosen.size()},
                          {"any", !chosen.empty()},
                          {"org", c.organization.empty() ? "" : organization_name(r.w(), r.collaboration(), c.organization)}});
}

/// `broadcast "text" [to ...]`: without `to`, one message in each of the collaboration's rooms;
/// with it, a direct message to each recipient (all members, the representatives, or the members
/// of the organizations named), sent now: the outbox holds a DM until the recipient's allowed hour.
void broadcast(request& r, const command& c) {
  const collaboration& collab = r.w().collaborations.at(r.collaboration());
  const nlohmann::json values{{"text", c.text}, {"by", r.sender().name}, {"collaboration", collab.name}};
  const bool direct = !c.targets.empty() || c.to_representatives;
  if (!direct) {
    if (collab.rooms.empty()) {
      r.reply("error_no_rooms", {{"collaboration", collab.name}});
      return;
    }
    for (const room& where : collab.rooms) {
      r.change(send_message{"broadcast:" + r.event().dedup_key + ":room:" + where.platform + ":" + where.workspace + ":" + where.id,
                            destination{where.platform, where.workspace, where.id, "", "", r.sender().language, ""},
                            message{"broadcast", values}, r.now()});
    }
    r.audit("broadcast", "rooms: \"" + c.text + "\"");
    r.reply("broadcast_sent", {{"count", collab.rooms.size()}, {"rooms", true}});
    return;
  }
  for (const target& t : c.targets) {
    if (t.what == target::kind::organization && !r.w().organizations.contains({r.collaboration(), t.ref})) {
      r.reply("error_unknown_organization", {{"org", t.ref}, {"known", join(organization_ids(r.w(), r.collaboration()))}});
      return;
    }
  }
  const bool everyone = std::ranges::any_of(c.targets, [](const target& t) { return t.what == target::kind::everyone; });
  std::vector<const person*> recipients;
  for (auto it = r.w().memberships.lower_bound({r.collaboration(), ""});
       it != r.w().memberships.end() && it->first.first == r.collaboration(); ++it) {
    const membership& m = it->second;
    if (!m.active || m.person == r.sender().id) continue;
    const bool named = std::ranges::any_of(c.targets, [&](const target& t) {
      return t.what == target::kind::organization && t.ref == m.organization;
    });
    if (everyone || named || (c.to_representatives && m.roles.contains(role::representative))) {
      recipients.push_back(&r.w().people.at(m.person));
    }
  }
  for (const person* p : recipients) r.notify(*p, "broadcast", values);
  std::string who = everyone ? "all" : c.to_representatives ? "reps" : "";
  for (const target& t : c.targets) {
    if (t.what == target::kind::organization) who += (who.empty() ? "org:" : ",org:") + t.ref;
  }
  r.audit("broadcast", who + " (" + std::to_string(recipients.size()) + "): \"" + c.text + "\"");
  r.reply("broadcast_sent", {{"count", recipients.size()}, {"rooms", false}});
}

/// `dashboard`: a personal sign-in link, only in a direct message (the host makes its secret);
/// `dashboard signout`: ends the sender's sessions.
void dashboard(request& r, const command& c) {
  if (c.text == "signout") {
    auto ended = end_sessions(r.w(), r.sender().id, r.now());
    const auto n = static_cast<int>(ended.size());
    for (action& a : ended) r.change(std::move(a));
    r.audit("dashboard.signout", std::to_string(n) + " session(s)");
    r.reply("dashboard_signed_out", {{"n", n}});
    return;
  }
  if (!r.event().direct) {
    r.reply("dashboard_only_in_dm", nlohmann::json::object());
    return;
  }
  sign_in_grant grant{"", r.sender().id, r.collaboration(), r.now(), r.now() + sign_in_lifetime, std::nullopt};
  r.audit("dashboard.link", "for " + r.sender().id);
  const auto& collab = r.w().collaborations.at(r.collaboration());
  r.reply("dashboard_link", {{"link", ""}, {"minutes", sign_in_lifetime.count()}, {"collaboration", collab.name}});
  r.issue_sign_in(std::move(grant));
}

/// `token rotate feed|export`: replaces the collaboration's calendar-feed or export token, so the
/// old link stops working; only in a direct message, where the new link is sent (the host makes it).
void rotate_token(request& r, const command& c) {
  const bool feed = c.text == "feed";
  if (!r.event().direct) {
    r.reply("token_only_in_dm", {{"feed", feed}});
    return;
  }
  r.audit("token.rotate", feed ? "calendar feed" : "export");
  const auto& collab = r.w().collaborations.at(r.collaboration());
  r.reply("token_rotated", {{"collaboration", collab.name}, {"feed", feed}, {"feed_url", ""}, {"csv_url", ""},
                            {"json_url", ""}});
  r.rotate_secret(feed ? "calendar" : "export");
}

void digest_now(request& r) {
  const auto e = r.w().engagements.find({r.collaboration(), r.sender().id});
  const auto since = e != r.w().engagements.end() ? e->second.last_digest : std::nullopt;
  r.reply("digest", digest_values(r.w(), r.collaboration(), r.sender(), since, r.now()));
}

/// Sends the nudge of the schedule now, to one person, an organization's people, or everyone.
void nudge_now(request& r, const command& c) {
  const target& who = c.targets.front();
  std::vector<const person*> people;
  if (who.what == target::kind::person) {
    const person* p = resolve_person(r, who.ref);
    const membership* m = p == nullptr ? nullptr : find_membership(r.w(), r.collaboration(), p->id);
    if (m == nullptr || !m->active) {
      r.reply("error_unknown_person", {{"who", who.ref}});
      return;
    }
    people.push_back(p);
  } else {
    if (who.what == target::kind::organization && !r.w().organizations.contains({r.collaboration(), who.ref})) {
      r.reply("error_unknown_organization", {{"org", who.ref}, {"known", join(organization_ids(r.w(), r.collaboration()))}});
      return;
    }
    for (const auto& [key, m] : r.w().memberships) {
      const bool in_scope = who.what == target::kind::everyone || m.organization == who.ref;
      if (key.first == r.collaboration() && m.active && in_scope && m.person != r.sender().id) {
        people.push_back(&r.w().people.at(m.person));
      }
    }
  }
  for (const person* p : people) {
    // Rendered again and counted as sent when delivered (core/delivery.h).
    r.notify_about(*p, nudge_message(r.w(), r.collaboration(), *p, r.now()), message_subject{r.collaboration(), about_nudge{}});
  }
  r.audit("nudge", who.what == target::kind::everyone ? "all" : who.ref);
  r.reply("nudge_sent", {{"count", people.size()}});
}

/// The approval and handover handlers' view of a request.
command_scope scope_of(request& r) {
  return command_scope{r.w(), r.sender(), r.collaboration(), r.now(), r.event().dedup_key,
                       [&r](std::string kind, nlohmann::json values) { r.reply(std::move(kind), std::move(values)); },
                       [&r](action a) { r.change(std::move(a)); }};
}

/// Picks the collaboration a command applies to; replies with an error and returns false if none.
bool choose_collaboration(request& r, const command& c) {
  const auto mine = collaborations_of(r.w(), r.sender().id);
  if (c.collaboration) {
    if (std::ranges::find(mine, *c.collaboration) == mine.end()) {
      r.reply("error_not_in_collaboration", {{"collaboration", *c.collaboration}, {"known", join(mine)}});
      return false;
    }
    r.set_collaboration(*c.collaboration);
    return true;
  }
  if (!r.event().direct) {
    const auto in_room = collaboration_of_room(
        r.w(), room{r.event().sender.platform, r.event().sender.workspace, r.event().conversation});
    if (in_room && std::ranges::find(mine, *in_room) != mine.end()) {
      r.set_collaboration(*in_room);
      return true;
    }
  }
  if (mine.size() == 1) {
    r.set_collaboration(mine.front());
    return true;
  }
  if (mine.empty()) {
    r.reply("error_not_member", {{"name", r.sender().name}});
  } else {
    r.reply("error_which_collaboration", {{"known", join(mine)}, {"example", "tasks in:" + mine.front()}});
  }
  return false;
}

/// Turns what a handler outside this file decided into the request's actions.
void deliver(request& r, command_result result) {
  for (action& a : result.changes) r.change(std::move(a));
  for (auto& [what, detail] : result.audit) r.audit(std::move(what), std::move(detail));
  r.reply(std::move(result.reply.kind), std::move(result.reply.values));
  for (notice& n : result.notices) {
    if (auto p = r.w().people.find(n.person); p != r.w().people.end()) {
      r.notify(p->second, std::move(n.body.kind), std::move(n.body.values));
    }
  }
}

void run(request& r, const command& c) {
  switch (c.what) {
    case verb::help: help(r, c); return;
    case verb::tasks: list_tasks(r, c); return;
    case verb::assign: assign(r, c); return;
    case verb::reopen: reopen(r, c); return;
    case verb::cancel: cancel(r, c); return;
    case verb::reassign: reassign(r, c); return;
    case verb::due: change_due(r, c); return;
    case verb::done: case verb::progress: case verb::blocked: update_task(r, c); return;
    case verb::tier: set_tier(r, c); return;
    case verb::pause: pause(r, c); return;
    case verb::resume: resume(r); return;
    case verb::quiet: set_quiet(r, c); return;
    case verb::tz: set_time_zone(r, c); return;
    case verb::lang: set_language(r, c); return;
    case verb::status: status(r); return;
    case verb::audit: show_audit(r, c); return;
    case verb::org_add: add_organization(r, c); return;
    case verb::member_add: add_member(r, c); return;
    case verb::member_remove: remove_member(r, c); return;
    case verb::facilitator_add: add_facilitator(r, c); return;
    case verb::members: list_members(r, c); return;
    case verb::broadcast: broadcast(r, c); return;
    case verb::silent: r.reply("silent_list", silence_values(r.w(), r.collaboration(), r.sender(), r.now())); return;
    case verb::digest: digest_now(r); return;
    case verb::dashboard: dashboard(r, c); return;
    case verb::token_rotate: rotate_token(r, c); return;
    case verb::nudge: nudge_now(r, c); return;
    case verb::event_add: case verb::events: case verb::event_move: case verb::event_remove:
      deliver(r, run_calendar_command(r.w(), r.collaboration(), r.sender(), c, r.event().direct, r.now()));
      return;
    case verb::report: case verb::pulse:
      deliver(r, run_report_command(r.w(), r.collaboration(), r.sender(), c, r.event().direct, r.now()));
      return;
    case verb::approval_open: case verb::approval_status: case verb::approval_close: case verb::ack: case verb::approvals:
    case verb::checking: case verb::approve: case verb::abstain: case verb::object: {
      command_scope scope = scope_of(r);
      run_approval_command(scope, c);
      return;
    }
    case verb::handover: {
      command_scope scope = scope_of(r);
      run_handover(scope, c, [&r](const std::string& ref) { return resolve_person(r, ref); });
      return;
    }
  }
}

}  // namespace

std::vector<action> handle(const world& w, const inbound& event, time_point now) {
  const person* sender = find_person_by_identity(w, event.sender);
  const auto room_collaboration =
      event.direct ? std::nullopt
                   : collaboration_of_room(w, room{event.sender.platform, event.sender.workspace, event.conversation});
  if (sender == nullptr) {
    // Someone Tandem does not know still keeps a collaboration's room from being quiet.
    if (!event.addressed) {
      if (!room_collaboration) return {};
      return {note_activity{"", event.at, *room_collaboration}};
    }
    person stranger;
    stranger.name = event.sender.user;
    stranger.identities = {event.sender};
    request r(w, event, stranger, now);
    r.reply("error_unknown_sender", {{"platform", event.sender.platform}, {"user", event.sender.user}});
    return r.take();
  }
  request r(w, event, *sender, now);
  const bool is_command = event.addressed && event.kind != inbound_kind::reaction;
  // Chatter (most events) is not parsed: nothing to build for it.
  std::optional<std::variant<command, parse_error>> parsed;
  if (is_command) parsed = parse_command(event.text, r.today());
  // A command that only reads shows presence; everything else a person says is a response.
  const bool presence_only = parsed && std::holds_alternative<command>(*parsed) &&
                             !counts_as_response(std::get<command>(*parsed).what);
  // Looking at one's tasks after a nudge still answers it: the nudge asked them to look.
  r.change(note_activity{sender->id, event.at, room_collaboration.value_or(""), answers_a_nudge(w, sender->id, event.at),
                         presence_only, presence_only ? event.dedup_key : ""});
  for (action& ended : end_silences(w, sender->id, room_collaboration.value_or(""), event.at)) r.change(std::move(ended));
  if (!parsed) return r.take();

  if (auto* error = std::get_if<parse_error>(&*parsed)) {
    r.reply(error->reply.kind, error->reply.values);
    return r.take();
  }
  const command& c = std::get<command>(*parsed);
  if (!choose_collaboration(r, c)) return r.take();
  const command_spec& spec = spec_of(c.what);
  if (!may_run(w, r.collaboration(), sender->id, spec.who)) {
    r.reply("error_not_allowed", {{"command", std::string{spec.name}},
                                  {"facilitators", spec.who == audience::facilitators},
                                  {"representatives", spec.who == audience::representatives},
                                  {"both", spec.who == audience::facilitators_and_representatives}});
    return r.take();
  }
  run(r, c);
  auto decided = r.take();
  if (event.sender.platform == dashboard_platform) {
    for (action& a : decided) {
      if (auto* line = std::get_if<record_audit>(&a)) line->value.via = dashboard_platform;
    }
  }
  return decided;
}

}  // namespace tandem
