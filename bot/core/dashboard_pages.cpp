#include "core/dashboard_pages.h"

#include "core/calendar.h"
#include "core/dates.h"
#include "core/task_view.h"

#include <algorithm>

namespace tandem {
namespace {

std::chrono::sys_days to_days(date::year_month_day day) {
  return std::chrono::sys_days{date::sys_days{day}.time_since_epoch()};
}

/// How many months the trends and the reports page show, this one included.
constexpr int trend_months = 6;

/// The UTC month `trend_months - 1` months before the month of `now`: where trends start.
std::string trend_start(time_point now) {
  const date::year_month_day today{std::chrono::floor<date::days>(now)};
  const date::year_month first = date::year_month{today.year(), today.month()} - date::months{trend_months - 1};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u", static_cast<int>(first.year()), static_cast<unsigned>(first.month()));
  return text;
}

std::string name_of(const world& w, const std::string& person) {
  auto it = w.people.find(person);
  return it == w.people.end() ? person : it->second.name;
}

std::string organization_name(const world& w, const std::string& collab, const std::string& org) {
  auto it = w.organizations.find({collab, org});
  return it == w.organizations.end() ? org : it->second.name;
}

/// The organization a task belongs to: the one it is assigned to, or its assignee's.
std::string organization_of_task(const world& w, const task& t) {
  if (!t.assignee_organization.empty()) return t.assignee_organization;
  const membership* m = find_membership(w, t.collaboration, t.assignee_person);
  return m == nullptr ? "" : m->organization;
}

bool sees_task(const world& w, const dashboard_viewer& v, const task& t) {
  return t.collaboration == v.collaboration && v.sees_organization(organization_of_task(w, t));
}

bool asks(const approval_round& r, const std::string& org) {
  return std::ranges::any_of(r.answers, [&](const approval_answer& a) { return a.organization == org; });
}

round_summary summarize(const world& w, const approval_round& r) {
  round_summary s{r, name_of(w, r.opened_by), {}};
  for (const approval_answer& a : r.answers) {
    s.cells.push_back(round_cell{a.organization, organization_name(w, r.collaboration, a.organization), a.state,
                                 a.by.empty() ? "" : name_of(w, a.by), a.at, a.note, a.expected});
  }
  return s;
}

event_summary summarize(const world& w, const calendar_event& e) {
  event_summary s{e.number, e.day, e.title, e.organization,
                  e.organization.empty() ? "" : organization_name(w, e.collaboration, e.organization), e.topics,
                  e.audience, {}};
  for (const clash& c : find_clashes(w, e)) s.clashes.push_back(c.other);
  return s;
}

}  // namespace

overview_page overview(const world& w, const dashboard_viewer& viewer, time_point now) {
  overview_page page;
  page.collaboration_name = w.collaborations.at(viewer.collaboration).name;
  const std::string this_month = month_of(now);
  std::map<std::string, organization_summary> by_org;
  for (const outcome_row& row : report_rows(w, viewer, now)) {
    organization_summary& o = by_org[row.organization];
    o.id = row.organization;
    o.name = row.organization_name;
    const std::optional<double> rate =
        row.nudges > 0 ? std::optional<double>{static_cast<double>(row.answered) / row.nudges} : std::nullopt;
    o.trend.emplace_back(row.month, rate);
    o.pulse_trend.emplace_back(row.month, row.pulse_average);
    if (row.pulse_average) {
      o.pulse = row.pulse_average;
      o.pulse_month = row.month;
    }
    if (row.month == this_month) {
      o.people = row.people;
      o.people_active = row.people_active;
      o.response_rate = rate;
      o.median_response_hours = row.median_response_hours;
    }
  }
  for (const auto& [_, t] : w.tasks) {
    if (is_closed(t.status) || !sees_task(w, viewer, t)) continue;
    auto it = by_org.find(organization_of_task(w, t));
    if (it == by_org.end()) continue;
    ++it->second.open_tasks;
    if (t.status == task_status::blocked) ++it->second.blocked_tasks;
    if (is_overdue(w, t, now)) ++it->second.overdue_tasks;
  }
  for (auto& [_, o] : by_org) page.organizations.push_back(std::move(o));

  for (const auto& [key, s] : w.silences) {
    if (std::get<0>(key) != viewer.collaboration || s.ended || s.subject == silence_subject::collaboration) continue;
    const std::string org = s.subject == silence_subject::organization
                                ? s.id
                                : [&] {
                                    const membership* m = find_membership(w, viewer.collaboration, s.id);
                                    return m == nullptr ? std::string{} : m->organization;
                                  }();
    if (!viewer.sees_organization(org)) continue;
    const std::string name = s.subject == silence_subject::organization ? organization_name(w, viewer.collaboration, s.id)
                                                                         : name_of(w, s.id);
    page.silences.push_back(
        silence_summary{s.subject, s.id, name, org, org.empty() ? "" : organization_name(w, viewer.collaboration, org),
                        s.since, s.last_heard, s.told_person, s.in_digest, s.told_alternate});
  }
  std::ranges::sort(page.silences, {}, &silence_summary::since);

  for (const auto& [_, r] : w.approvals) {
    if (r.collaboration != viewer.collaboration || r.closed_at) continue;
    if (!viewer.facilitator && !asks(r, viewer.organization)) continue;
    page.open_rounds.push_back(summarize(w, r));
  }

  const std::chrono::sys_days today = to_days(local_date(now, viewer.time_zone));
  for (const auto& [_, e] : w.events) {
    if (e.collaboration != viewer.collaboration || e.removed_at || e.day < today || e.day >= today + std::chrono::days{14}) continue;
    page.next_events.push_back(summarize(w, e));
  }
  std::ranges::stable_sort(page.next_events, {}, &event_summary::day);
  return page;
}

std::vector<person_row> people_rows(const world& w, const dashboard_viewer& viewer, const people_query& q) {
  std::vector<person_row> rows;
  for (const auto& [key, m] : memberships_of(w, viewer.collaboration)) {
    if (!m.active || !viewer.sees_organization(m.organization)) continue;
    if (!q.organization.empty() && m.organization != q.organization) continue;
    const person& p = w.people.at(m.person);
    person_row row{p.id,
                   p.name,
                   m.organization,
                   m.organization.empty() ? "" : organization_name(w, viewer.collaboration, m.organization),
                   m.roles,
                   m.tier,
                   p.time_zone,
                   p.quiet,
                   p.paused_until,
                   std::nullopt,
                   std::nullopt};
    if (auto heard = w.last_response.find(p.id); heard != w.last_response.end()) row.last_response = heard->second;
    if (auto s = w.silences.find({viewer.collaboration, silence_subject::person, p.id});
        s != w.silences.end() && !s->second.ended) {
      row.silent_since = s->second.since;
    }
    rows.push_back(std::move(row));
  }
  if (q.sort == "organization") {
    std::ranges::stable_sort(rows, {}, [](const person_row& r) { return std::tie(r.organization_name, r.name); });
  } else if (q.sort == "last_response") {
    std::ranges::stable_sort(rows, {}, [](const person_row& r) { return r.last_response.value_or(time_point{}); });
  } else if (q.sort == "silence") {
    std::ranges::stable_sort(rows, [](const person_row& a, const person_row& b) {
      if (a.silent_since.has_value() != b.silent_since.has_value()) return a.silent_since.has_value();
      return a.silent_since < b.silent_since;
    });
  } else {
    std::ranges::stable_sort(rows, {}, &person_row::name);
  }
  return rows;
}

std::vector<task_row> task_rows(const world& w, const dashboard_viewer& viewer, const tasks_query& q,
                                time_point now) {
  std::vector<task_row> rows;
  for (const auto& [_, t] : w.tasks) {
    if (!sees_task(w, viewer, t)) continue;
    const bool overdue = is_overdue(w, t, now);
    const bool shown = q.state == "all" || (q.state == "open" && !is_closed(t.status)) ||
                       (q.state == "overdue" && overdue) ||
                       (q.state == to_string(t.status) && q.state != "open");
    if (!shown) continue;
    if (!q.organization.empty() && organization_of_task(w, t) != q.organization) continue;
    if (!q.person.empty() && t.assignee_person != q.person) continue;
    rows.push_back(task_row{t.number, t.title, assignee_label(w, t),
                            t.assignee_person.empty() ? "org:" + t.assignee_organization : "@" + t.assignee_person,
                            t.status, overdue, t.due, t.note, t.updated_at});
  }
  std::ranges::stable_sort(rows, [](const task_row& a, const task_row& b) {
    if (a.due.has_value() != b.due.has_value()) return a.due.has_value();
    if (a.due != b.due) return a.due < b.due;
    return a.number < b.number;
  });
  return rows;
}

std::vector<round_summary> round_rows(const world& w, const dashboard_viewer& viewer) {
  std::vector<round_summary> rows;
  for (auto it = w.approvals.rbegin(); it != w.approvals.rend(); ++it) {
    const approval_round& r = it->second;
    if (r.collaboration != viewer.collaboration || (!viewer.facilitator && !asks(r, viewer.organization))) continue;
    rows.push_back(summarize(w, r));
  }
  return rows;
}

calendar_month calendar_page(const world& w, const dashboard_viewer& viewer, date::year_month month) {
  calendar_month page{month, {}};
  const std::chrono::sys_days first = to_days(month / 1);
  const std::chrono::sys_days end = to_days((month + date::months{1}) / 1);
  for (const auto& [_, e] : w.events) {
    if (e.collaboration != viewer.collaboration || e.removed_at || e.day < first || e.day >= end) continue;
    page.events.push_back(summarize(w, e));
  }
  std::ranges::stable_sort(page.events, {}, &event_summary::day);
  return page;
}

std::vector<outcome_row> report_rows(const world& w, const dashboard_viewer& viewer, time_point now) {
  auto rows = outcome_report(w, viewer.collaboration, trend_start(now), now);
  if (!viewer.facilitator) std::erase_if(rows, [&](const outcome_row& r) { return r.organization != viewer.organization; });
  return rows;
}

audit_page audit_rows(const dashboard_viewer& viewer, const audit_query& q, const audit_reader& read) {
  const audit_selection which{viewer.collaboration, q.kind, q.person};
  const auto offset_of = [](int page) { return static_cast<std::size_t>(page - 1) * audit_page_size; };
  const int wanted = std::max(q.page, 1);
  audit_lines lines = read(which, offset_of(wanted), audit_page_size);
  audit_page page;
  page.total = lines.total;
  page.pages = std::max<int>(1, static_cast<int>((lines.total + audit_page_size - 1) / audit_page_size));
  page.page = std::min(wanted, page.pages);
  if (page.page != wanted) lines = read(which, offset_of(page.page), audit_page_size);
  page.entries = std::move(lines.entries);
  return page;
}

}  // namespace tandem
