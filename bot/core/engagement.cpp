#include "core/engagement.h"

#include "core/approvals.h"
#include "core/availability.h"
#include "core/calendar.h"
#include "core/dates.h"
#include "core/delivery.h"
#include "core/reports.h"
#include "core/schedule.h"
#include "core/task_view.h"

#include <algorithm>
#include <map>
#include <set>

namespace tandem {
namespace {

using std::chrono::seconds;

/// How far ahead the facilitator digest lists the shared calendar.
constexpr int digest_event_days = 14;

std::string unix_text(time_point t) { return std::to_string(t.time_since_epoch().count()); }

int whole_days(seconds s) { return static_cast<int>(s.count() / 86400); }

/// The median gap between a person's recent responses; zero with fewer than three responses.
seconds median_gap(const std::deque<time_point>& recent) {
  if (recent.size() < 3) return seconds{0};
  std::vector<seconds> gaps;
  gaps.reserve(recent.size() - 1);
  for (std::size_t i = 1; i < recent.size(); ++i) gaps.push_back(recent[i] - recent[i - 1]);
  std::ranges::nth_element(gaps, gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2));
  return gaps[gaps.size() / 2];
}

/// Schedules parsed once per tick (a handful of distinct texts).
class schedule_book {
 public:
  const schedule* find(const std::string& text) {
    auto it = parsed_.find(text);
    if (it == parsed_.end()) {
      auto result = schedule::parse(text);
      it = parsed_.emplace(text, std::get_if<schedule>(&result) ? std::optional{std::get<schedule>(result)} : std::nullopt)
               .first;
    }
    return it->second ? &*it->second : nullptr;
  }

