#include "core/approvals.h"

#include "core/availability.h"
#include "core/dates.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tandem {
namespace {

using std::chrono::hours;

/// How long before the deadline an organization still pending is escalated.
constexpr hours escalate_before{24};
/// How long before a representative's expected date they are reminded of it.
constexpr hours expected_reminder_before{24};
/// A round's deadline when `approval open` names none.
constexpr date::days default_round_length{14};

constexpr std::array rule_names{std::pair{approval_rule::all, std::string_view{"all"}},
                                std::pair{approval_rule::majority, std::string_view{"majority"}},
                                std::pair{approval_rule::no_objection, std::string_view{"no-objection"}}};

constexpr std::array state_names{std::pair{approval_state::asked, std::string_view{"asked"}},
                                 std::pair{approval_state::acknowledged, std::string_view{"acknowledged"}},
                                 std::pair{approval_state::checking, std::string_view{"checking"}},
                                 std::pair{approval_state::approved, std::string_view{"approved"}},
                                 std::pair{approval_state::abstained, std::string_view{"abstained"}},
                                 std::pair{approval_state::objected, std::string_view{"objected"}}};

std::string unix_text(time_point t) { return std::to_string(t.time_since_epoch().count()); }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string organization_name(const world& w, const std::string& collab, const std::string& org) {
  auto it = w.organizations.find({collab, org});
  return it == w.organizations.end() ? org : it->second.name;
}

std::string display_name(const world& w, const std::string& person_id) {
  auto it = w.people.find(person_id);
  return it == w.people.end() ? person_id : it->second.name;
}

std::string day_in(time_point t, const std::string& zone) { return format_date(local_date(t, zone)); }

/// The expected date of a `checking ... until DATE`, as the representative wrote it (their zone).
std::string expected_day(const world& w, const approval_answer& ans) {
  if (!ans.expected) return "";
  auto by = w.people.find(ans.by);
  return day_in(*ans.expected, by == w.people.end() ? "UTC" : by->second.time_zone);
}

/// Active members of an organization holding `which`, in id order.
std::vector<const person*> holders(const world& w, const std::string& collab, const std::string& org, role which) {
  std::vector<const person*> out;
  for (auto it = w.memberships.lower_bound({collab, ""}); it != w.memberships.end() && it->first.first == collab;
       ++it) {
    const membership& m = it->second;
    if (m.active && m.organization == org && m.roles.contains(which)) out.push_back(&w.people.at(m.person));
  }
  return out;
}

/// Who answers for an organization: its representatives, or its alternates when it has none.
std::vector<const person*> answerers(const world& w, const std::string& collab, const std::string& org) {
  auto reps = holders(w, collab, org, role::representative);
  return reps.empty() ? holders(w, collab, org, role::alternate) : reps;
}

std::vector<const person*> facilitators(const world& w, const std::string& collab) {
  std::vector<const person*> out;
  for (auto it = w.memberships.lower_bound({collab, ""}); it != w.memberships.end() && it->first.first == collab;
       ++it) {
    if (it->second.active && it->second.roles.contains(role::facilitator))
      out.push_back(&w.people.at(it->second.person));
  }
  return out;
}

/// A DM to `p` about `about`, from their first allowed moment at or after `now`.
void send_to(std::vector<action>& out, const world& w, const person& p, std::string key, message body, time_point now,
             message_subject about) {
  auto m = direct_message(p, std::move(key), std::move(body), first_allowed(p, w.engine, now), std::move(about));
  if (m) out.push_back(std::move(*m));
}

/// Messages asking an organization about a round are true until it answers or the round closes;
/// `to_answerer`: also only while the recipient answers for it.
message_subject about_round(const approval_round& a, const std::string& organization, bool to_answerer) {
  return message_subject{a.collaboration, about_approval{a.number, organization, to_answerer}};
}

record_audit audit_line(time_point now, const std::string& collab, const std::string& actor, std::string what,
                        std::string detail) {
  return record_audit{audit_entry{now, collab, actor, std::move(what), std::move(detail)}};
}

void add_state(nlohmann::json& values, approval_state s) {
  for (const auto& [state, name] : state_names) values[std::string{name}] = state == s;
}

/// What every message about a round says of it, with dates in `zone`.
nlohmann::json round_values(const approval_round& a, const std::string& zone) {
  return {{"number", a.number},
          {"title", a.title},
          {"link", a.link},
          {"deadline", day_in(a.deadline, zone)},
          {"rule_all", a.rule == approval_rule::all},
          {"rule_majority", a.rule == approval_rule::majority},
          {"rule_no_objection", a.rule == approval_rule::no_objection},
          {"closed", a.closed_at.has_value()},
          {"approved", a.closed_at.has_value() && a.approved}};
}

/// One organization's line in a round's grid: state, who answered (and whether they have since
/// left), when, the note, the expected date.
nlohmann::json grid_line(const world& w, const approval_round& a, const approval_answer& ans, const std::string& zone) {
  const membership* by = ans.by.empty() ? nullptr : find_membership(w, a.collaboration, ans.by);
  nlohmann::json line{{"org", organization_name(w, a.collaboration, ans.organization)},
                      {"who", ans.by.empty() ? "" : display_name(w, ans.by)},
                      {"former", by != nullptr && (!by->active || by->organization != ans.organization)},
                      {"when", ans.at ? format_local_time(*ans.at, zone) : ""},
                      {"note", ans.note},
                      {"expected", expected_day(w, ans)}};
  add_state(line, ans.state);
  return line;
}

nlohmann::json grid(const world& w, const approval_round& a, const std::string& zone) {
  nlohmann::json lines = nlohmann::json::array();
  for (const approval_answer& ans : a.answers) lines.push_back(grid_line(w, a, ans, zone));
  return lines;
}

/// The round's values with its grid and the count of each kind of answer.
nlohmann::json result_values(const world& w, const approval_round& a, const std::string& zone) {
  nlohmann::json values = round_values(a, zone);
  values["organizations"] = grid(w, a, zone);
  const auto count = [&](approval_state s) {
    return std::ranges::count_if(a.answers, [s](const approval_answer& x) { return x.state == s; });
  };
  values["approvals"] = count(approval_state::approved);
  values["abstentions"] = count(approval_state::abstained);
  values["objections"] = count(approval_state::objected);
  values["pending"] = std::ranges::count_if(a.answers, [](const approval_answer& x) { return !is_final(x.state); });
  values["by_deadline"] = a.closed_by == "system";
  return values;
}

const person* opener_of(const world& w, const approval_round& a) {
  auto it = w.people.find(a.opened_by);
  return it == w.people.end() ? nullptr : &it->second;
}

/// Closes a round now: the result by its rule, announced to the collaboration's rooms (in the
/// opener's language) and to its facilitators other than `closer`. Returns the closed round.
approval_round close_round(std::vector<action>& out, const world& w, approval_round a, const std::string& closer,
                           time_point now) {
  a.closed_at = now;
  a.closed_by = closer;
  a.approved = approval_result(a);
  out.push_back(save_approval{a});
  const std::string n = std::to_string(a.number);
  out.push_back(audit_line(
      now, a.collaboration, closer, "approval.close",
      "A" + n + (a.approved ? " approved" : " not approved") + (closer == "system" ? " at the deadline" : "")));
  const person* opener = opener_of(w, a);
  const std::string zone = opener != nullptr ? opener->time_zone : "UTC";
  const std::string language = opener != nullptr ? opener->language : "en";
  const message announcement{"approval_result", result_values(w, a, zone)};
  for (const room& r : w.collaborations.at(a.collaboration).rooms) {
    out.push_back(send_message{"approval:" + n + ":result:room:" + r.platform + ":" + r.workspace + ":" + r.id,
                               destination{r.platform, r.workspace, r.id, "", "", language, ""}, announcement, now});
  }
  for (const person* f : facilitators(w, a.collaboration)) {
    if (f->id == closer || f->identities.empty()) continue;
    send_to(out, w, *f, "approval:" + n + ":result:" + f->id, message{"approval_result", result_values(w, a, f->time_zone)},
            now, message_subject{a.collaboration, {}});
  }
  return a;
}

/// The round a command names, in the command's collaboration; replies and returns null if none.
const approval_round* find_round(command_scope& s, std::int64_t number) {
  auto it = s.w.approvals.find(number);
  if (it == s.w.approvals.end() || it->second.collaboration != s.collaboration) {
    s.reply("error_unknown_approval", {{"number", number}});
    return nullptr;
  }
  return &it->second;
}

void open_round(command_scope& s, const command& c) {
  const world& w = s.w;
  std::vector<std::string> orgs;
  if (c.targets.empty()) {
    for (const auto& [key, _] : w.organizations) {
      if (key.first == s.collaboration && !answerers(w, s.collaboration, key.second).empty())
        orgs.push_back(key.second);
    }
    if (orgs.empty()) {
      s.reply("error_nobody_to_ask", {{"collaboration", w.collaborations.at(s.collaboration).name}});
      return;
    }
  } else {
    for (const target& t : c.targets) {
      if (!w.organizations.contains({s.collaboration, t.ref})) {
        std::vector<std::string> known;
        for (const auto& [key, _] : w.organizations) {
          if (key.first == s.collaboration) known.push_back(key.second);
        }
        s.reply("error_unknown_organization", {{"org", t.ref}, {"known", join(known)}});
        return;
      }
      if (answerers(w, s.collaboration, t.ref).empty()) {
        s.reply("error_no_representative", {{"org", organization_name(w, s.collaboration, t.ref)}, {"id", t.ref}});
        return;
      }
      if (std::ranges::find(orgs, t.ref) == orgs.end()) orgs.push_back(t.ref);
    }
  }
  const date::year_month_day today = local_date(s.now, s.sender.time_zone);
  const date::year_month_day last_day =
      c.date.value_or(date::year_month_day{date::sys_days{today} + default_round_length});
  if (date::sys_days{last_day} < date::sys_days{today}) {
    s.reply("error_date_in_past", {{"date", format_date(last_day)}});
    return;
  }
  approval_round a;
  a.number = next_approval_number(w);
  a.collaboration = s.collaboration;
  a.title = c.text;
  a.link = c.link;
  a.rule = c.rule.value_or(approval_rule::all);
  a.deadline = end_of_day(last_day, s.sender.time_zone);
  a.opened_by = s.sender.id;
  a.opened_at = s.now;
  std::vector<std::string> names;
  for (const std::string& org : orgs) {
    a.answers.push_back(
        approval_answer{org, approval_state::asked, "", std::nullopt, "", std::nullopt, false, false, false});
    names.push_back(organization_name(w, s.collaboration, org));
  }
  s.change(save_approval{a});
  const std::string n = std::to_string(a.number);
  s.change(audit_line(s.now, s.collaboration, s.sender.id, "approval.open",
                      "A" + n + " \"" + a.title + "\" to " + join(orgs) + " rule " + std::string{to_string(a.rule)} +
                          " deadline " + format_date(last_day)));
  nlohmann::json opened = round_values(a, s.sender.time_zone);
  opened["organizations"] = join(names);
  opened["count"] = names.size();
  s.reply("approval_opened", std::move(opened));
  for (const std::string& org : orgs) {
    for (const person* rep : answerers(w, s.collaboration, org)) {
      if (rep->identities.empty()) continue;
      nlohmann::json values = round_values(a, rep->time_zone);
      values["name"] = rep->name;
      values["org"] = organization_name(w, s.collaboration, org);
      values["by"] = s.sender.name;
      message body{"approval_request", std::move(values)};
      offer_answers(body, approval_answers(a.number));
      if (auto ask = direct_message(*rep, "approval:" + n + ":ask:" + rep->id, std::move(body),
                                    first_allowed(*rep, w.engine, s.now), about_round(a, org, true))) {
        s.change(std::move(*ask));
      }
    }
  }
}

void show_round(command_scope& s, const command& c) {
  const approval_round* a = find_round(s, c.number);
  if (a == nullptr) return;
  nlohmann::json values = result_values(s.w, *a, s.sender.time_zone);
  values["opened_by"] = display_name(s.w, a->opened_by);
  values["opened"] = day_in(a->opened_at, s.sender.time_zone);
  s.reply("approval_status", std::move(values));
}

void close_now(command_scope& s, const command& c) {
  const approval_round* a = find_round(s, c.number);
  if (a == nullptr) return;
  if (a->closed_at) {
    s.reply("error_approval_closed", round_values(*a, s.sender.time_zone));
    return;
  }
  std::vector<std::string> waiting;
  for (const approval_answer& ans : a->answers) {
    if (!is_final(ans.state)) waiting.push_back(organization_name(s.w, s.collaboration, ans.organization));
  }
  if (!waiting.empty() && !c.confirmed) {
    nlohmann::json values = round_values(*a, s.sender.time_zone);
    values["waiting"] = join(waiting);
    values["count"] = waiting.size();
    s.reply("approval_close_confirm", std::move(values));
    return;
  }
  std::vector<action> out;
  const approval_round closed = close_round(out, s.w, *a, s.sender.id, s.now);
  s.reply("approval_result", result_values(s.w, closed, s.sender.time_zone));
  for (action& x : out) s.change(std::move(x));
}

/// `approvals`: the open rounds that ask the sender's organization, with its answer so far.
void list_open_for_organization(command_scope& s) {
  const membership* m = find_membership(s.w, s.collaboration, s.sender.id);
  const std::string org = m != nullptr ? m->organization : "";
  std::vector<std::pair<const approval_round*, const approval_answer*>> asked;
  for (const auto& [_, a] : s.w.approvals) {
    if (a.collaboration != s.collaboration || a.closed_at) continue;
    for (const approval_answer& ans : a.answers) {
      if (ans.organization == org) asked.emplace_back(&a, &ans);
    }
  }
  std::ranges::stable_sort(asked, [](const auto& x, const auto& y) { return x.first->deadline < y.first->deadline; });
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& [a, ans] : asked) {
    nlohmann::json item = round_values(*a, s.sender.time_zone);
    item["who"] = ans->by.empty() ? "" : display_name(s.w, ans->by);
    item["note"] = ans->note;
    item["expected"] = expected_day(s.w, *ans);
    add_state(item, ans->state);
    rounds.push_back(std::move(item));
  }
  s.reply("approval_list", {{"org", organization_name(s.w, s.collaboration, org)},
                            {"rounds", std::move(rounds)},
                            {"count", asked.size()},
                            {"any", !asked.empty()}});
}

