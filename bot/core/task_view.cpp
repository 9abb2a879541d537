#include "core/task_view.h"

#include "core/dates.h"

namespace tandem {

std::string assignee_label(const world& w, const task& t) {
  if (t.assignee_person.empty()) {
    auto org = w.organizations.find({t.collaboration, t.assignee_organization});
    return org == w.organizations.end() ? t.assignee_organization : org->second.name;
  }
  auto p = w.people.find(t.assignee_person);
  return p == w.people.end() ? t.assignee_person : p->second.name;
}

std::optional<std::string> due_zone(const world& w, const task& t) {
  for (const std::string& id : {t.assignee_person, t.created_by}) {
    if (auto p = w.people.find(id); p != w.people.end()) return p->second.time_zone;
  }
  return std::nullopt;
}

std::optional<time_point> due_deadline(const world& w, const task& t) {
  if (!t.due) return std::nullopt;
  return end_of_day(date::year_month_day{*t.due}, due_zone(w, t).value_or("UTC"));
}

bool is_overdue(const world& w, const task& t, time_point now) {
  if (is_closed(t.status)) return false;
  const auto deadline = due_deadline(w, t);
  return deadline && *deadline < now;
}

nlohmann::json task_view(const world& w, const task& t, time_point now) {
  return {{"number", t.number},
          {"title", t.title},
          {"due", t.due ? format_date(date::year_month_day{*t.due}) : ""},
          {"status", std::string{to_string(t.status)}},
          {"note", t.note},
          {"assignee", assignee_label(w, t)},
          {"overdue", is_overdue(w, t, now)}};
}

std::vector<const person*> task_recipients(const world& w, const task& t) {
  std::vector<const person*> out;
  if (!t.assignee_person.empty()) {
    if (auto p = w.people.find(t.assignee_person); p != w.people.end()) out.push_back(&p->second);
    return out;
  }
  for (const auto& [key, m] : memberships_of(w, t.collaboration)) {
    if (m.active && m.organization == t.assignee_organization &&
        m.roles.contains(role::representative)) {
      out.push_back(&w.people.at(m.person));
    }
  }
  return out;
}

}  // namespace tandem