 private:
  std::map<std::string, std::optional<schedule>> parsed_;
};

/// What a tick learned about one member: whether they count as silent now, and when they next
/// need a look (nothing: not until something about them changes).
struct outlook {
  bool silent = false;
  std::optional<time_point> wake;
};

std::optional<time_point> earliest(std::optional<time_point> a, std::optional<time_point> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

/// The first second after `t`: "more than the threshold since" becomes true then.
time_point just_after(time_point t) { return t + seconds{1}; }

/// Who is where, indexed once per tick so that nothing scans every membership per person.
struct roster {
  std::map<std::string, std::vector<const person*>> facilitators;  ///< by collaboration
  /// Active members by (collaboration, organization).
  std::map<std::pair<std::string, std::string>, std::vector<const membership*>> organizations;

  explicit roster(const world& w) {
    for (const auto& [key, m] : w.memberships) {
      if (!m.active) continue;
      if (m.roles.contains(role::facilitator)) facilitators[key.first].push_back(&w.people.at(m.person));
      if (!m.organization.empty()) organizations[{key.first, m.organization}].push_back(&m);
    }
  }

  const std::vector<const person*>& facilitators_of(const std::string& collab) const {
    static const std::vector<const person*> none;
    auto it = facilitators.find(collab);
    return it == facilitators.end() ? none : it->second;
  }

  const std::vector<const membership*>& members_of(const std::string& collab, const std::string& org) const {
    static const std::vector<const membership*> none;
    auto it = organizations.find({collab, org});
    return it == organizations.end() ? none : it->second;
  }
};

/// Open tasks by whom they are assigned to, indexed once per tick for its nudges.
class open_task_book {
 public:
  explicit open_task_book(const world& w) {
    for (const auto& [_, t] : w.tasks) {
      if (is_closed(t.status)) continue;
      if (!t.assignee_person.empty()) by_person_[{t.collaboration, t.assignee_person}].push_back(&t);
      if (!t.assignee_organization.empty()) by_organization_[{t.collaboration, t.assignee_organization}].push_back(&t);
    }
  }

  /// The open tasks of a member: their own and their organization's.
  std::vector<const task*> of(const membership& m) const {
    std::vector<const task*> open;
    auto add = [&](const auto& index, const std::string& who) {
      if (auto it = index.find({m.collaboration, who}); it != index.end()) open.insert(open.end(), it->second.begin(), it->second.end());
    };
    add(by_person_, m.person);
    if (!m.organization.empty()) add(by_organization_, m.organization);
    return open;
  }

 private:
  std::map<member_key, std::vector<const task*>> by_person_;
  std::map<std::pair<std::string, std::string>, std::vector<const task*>> by_organization_;
};

/// Collects one tick's actions and the messages it decides.
class tick_run {
 public:
  tick_run(const world& w, time_point now) : w_(w), now_(now) {}

  /// A DM to `p` about `about`, from their first allowed moment on.
  void send(const person& p, std::string key, message body, message_subject about) {
    auto m = direct_message(p, std::move(key), std::move(body), first_allowed(p, w_.engine, now_), std::move(about));
    if (m) out_.push_back(std::move(*m));
  }
  void change(action a) { out_.push_back(std::move(a)); }
  void audit(const std::string& collab, std::string what, std::string detail) {
    out_.push_back(record_audit{audit_entry{now_, collab, "system", std::move(what), std::move(detail)}});
  }
  std::vector<action> take() { return std::move(out_); }

  const world& w() const { return w_; }
  time_point now() const { return now_; }
  schedule_book& schedules() { return schedules_; }
  /// Built on first use: a tick where nothing is due never needs it.
  const roster& people() {
    if (!roster_) roster_.emplace(w_);
    return *roster_;
  }
  /// Built on first use, like the roster.
  const open_task_book& open_tasks() {
    if (!open_tasks_) open_tasks_.emplace(w_);
    return *open_tasks_;
  }

 private:
  const world& w_;
  time_point now_;
  std::optional<roster> roster_;
  std::optional<open_task_book> open_tasks_;
  std::vector<action> out_;
  schedule_book schedules_;
};

const std::string& collaboration_name(const world& w, const std::string& collab) {
  return w.collaborations.at(collab).name;
}

/// The nudge listing `open` (a member's open tasks, in any order): due soonest first, then the
/// undated, ending with one concrete ask about the first; a check-in question when nothing is open.
message nudge_listing(const world& w, const std::string& collaboration, const person& p, std::vector<const task*> open,
                      time_point now) {
  std::ranges::sort(open, [](const task* a, const task* b) {
    if (a->due.has_value() != b->due.has_value()) return a->due.has_value();
    return std::tie(a->due, a->number) < std::tie(b->due, b->number);
  });
  open.erase(std::unique(open.begin(), open.end()), open.end());
  const std::string& name = collaboration_name(w, collaboration);
  nlohmann::json approvals = pending_approvals(w, collaboration, p);
  if (open.empty() && !approvals.empty()) return approval_nudge(p, name, std::move(approvals));
  if (open.empty()) return message{"checkin", {{"name", p.name}, {"collaboration", name}}};
  nlohmann::json tasks = nlohmann::json::array();
  for (const task* t : open) tasks.push_back(task_view(w, *t, now));
  const task& first = *open.front();
  message body{"nudge", {{"name", p.name}, {"collaboration", name}, {"tasks", std::move(tasks)},
                         {"first_number", first.number}, {"first_title", first.title}}};
  const std::string n = std::to_string(first.number);
  offer_answers(body, {answer{"done", "done " + n, "\u2705", false}, answer{"blocked", "blocked " + n, "\u26d4", true}});
  body.values["any_approvals"] = !approvals.empty();
  body.values["approvals"] = std::move(approvals);
  return body;
}

void nudge_on_schedule(tick_run& run, const membership& m, const person& p, const schedule& cadence, engagement& e,
                       bool& changed) {
  const world& w = run.w();
  const auto policy = w.tiers.find(m.tier);
  if (!e.next_nudge) {
    e.next_nudge = cadence.next_after(run.now(), p.time_zone);
    changed = true;
  }
  const auto last_heard = w.last_response.find(p.id);
  while (e.next_nudge && *e.next_nudge <= run.now()) {
    const time_point slot = *e.next_nudge;
    if (run.now() - slot > w.engine.lateness) {
      run.audit(m.collaboration, "nudge.skipped", p.id + " slot " + format_local_time(slot, p.time_zone) + " (missed while down)");
    } else {
      e.held_nudge = slot;  // a newer slot replaces a held one: at most one pending nudge
    }
    e.next_nudge = cadence.next_after(slot, p.time_zone);
    changed = true;
  }
  if (!e.held_nudge) return;
  const time_point slot = *e.held_nudge;
  const bool recently_active = last_heard != w.last_response.end() &&
                               last_heard->second > slot - policy->second.recently_active;
  if (recently_active) {
    e.held_nudge.reset();  // answered recently: not nagged this slot
    changed = true;
    return;
  }
  if (!reachable_at(p, w.engine, run.now())) return;
  // Rendered again and counted as sent when delivered (core/delivery.h).
  run.send(p, "nudge:" + m.collaboration + ":" + p.id + ":" + unix_text(slot),
           nudge_listing(w, m.collaboration, p, run.open_tasks().of(m), run.now()),
           message_subject{m.collaboration, about_nudge{}});
  e.held_nudge.reset();
  changed = true;
}

void digest_on_schedule(tick_run& run, const membership& m, const person& p, const schedule& cadence, engagement& e,
                        bool& changed) {
  if (!e.next_digest) {
    e.next_digest = cadence.next_after(run.now(), p.time_zone);
    changed = true;
  }
  if (!e.next_digest || *e.next_digest > run.now()) return;
  // After downtime, one digest covers everything since the last one.
  const time_point slot = *e.next_digest;
  run.send(p, "digest:" + m.collaboration + ":" + p.id + ":" + unix_text(slot),
           message{"digest", digest_values(run.w(), m.collaboration, p, e.last_digest, run.now())},
           message_subject{m.collaboration, {}});
  for (const auto& [key, s] : run.w().silences) {
    if (std::get<0>(key) == m.collaboration && !s.ended && !s.in_digest) {
      silence listed = s;
      listed.in_digest = run.now();
      run.change(save_silence{listed});
    }
  }
  e.last_digest = run.now();
  e.next_digest = cadence.next_after(run.now(), p.time_zone);
  changed = true;
}

const silence* latest_silence(const world& w, const std::string& collab, silence_subject subject, const std::string& id) {
  auto it = w.silences.find({collab, subject, id});
  return it == w.silences.end() ? nullptr : &it->second;
}

std::string silence_key(const silence& s, std::string_view step) {
  return "silence:" + s.collaboration + ":" + std::string{to_string(s.subject)} + ":" + s.id + ":" +
         std::to_string(s.episode) + ":" + std::string{step};
}

/// Messages about a silence are true while its episode lasts.
message_subject about(const silence& s) { return message_subject{s.collaboration, about_silence{s.subject, s.id, s.episode}}; }

const person* alternate_for(tick_run& run, const membership& m) {
  if (m.organization.empty()) return nullptr;
  for (const membership* other : run.people().members_of(m.collaboration, m.organization)) {
    if (other->person != m.person && other->roles.contains(role::alternate)) return &run.w().people.at(other->person);
  }
  return nullptr;
}

/// The time of a member's last response, or when the engine first ran for the never-heard.
time_point last_heard(const world& w, const std::string& person, time_point now) {
  const auto heard = w.last_response.find(person);
  return heard != w.last_response.end() ? heard->second : w.first_tick.value_or(now);
}

/// True when the member is silent in the world as it stands: past their threshold, episode open.
bool silent_in_world(const world& w, const membership& m, time_point now) {
  const auto policy = w.tiers.find(m.tier);
  if (!m.active || policy == w.tiers.end() || policy->second.silence_after.count() == 0) return false;
  if (now <= last_heard(w, m.person, now) + policy->second.silence_after) return false;
  const silence* latest = latest_silence(w, m.collaboration, silence_subject::person, m.person);
  return latest != nullptr && !latest->ended;
}

/// Flags the member's silence once per episode and climbs its ladder; says whether they are silent
/// after this tick and when their silence next needs a look.
outlook watch_person_silence(tick_run& run, const membership& m) {
  const world& w = run.w();
  const auto policy = w.tiers.find(m.tier);
  if (policy == w.tiers.end() || policy->second.silence_after.count() == 0) return {};
  time_point heard = last_heard(w, m.person, run.now());
  // Heard from within the threshold: not silent, and any episode was ended by that response.
  if (run.now() <= heard + policy->second.silence_after) return {false, just_after(heard + policy->second.silence_after)};
  const person& p = w.people.at(m.person);
  const silence* latest = latest_silence(w, m.collaboration, silence_subject::person, p.id);
  const bool open = latest != nullptr && !latest->ended;
  if (paused_at(p, run.now())) return {open, *p.paused_until};
  if (open) {
    if (latest->told_alternate) return {true, std::nullopt};
    const time_point escalate_at = latest->since + w.engine.escalate_after;
    if (run.now() < escalate_at) return {true, escalate_at};
    // Without an alternate there is nothing more to climb; naming one touches the organization.
    if (const person* alternate = alternate_for(run, m)) {
      silence s = *latest;
      s.told_alternate = run.now();
      run.send(*alternate, silence_key(s, "alternate"),
               message{"silence_alternate", {{"name", alternate->name}, {"who", p.name},
                                             {"org", w.organizations.at({m.collaboration, m.organization}).name},
                                             {"days", whole_days(run.now() - s.last_heard)}}},
               about(s));
      run.change(save_silence{s});
    }
    return {true, std::nullopt};
  }
  // Coming back from a pause starts the clock afresh: nobody is flagged on their first day back.
  if (p.paused_until && *p.paused_until > heard) heard = *p.paused_until;
  if (run.now() <= heard + policy->second.silence_after) return {false, just_after(heard + policy->second.silence_after)};
  // Only past the tier's threshold is the person's own rhythm worth computing.
  const auto recent = w.recent_responses.find(p.id);
  const seconds rhythm = recent == w.recent_responses.end() ? seconds{0} : median_gap(recent->second) * w.engine.rhythm_factor;
  if (run.now() <= heard + rhythm) return {false, just_after(heard + rhythm)};
  silence s{m.collaboration, silence_subject::person, p.id, latest == nullptr ? 1 : latest->episode + 1, run.now(), heard,
            std::nullopt, run.now(), std::nullopt, std::nullopt};
  run.send(p, silence_key(s, "dm"),
           message{"silence_dm", {{"name", p.name}, {"collaboration", collaboration_name(w, m.collaboration)},
                                  {"days", whole_days(run.now() - heard)}}},
           about(s));
  run.change(save_silence{s});
  run.audit(m.collaboration, "silence.person", p.id + " silent for " + std::to_string(whole_days(run.now() - heard)) + " days");
  return {true, s.since + w.engine.escalate_after};
}

void tell_facilitators(tick_run& run, const silence& s, message body) {
  for (const person* f : run.people().facilitators_of(s.collaboration)) {
    run.send(*f, silence_key(s, "facilitator:" + f->id), body, about(s));
  }
}

/// Flags an organization all of whose people are silent, once per episode.
void watch_organization_silence(tick_run& run, const std::string& collab, const std::string& org) {
  const world& w = run.w();
  const silence* latest = latest_silence(w, collab, silence_subject::organization, org);
  if (latest != nullptr && !latest->ended) return;
  time_point heard = w.first_tick.value_or(run.now());
  for (const membership* m : run.people().members_of(collab, org)) {
    if (auto it = w.last_response.find(m->person); it != w.last_response.end()) heard = std::max(heard, it->second);
  }
  silence s{collab, silence_subject::organization, org, latest == nullptr ? 1 : latest->episode + 1, run.now(), heard,
            std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  tell_facilitators(run, s, message{"organization_silent", {{"org", w.organizations.at({collab, org}).name},
                                                           {"collaboration", collaboration_name(w, collab)},
                                                           {"days", whole_days(run.now() - heard)}}});
  run.change(save_silence{s});
  run.audit(collab, "silence.organization", org);
}

void watch_lull(tick_run& run, const collaboration& c) {
  const world& w = run.w();
  if (c.rooms.empty() || w.engine.lull_after.count() == 0) return;
  const silence* latest = latest_silence(w, c.id, silence_subject::collaboration, c.id);
  if (latest != nullptr && !latest->ended) return;
  const auto activity = w.room_activity.find(c.id);
  const time_point heard = activity != w.room_activity.end() ? activity->second : w.first_tick.value_or(run.now());
  if (run.now() <= heard + w.engine.lull_after) return;
  silence s{c.id, silence_subject::collaboration, c.id, latest == nullptr ? 1 : latest->episode + 1, run.now(), heard,
            std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  tell_facilitators(run, s, message{"collaboration_lull", {{"collaboration", c.name}, {"days", whole_days(run.now() - heard)}}});
  run.change(save_silence{s});
  run.audit(c.id, "silence.lull", c.id);
}

/// The people a task's reminders go to: its assignee, or its organization's representatives.
std::vector<const person*> reminded_people(tick_run& run, const task& t) {
  if (!t.assignee_person.empty()) {
    auto p = run.w().people.find(t.assignee_person);
    return p == run.w().people.end() ? std::vector<const person*>{} : std::vector<const person*>{&p->second};
  }
  std::vector<const person*> out;
  for (const membership* m : run.people().members_of(t.collaboration, t.assignee_organization)) {
    if (m->roles.contains(role::representative)) out.push_back(&run.w().people.at(m->person));
  }
  return out;
}

void remind(tick_run& run, const task& t, std::string_view kind, time_point deadline) {
  const std::string n = std::to_string(t.number);
  for (const person* p : reminded_people(run, t)) {
    if (first_allowed(*p, run.w().engine, run.now()) > deadline) continue;  // away until after the due date: the escalation covers it
    nlohmann::json values = task_view(run.w(), t, run.now());
    values["name"] = p->name;
    message body{"reminder_" + std::string{kind}, std::move(values)};
    offer_answers(body, {answer{"done", "done " + n, "\u2705", false}, answer{"blocked", "blocked " + n, "\u26d4", true}});
    run.send(*p, "remind:" + n + ":" + std::string{kind == "due" ? "due" : "before"} + ":" + p->id, std::move(body),
             subject_of(t));
  }
}

void remind_tasks(tick_run& run) {
  const world& w = run.w();
  // The exact deadline needs the tz database; a task far from its due date, or with everything
  // already decided, is passed over without it. A day ends at most 14 hours before its UTC end.
  const auto earliest_look = std::max<std::chrono::seconds>(w.engine.remind_before, std::chrono::days{1}) + std::chrono::hours{14};
  for (const auto& [number, original] : w.tasks) {
    if (is_closed(original.status) || !original.due) continue;
    if (original.reminded_before && original.reminded_on_due && original.escalated) continue;
    if (run.now() < time_point{*original.due + std::chrono::days{1}} - earliest_look) continue;
    const time_point due = *due_deadline(w, original);
    const bool before_due = !original.reminded_before && run.now() >= due - w.engine.remind_before &&
                            run.now() < due && original.created_at < due - w.engine.remind_before;
    const bool overdue = !original.escalated && run.now() > due;
    const bool maybe_due_day = !original.reminded_on_due && run.now() <= due && run.now() + std::chrono::days{1} >= due;
    if (!before_due && !overdue && !maybe_due_day) continue;
    const std::string zone = due_zone(w, original).value_or("UTC");
    const time_point due_day_at = at_local_minute(date::year_month_day{*original.due}, w.engine.reminder_minute, zone);
    const bool on_due_day = maybe_due_day && run.now() >= due_day_at && original.created_at < due_day_at;
    if (!before_due && !overdue && !on_due_day) continue;
    task t = original;
    if (before_due) {
      remind(run, t, "before", due);
      t.reminded_before = true;
    }
    if (on_due_day) {
      remind(run, t, "due", due);
      t.reminded_on_due = true;
    }
    if (overdue) {
      for (const person* f : run.people().facilitators_of(t.collaboration)) {
        run.send(*f, "escalate:" + std::to_string(t.number) + ":overdue:" + f->id,
                 message{"task_overdue", task_view(w, t, run.now())}, subject_of(t));
      }
      run.audit(t.collaboration, "task.overdue", "#" + std::to_string(t.number));
      t.escalated = true;
    }
    run.change(save_task{t});
  }
}

nlohmann::json silence_entry(const world& w, const silence& s, const std::string& zone, time_point now) {
  auto day = [&](const std::optional<time_point>& t) { return t ? format_date(local_date(*t, zone)) : std::string{}; };
  std::string who = s.id;
  if (s.subject == silence_subject::person) {
    if (auto p = w.people.find(s.id); p != w.people.end()) who = p->second.name;
  } else if (s.subject == silence_subject::organization) {
    if (auto o = w.organizations.find({s.collaboration, s.id}); o != w.organizations.end()) who = o->second.name;
  } else {
    who = collaboration_name(w, s.collaboration);
  }
  return {{"who", who},
          {"person", s.subject == silence_subject::person},
          {"organization", s.subject == silence_subject::organization},
          {"lull", s.subject == silence_subject::collaboration},
          {"days", whole_days(now - s.last_heard)},
          {"since", day(s.since)},
          {"told_person", day(s.told_person)},
          {"in_digest", day(s.in_digest)},
          {"told_alternate", day(s.told_alternate)}};
}

}  // namespace

message nudge_message(const world& w, const std::string& collaboration, const person& p, time_point now) {
  const membership* m = find_membership(w, collaboration, p.id);
  std::vector<const task*> open;
  for (const auto& [_, t] : w.tasks) {
    if (t.collaboration != collaboration || is_closed(t.status)) continue;
    const bool mine = t.assignee_person == p.id ||
                      (m != nullptr && !m->organization.empty() && t.assignee_organization == m->organization);
    if (mine) open.push_back(&t);
  }
  return nudge_listing(w, collaboration, p, std::move(open), now);
}

std::vector<action> tick(const world& w, time_point now) {
  tick_run run(w, now);
  std::map<tier, const schedule*> cadences;
  for (const auto& [which, policy] : w.tiers) {
    const schedule* cadence = run.schedules().find(policy.schedule);
    cadences[which] = cadence != nullptr && !cadence->never() ? cadence : nullptr;
  }
  const schedule* digest_cadence = run.schedules().find(w.engine.digest_schedule);
  const bool digests = digest_cadence != nullptr && !digest_cadence->never();
  record_tick done{now, {}, !w.wakes.primed()};
  std::map<member_key, bool> silent_now;        ///< verdicts of the members looked at
  std::set<member_key> organizations_to_check;  ///< (collab, org) with a silent or departed member

  auto look_at = [&](const member_key& key, const membership& m) {
    if (!m.active) {
      if (!m.organization.empty()) organizations_to_check.insert({key.first, m.organization});
      done.wakes.emplace_back(key, std::nullopt);
      return;
    }
    const person& p = w.people.at(m.person);
    const auto known = w.engagements.find(key);
    engagement e = known != w.engagements.end() ? known->second : engagement{m.collaboration, m.person, {}, {}, {}, {}};
    bool changed = false;
    std::optional<time_point> wake;
    if (const auto cadence = cadences.find(m.tier); cadence != cadences.end() && cadence->second != nullptr) {
      nudge_on_schedule(run, m, p, *cadence->second, e, changed);
      wake = earliest(e.next_nudge, e.held_nudge ? std::optional{first_allowed(p, w.engine, now)} : std::nullopt);
    }
    if (digests && m.roles.contains(role::facilitator)) {
      digest_on_schedule(run, m, p, *digest_cadence, e, changed);
      wake = earliest(wake, e.next_digest);
    }
    if (changed) run.change(save_engagement{e});
    const outlook silence = watch_person_silence(run, m);
    silent_now[key] = silence.silent;
    if (silence.silent && !m.organization.empty()) organizations_to_check.insert({key.first, m.organization});
    done.wakes.emplace_back(key, earliest(wake, silence.wake));
  };
  if (done.looked_at_everyone) {
    for (const auto& [key, m] : w.memberships) look_at(key, m);
  } else {
    // In membership order, as when looking at everyone: the same world decides the same sequence.
    std::vector<member_key> due = w.wakes.due(now);
    std::ranges::sort(due);
    for (const member_key& key : due) {
      if (const auto m = w.memberships.find(key); m != w.memberships.end()) look_at(key, m->second);
    }
  }
  // An organization is silent when all its active people are.
  for (const auto& [collab, org] : organizations_to_check) {
    const auto& members = run.people().members_of(collab, org);
    const bool all_silent = !members.empty() && std::ranges::all_of(members, [&](const membership* m) {
      const auto verdict = silent_now.find({m->collaboration, m->person});
      return verdict != silent_now.end() ? verdict->second : silent_in_world(w, *m, now);
    });
    if (all_silent) watch_organization_silence(run, collab, org);
  }
  for (const auto& [_, c] : w.collaborations) watch_lull(run, c);
  remind_tasks(run);
  for (action& a : weekly_events_digests(w, now)) run.change(std::move(a));
  for (action& a : monthly_pulse(w, now)) run.change(std::move(a));
  for (action& a : approvals_tick(w, now)) run.change(std::move(a));
  run.change(std::move(done));
  return run.take();
}

std::vector<action> end_silences(const world& w, const std::string& person, const std::string& room_collaboration,
                                 time_point at) {
  std::vector<action> out;
  auto end = [&](const std::string& collab, silence_subject subject, const std::string& id) {
    const silence* s = latest_silence(w, collab, subject, id);
    if (s == nullptr || s->ended || s->since > at) return;
    silence ended = *s;
    ended.ended = at;
    out.push_back(save_silence{ended});
  };
  for (const auto& collab : collaborations_of(w, person)) {
    end(collab, silence_subject::person, person);
    const membership* m = find_membership(w, collab, person);
    if (!m->organization.empty()) end(collab, silence_subject::organization, m->organization);
  }
  if (!room_collaboration.empty()) end(room_collaboration, silence_subject::collaboration, room_collaboration);
  return out;
}

nlohmann::json digest_values(const world& w, const std::string& collaboration, const person& facilitator,
                             std::optional<time_point> since, time_point now) {
  const time_point from = since.value_or(now - std::chrono::days{7});
  const std::string& zone = facilitator.time_zone;
  nlohmann::json silences = nlohmann::json::array();
  for (const auto& [key, s] : w.silences) {
    if (std::get<0>(key) != collaboration || s.ended) continue;
    nlohmann::json entry = silence_entry(w, s, zone, now);
    entry["new"] = s.since >= from;
    silences.push_back(std::move(entry));
  }
  nlohmann::json overdue = nlohmann::json::array();
  nlohmann::json done = nlohmann::json::array();
  for (const auto& [_, t] : w.tasks) {
    if (t.collaboration != collaboration) continue;
    if (is_overdue(w, t, now)) overdue.push_back(task_view(w, t, now));
    if (t.status == task_status::done && t.updated_at >= from) done.push_back(task_view(w, t, now));
  }
  struct tally {
    int people = 0;
    int active = 0;
    int responses = 0;
  };
  std::map<std::string, tally> by_org;
  for (const auto& [key, m] : memberships_of(w, collaboration)) {
    if (!m.active || m.organization.empty()) continue;
    tally& t = by_org[m.organization];
    ++t.people;
    auto recent = w.recent_answers.find(m.person);
    if (recent == w.recent_answers.end()) continue;
    const auto count = std::ranges::count_if(recent->second, [&](time_point r) { return r >= from && r <= now; });
    t.responses += static_cast<int>(count);
    t.active += count > 0 ? 1 : 0;
  }
  nlohmann::json organizations = nlohmann::json::array();
  for (const auto& [org, t] : by_org) {
    organizations.push_back({{"name", w.organizations.at({collaboration, org}).name},
                             {"people", t.people}, {"active", t.active}, {"responses", t.responses}});
  }
  const nlohmann::json handovers = handover_suggestions(w, collaboration, now);
  const nlohmann::json undelivered = failed_deliveries(w, collaboration, from, zone);
  const nlohmann::json rounds = open_rounds(w, collaboration, zone);
  const nlohmann::json events =
      upcoming_events(w, collaboration, std::chrono::sys_days{date::sys_days{local_date(now, zone)}.time_since_epoch()},
                      digest_event_days);
  return {{"name", facilitator.name},
          {"collaboration", collaboration_name(w, collaboration)},
          {"since", format_date(local_date(from, zone))},
          {"silences", silences},
          {"any_silences", !silences.empty()},
          {"overdue", overdue},
          {"any_overdue", !overdue.empty()},
          {"done", done},
          {"any_done", !done.empty()},
          {"any_organizations", !organizations.empty()},
          {"organizations", organizations},
          {"handovers", handovers},
          {"any_handovers", !handovers.empty()},
          {"rounds", rounds},
          {"any_rounds", !rounds.empty()},
          {"events", events},
          {"any_events", !events.empty()},
          {"undelivered", undelivered},
          {"any_undelivered", !undelivered.empty()}};
}

nlohmann::json failed_deliveries(const world& w, const std::string& collaboration, time_point since,
                                 const std::string& zone) {
  nlohmann::json entries = nlohmann::json::array();
  for (const audit_entry& e : w.audit) {
    if (e.collaboration == collaboration && e.action == failed_delivery_action && e.at >= since) {
      entries.push_back({{"when", format_local_time(e.at, zone)}, {"detail", e.detail}});
    }
  }
  return entries;
}

nlohmann::json silence_values(const world& w, const std::string& collaboration, const person& viewer, time_point now) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [key, s] : w.silences) {
    if (std::get<0>(key) == collaboration && !s.ended) entries.push_back(silence_entry(w, s, viewer.time_zone, now));
  }
  return {{"collaboration", collaboration_name(w, collaboration)}, {"silences", entries}, {"any", !entries.empty()}};
}

}  // namespace tandem