approval_state state_of(verb v) {
  switch (v) {
    case verb::ack: return approval_state::acknowledged;
    case verb::checking: return approval_state::checking;
    case verb::approve: return approval_state::approved;
    case verb::abstain: return approval_state::abstained;
    default: return approval_state::objected;
  }
}

void answer_round(command_scope& s, const command& c) {
  const approval_round* found = find_round(s, c.number);
  if (found == nullptr) return;
  const world& w = s.w;
  const membership* m = find_membership(w, s.collaboration, s.sender.id);
  const bool speaks_for_org = m != nullptr && m->active && !m->organization.empty() &&
                              (m->roles.contains(role::representative) || m->roles.contains(role::alternate));
  approval_round a = *found;
  auto ans = std::ranges::find_if(
      a.answers, [&](const approval_answer& x) { return speaks_for_org && x.organization == m->organization; });
  if (ans == a.answers.end()) {
    std::vector<std::string> asked;
    for (const approval_answer& x : a.answers) asked.push_back(organization_name(w, s.collaboration, x.organization));
    s.reply(
        "error_not_asked",
        {{"number", a.number},
         {"org", m == nullptr || m->organization.empty() ? "" : organization_name(w, s.collaboration, m->organization)},
         {"asked", join(asked)}});
    return;
  }
  if (a.closed_at) {
    s.reply("error_approval_closed", round_values(a, s.sender.time_zone));
    return;
  }
  const approval_state before = ans->state;
  const approval_state after = state_of(c.what);
  nlohmann::json values = round_values(a, s.sender.time_zone);
  values["org"] = organization_name(w, s.collaboration, ans->organization);
  if (c.what == verb::ack && before != approval_state::asked) {
    values["who"] = display_name(w, ans->by);
    add_state(values, before);
    s.reply("approval_already", std::move(values));
    return;
  }
  std::optional<time_point> expected;
  if (c.what == verb::checking && c.date) {
    if (date::sys_days{*c.date} < date::sys_days{local_date(s.now, s.sender.time_zone)}) {
      s.reply("error_date_in_past", {{"date", format_date(*c.date)}});
      return;
    }
    expected = end_of_day(*c.date, s.sender.time_zone);
  }
  ans->state = after;
  ans->by = s.sender.id;
  ans->at = s.now;
  if (c.what != verb::ack) ans->note = c.what == verb::checking ? "" : c.text;
  if (c.what == verb::checking) {
    ans->expected = expected;
    ans->reminded_expected = false;
  }
  s.change(save_approval{a});
  const std::string n = std::to_string(a.number);
  std::string detail = "A" + n + " org:" + ans->organization;
  if (expected) detail += " until " + format_date(*c.date);
  if (!ans->note.empty()) detail += ": " + ans->note;
  s.change(audit_line(s.now, s.collaboration, s.sender.id, "approval." + std::string{spec_of(c.what).name}, detail));
  add_state(values, after);
  values["note"] = ans->note;
  values["expected"] = expected ? format_date(*c.date) : "";
  values["after_deadline"] = expected && *expected > a.deadline;
  values["changed"] = is_final(before) && before != after;
  s.reply("approval_answered", values);
  if (!is_final(after)) return;
  if (const person* opener = opener_of(w, a); opener != nullptr && opener->id != s.sender.id) {
    nlohmann::json notice = round_values(a, opener->time_zone);
    add_state(notice, after);
    notice["org"] = values["org"];
    notice["who"] = s.sender.name;
    notice["note"] = ans->note;
    notice["changed"] = values["changed"];
    if (auto told = direct_message(*opener, "approval:" + n + ":answer:" + s.event_key,
                                   message{"approval_answer_notice", std::move(notice)},
                                   first_allowed(*opener, w.engine, s.now), message_subject{a.collaboration, {}})) {
      s.change(std::move(*told));
    }
  }
}

/// Reminds an organization's answerers of a round: `why` is "expected" or "deadline".
void remind(std::vector<action>& out, const world& w, const approval_round& a, const approval_answer& ans,
            std::string_view why, time_point now) {
  const std::string n = std::to_string(a.number);
  const std::string which = why == "expected" ? "expected:" + unix_text(*ans.expected) : "deadline";
  const std::string key_prefix = "approval:" + n + ":" + ans.organization + ":" + which + ":";
  for (const person* rep : answerers(w, a.collaboration, ans.organization)) {
    nlohmann::json values = round_values(a, rep->time_zone);
    values["name"] = rep->name;
    values["org"] = organization_name(w, a.collaboration, ans.organization);
    values["expected"] = expected_day(w, ans);
    values["before_expected"] = why == "expected";
    values["before_deadline"] = why == "deadline";
    add_state(values, ans.state);
    message body{"approval_reminder", std::move(values)};
    offer_answers(body, approval_answers(a.number));
    send_to(out, w, *rep, key_prefix + rep->id, std::move(body), now, about_round(a, ans.organization, true));
  }
}

/// Tells the organization's alternates and the facilitators that it has not answered yet.
void escalate(std::vector<action>& out, const world& w, const approval_round& a, const approval_answer& ans,
              time_point now) {
  const std::string n = std::to_string(a.number);
  const auto asked = answerers(w, a.collaboration, ans.organization);
  std::vector<std::pair<const person*, bool>> told;  // (person, is the alternate)
  for (const person* alt : holders(w, a.collaboration, ans.organization, role::alternate)) {
    if (std::ranges::find(asked, alt) == asked.end()) told.emplace_back(alt, true);
  }
  for (const person* f : facilitators(w, a.collaboration)) told.emplace_back(f, false);
  std::vector<std::string> names;
  names.reserve(asked.size());
  for (const person* rep : asked) names.push_back(rep->name);
  const std::string representatives = join(names);
  for (const auto& [p, alternate] : told) {
    nlohmann::json values = round_values(a, p->time_zone);
    values["name"] = p->name;
    values["org"] = organization_name(w, a.collaboration, ans.organization);
    values["alternate"] = alternate;
    values["expected"] = expected_day(w, ans);
    values["representatives"] = representatives;
    add_state(values, ans.state);
    message body{"approval_escalation", std::move(values)};
    if (alternate) offer_answers(body, approval_answers(a.number));
    send_to(out, w, *p, "approval:" + n + ":" + ans.organization + ":escalate:" + p->id, std::move(body), now,
            about_round(a, ans.organization, alternate));
  }
  out.push_back(audit_line(now, a.collaboration, "system", "approval.escalate", "A" + n + " org:" + ans.organization));
}

}  // namespace

std::string_view to_string(approval_rule r) {
  for (const auto& [rule, name] : rule_names) {
    if (rule == r) return name;
  }
  return "all";
}

std::optional<approval_rule> approval_rule_from_string(std::string_view text) {
  for (const auto& [rule, name] : rule_names) {
    if (name == text) return rule;
  }
  return std::nullopt;
}

std::string_view to_string(approval_state s) {
  for (const auto& [state, name] : state_names) {
    if (state == s) return name;
  }
  return "asked";
}

std::optional<approval_state> approval_state_from_string(std::string_view text) {
  for (const auto& [state, name] : state_names) {
    if (name == text) return state;
  }
  return std::nullopt;
}

bool is_final(approval_state s) {
  return s == approval_state::approved || s == approval_state::abstained || s == approval_state::objected;
}

std::int64_t next_approval_number(const world& w) { return w.approvals.empty() ? 1 : w.approvals.rbegin()->first + 1; }

bool approval_result(const approval_round& a) {
  const auto count = [&](approval_state s) {
    return std::ranges::count_if(a.answers, [s](const approval_answer& x) { return x.state == s; });
  };
  const auto approvals = count(approval_state::approved);
  switch (a.rule) {
    case approval_rule::all:
      return approvals > 0 &&
             approvals + count(approval_state::abstained) == static_cast<std::ptrdiff_t>(a.answers.size());
    case approval_rule::majority: return approvals * 2 > static_cast<std::ptrdiff_t>(a.answers.size());
    case approval_rule::no_objection: return count(approval_state::objected) == 0;
  }
  return false;
}

std::vector<answer> approval_answers(std::int64_t number) {
  const std::string ref = "A" + std::to_string(number);
  return {answer{"ack", "ack " + ref, "\U0001F440", false}, answer{"checking", "checking " + ref, "\u23f3", false},
          answer{"approve", "approve " + ref, "\U0001F44D", false},
          answer{"abstain", "abstain " + ref, "\U0001F937", false},
          answer{"object", "object " + ref, "\U0001F44E", true}};
}

void run_approval_command(command_scope& scope, const command& c) {
  switch (c.what) {
    case verb::approval_open: open_round(scope, c); return;
    case verb::approval_status: show_round(scope, c); return;
    case verb::approval_close: close_now(scope, c); return;
    case verb::approvals: list_open_for_organization(scope); return;
    default: answer_round(scope, c); return;
  }
}

std::vector<action> approvals_tick(const world& w, time_point now) {
  std::vector<action> out;
  for (const auto& [number, a] : w.approvals) {
    if (a.closed_at) continue;
    if (now >= a.deadline) {
      close_round(out, w, a, "system", now);
      continue;
    }
    approval_round updated = a;
    bool changed = false;
    const time_point remind_at = a.deadline - w.engine.remind_before;
    const time_point escalate_at = a.deadline - escalate_before;
    for (approval_answer& ans : updated.answers) {
      if (is_final(ans.state)) continue;
      if (ans.state == approval_state::checking && ans.expected && !ans.reminded_expected && ans.at &&
          now >= *ans.expected - expected_reminder_before && *ans.at < *ans.expected - expected_reminder_before) {
        remind(out, w, a, ans, "expected", now);
        ans.reminded_expected = true;
        changed = true;
      }
      if (!ans.reminded_deadline && now >= remind_at && a.opened_at < remind_at) {
        remind(out, w, a, ans, "deadline", now);
        ans.reminded_deadline = true;
        changed = true;
      }
      if (!ans.escalated && now >= escalate_at && a.opened_at < escalate_at) {
        escalate(out, w, a, ans, now);
        ans.escalated = true;
        changed = true;
      }
    }
    if (changed) out.push_back(save_approval{std::move(updated)});
  }
  return out;
}

nlohmann::json pending_approvals(const world& w, const std::string& collaboration, const person& p) {
  nlohmann::json out = nlohmann::json::array();
  const membership* m = find_membership(w, collaboration, p.id);
  if (m == nullptr || !m->active || m->organization.empty() ||
      !(m->roles.contains(role::representative) || m->roles.contains(role::alternate))) {
    return out;
  }
  std::vector<std::pair<const approval_round*, const approval_answer*>> pending;
  for (const auto& [_, a] : w.approvals) {
    if (a.collaboration != collaboration || a.closed_at) continue;
    for (const approval_answer& ans : a.answers) {
      if (ans.organization == m->organization && !is_final(ans.state)) pending.emplace_back(&a, &ans);
    }
  }
  std::ranges::stable_sort(pending, [](const auto& x, const auto& y) { return x.first->deadline < y.first->deadline; });
  for (const auto& [a, ans] : pending) {
    nlohmann::json item{{"number", a->number},
                        {"title", a->title},
                        {"deadline", day_in(a->deadline, p.time_zone)},
                        {"expected", expected_day(w, *ans)}};
    add_state(item, ans->state);
    out.push_back(std::move(item));
  }
  return out;
}

message approval_nudge(const person& p, const std::string& collaboration_name, nlohmann::json approvals) {
  const std::int64_t first = approvals.front()["number"];
  message body{"approval_nudge",
               {{"name", p.name},
                {"collaboration", collaboration_name},
                {"first_number", first},
                {"first_title", approvals.front()["title"]},
                {"approvals", std::move(approvals)}}};
  offer_answers(body, approval_answers(first));
  return body;
}

nlohmann::json open_rounds(const world& w, const std::string& collaboration, const std::string& zone) {
  std::vector<const approval_round*> open;
  for (const auto& [_, a] : w.approvals) {
    if (a.collaboration == collaboration && !a.closed_at) open.push_back(&a);
  }
  std::ranges::stable_sort(open,
                           [](const approval_round* x, const approval_round* y) { return x->deadline < y->deadline; });
  nlohmann::json out = nlohmann::json::array();
  for (const approval_round* a : open) {
    std::vector<std::string> waiting;
    for (const approval_answer& ans : a->answers) {
      if (!is_final(ans.state)) waiting.push_back(organization_name(w, collaboration, ans.organization));
    }
    out.push_back({{"number", a->number},
                   {"title", a->title},
                   {"deadline", day_in(a->deadline, zone)},
                   {"waiting", join(waiting)}});
  }
  return out;
}

nlohmann::json handover_suggestions(const world& w, const std::string& collaboration, time_point now) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, s] : w.silences) {
    if (std::get<0>(key) != collaboration || s.subject != silence_subject::person || s.ended) continue;
    const membership* m = find_membership(w, collaboration, s.id);
    if (m == nullptr || !m->active || m->organization.empty() ||
        !(m->roles.contains(role::representative) || m->roles.contains(role::alternate))) {
      continue;
    }
    out.push_back({{"who", display_name(w, s.id)},
                   {"ref", s.id},
                   {"org", m->organization},
                   {"org_name", organization_name(w, collaboration, m->organization)},
                   {"days", (now - s.last_heard).count() / 86400}});
  }
  return out;
}

}  // namespace tandem
