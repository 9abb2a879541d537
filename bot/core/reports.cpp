#include "core/reports.h"

#include "core/availability.h"
#include "core/dates.h"
#include "core/task_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace tandem {
namespace {

/// How many months `report` shows without `since`.
constexpr int default_report_months = 3;

std::string month_text(int year, unsigned month) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u", year, month);
  return text;
}

/// The months from `first` through `last`, both "YYYY-MM".
std::vector<std::string> months_between(const std::string& first, const std::string& last) {
  std::vector<std::string> out;
  int year = std::stoi(first.substr(0, 4));
  unsigned month = static_cast<unsigned>(std::stoi(first.substr(5, 2)));
  for (std::string m = first; m <= last && out.size() < 1200; m = month_text(year, month)) {
    out.push_back(m);
    if (++month > 12) {
      month = 1;
      ++year;
    }
  }
  return out;
}

/// The month `count - 1` months before the month of `now`.
std::string months_back(time_point now, int count) {
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(now)};
  const std::chrono::year_month first =
      std::chrono::year_month{day.year(), day.month()} - std::chrono::months{count - 1};
  return month_text(static_cast<int>(first.year()), static_cast<unsigned>(first.month()));
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::ranges::sort(values);
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

double rounded(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

std::string number_text(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string optional_text(const std::optional<double>& value, int decimals) {
  return value ? number_text(*value, decimals) : "";
}

/// A figure for a template: the number rounded to `decimals`, or null (a false section) when absent.
nlohmann::json optional_number(const std::optional<double>& value, int decimals) {
  return value ? nlohmann::json(rounded(*value, decimals)) : nlohmann::json(nullptr);
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string{separator}) + item;
  return out;
}

/// The organization a task counts for: its organization, or its assignee's.
std::string task_organization(const world& w, const task& t) {
  if (!t.assignee_organization.empty()) return t.assignee_organization;
  const membership* m = find_membership(w, t.collaboration, t.assignee_person);
  return m != nullptr ? m->organization : "";
}

std::string csv_field(const std::string& text) {
  std::string value = text;
  // A spreadsheet would run these as formulas: names and comments come from chat users.
  if (!value.empty() && std::string_view{"=+-@\t\r"}.find(value.front()) != std::string_view::npos)
    value.insert(0, "'");
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char ch : value) quoted += ch == '"' ? std::string{"\"\""} : std::string(1, ch);
  return quoted + "\"";
}

std::string rate_text(const outcome_row& row) {
  return row.nudges == 0 ? "" : number_text(100.0 * row.answered / row.nudges, 0) + "%";
}

command_result report(const world& w, const std::string& collab, const command& c, bool private_reply, time_point now) {
  const std::string since = c.date ? month_of(start_of_day(*c.date, "UTC")) : months_back(now, default_report_months);
  const auto rows = outcome_report(w, collab, since, now);
  nlohmann::json list = nlohmann::json::array();
  for (const outcome_row& row : rows) {
    list.push_back({{"org", row.organization_name},
                    {"month", row.month},
                    {"nudges", row.nudges},
                    {"answered", row.answered},
                    {"response_rate", rate_text(row)},
                    // Under an hour in minutes: "0.0 h" says less than "12 min". Figures with a
                    // fraction are numbers: templates write them in their language (1.5 h, 1,5 h).
                    {"median_response_hours",
                     row.median_response_hours && *row.median_response_hours >= 1.0
                         ? nlohmann::json(*row.median_response_hours)
                         : nlohmann::json(nullptr)},
                    {"median_response_minutes",
                     row.median_response_hours && *row.median_response_hours < 1.0
                         ? nlohmann::json(std::max(1L, std::lround(*row.median_response_hours * 60.0)))
                         : nlohmann::json("")},
                    {"tasks_done", row.tasks_done},
                    {"tasks_on_time", row.tasks_on_time},
                    {"approval_turnaround_days", optional_number(row.approval_turnaround_days, 1)},
                    {"people", row.people},
                    {"people_active", row.people_active},
                    {"responses", row.responses},
                    {"pulse", optional_number(row.pulse_average, 1)},
                    {"pulse_answers", row.pulse_answers},
                    {"comments", joined(row.pulse_comments, "; ")}});
  }
  const auto [csv, json] = private_reply ? export_urls(w, collab) : std::pair<std::string, std::string>{};
  command_result result = reply_only("report", {{"collaboration", w.collaborations.at(collab).name},
                                                {"since", since},
                                                {"rows", std::move(list)},
                                                {"any", !rows.empty()},
                                                {"csv_url", csv},
                                                {"json_url", json},
                                                {"links_in_dm", !private_reply}});
  result.audit.emplace_back("report", "since " + since);
  return result;
}

command_result pulse(const world& w, const std::string& collab, const person& sender, const command& c,
                     time_point now) {
  const membership* m = find_membership(w, collab, sender.id);
  const std::string org = m != nullptr ? m->organization : "";
  const std::string month = month_of(now);
  const bool updated = w.pulses.contains({collab, month, sender.id});
  const int score = static_cast<int>(c.number);
  command_result result;
  result.changes.push_back(save_pulse{pulse_answer{collab, org, sender.id, month, score, c.text, now}});
  result.audit.emplace_back(
      "pulse", std::to_string(score) + " for org:" + org + " " + month + (c.text.empty() ? "" : ": " + c.text));
  const auto name = w.organizations.find({collab, org});
  result.reply = message{"pulse_recorded",
                         {{"score", score},
                          {"comment", c.text},
                          {"month", month},
                          {"org", name == w.organizations.end() ? org : name->second.name},
                          {"updated", updated}}};
  return result;
}

}  // namespace

std::vector<outcome_row> outcome_report(const world& w, const std::string& collaboration,
                                        const std::string& since_month, time_point now) {
  struct tally {
    outcome_row row;
    std::vector<double> response_hours;
    std::vector<double> approval_days;
    int pulse_total = 0;
  };
  const std::vector<std::string> months = months_between(since_month, month_of(now));
  std::map<std::pair<std::string, std::string>, tally> by;  // (org, month)
  std::vector<std::string> organizations;
  std::map<std::string, std::string> first_month;  // org -> the month it joined, when known
  for (const auto& [key, org] : w.organizations) {
    if (key.first != collaboration) continue;
    organizations.push_back(key.second);
    if (auto start = organization_start(w, collaboration, key.second)) first_month[key.second] = month_of(*start);
    for (const auto& month : months) {
      outcome_row& row = by[{key.second, month}].row;
      row.organization = key.second;
      row.organization_name = org.name;
      row.month = month;
    }
  }
  auto at = [&](const std::string& org, const std::string& month) -> tally* {
    auto it = by.find({org, month});
    return it == by.end() ? nullptr : &it->second;
  };
  // Each organization's tallies by month index, and where each month starts: a member costs one
  // look-up of their organization, a nudge a binary search over the month starts (a report of a
  // collaboration of thousands counts hundreds of thousands of nudges).
  std::map<std::string, std::vector<tally*>> by_month;
  for (const auto& org : organizations) {
    for (const auto& month : months) by_month[org].push_back(at(org, month));
  }
  std::vector<time_point> month_starts;  // each month's first second, then the next month's after the last
  for (const auto& month : months) {
    const std::chrono::year_month first{std::chrono::year{std::stoi(month.substr(0, 4))},
                                        std::chrono::month{static_cast<unsigned>(std::stoi(month.substr(5, 2)))}};
    month_starts.emplace_back(std::chrono::sys_days{first / 1});
    if (&month == &months.back()) month_starts.emplace_back(std::chrono::sys_days{(first + std::chrono::months{1}) / 1});
  }
  const auto index_of = [&](time_point t) -> std::optional<std::size_t> {
    if (month_starts.empty() || t < month_starts.front() || t >= month_starts.back()) return std::nullopt;
    return static_cast<std::size_t>(std::ranges::upper_bound(month_starts, t) - month_starts.begin() - 1);
  };
  for (const auto& [key, m] : memberships_of(w, collaboration)) {
    if (m.organization.empty()) continue;
    auto tallies = by_month.find(m.organization);
    if (tallies == by_month.end()) continue;
    if (m.active) {
      for (tally* t : tallies->second) ++t->row.people;
    }
    if (auto counts = w.monthly_responses.find(m.person); counts != w.monthly_responses.end()) {
      for (const auto& [month, count] : counts->second) {
        const auto i = std::ranges::lower_bound(months, month) - months.begin();
        if (i == std::ssize(months) || months[static_cast<std::size_t>(i)] != month || count <= 0) continue;
        tally* t = tallies->second[static_cast<std::size_t>(i)];
        t->row.responses += count;
        ++t->row.people_active;
        if (!m.active) ++t->row.people;  // a former member counts where they took part
      }
    }
    if (auto sent = w.nudges.find(key); sent != w.nudges.end()) {
      for (const nudge_record& n : sent->second) {
        const auto i = index_of(n.sent);
        if (!i) continue;
        tally* t = tallies->second[*i];
        ++t->row.nudges;
        if (!n.answered) continue;
        ++t->row.answered;
        t->response_hours.push_back(static_cast<double>((*n.answered - n.sent).count()) / 3600.0);
      }
    }
  }
  for (const auto& [_, t] : w.tasks) {
    if (t.collaboration != collaboration || t.status != task_status::done) continue;
    tally* counts = at(task_organization(w, t), month_of(t.updated_at));
    if (counts == nullptr) continue;
    ++counts->row.tasks_done;
    if (const auto deadline = due_deadline(w, t); !deadline || t.updated_at <= *deadline) ++counts->row.tasks_on_time;
  }
  // An organization's turnaround on a round: from the round's opening to its answer (the latest,
  // when it changed its answer), counted in the month it answered.
  for (const auto& [_, round] : w.approvals) {
    if (round.collaboration != collaboration) continue;
    for (const approval_answer& answer : round.answers) {
      const bool answered = answer.state == approval_state::approved || answer.state == approval_state::abstained ||
                            answer.state == approval_state::objected;
      if (!answered || !answer.at) continue;
      if (tally* t = at(answer.organization, month_of(*answer.at))) {
        t->approval_days.push_back(static_cast<double>((*answer.at - round.opened_at).count()) / 86400.0);
      }
    }
  }
  for (const auto& [key, answer] : w.pulses) {
    if (std::get<0>(key) != collaboration) continue;
    tally* t = at(answer.organization, answer.month);
    if (t == nullptr) continue;
    ++t->row.pulse_answers;
    t->pulse_total += answer.score;
    if (!answer.comment.empty()) t->row.pulse_comments.push_back(answer.comment);
  }
  std::vector<outcome_row> rows;
  for (const auto& month : months) {
    for (const auto& org : organizations) {
      if (auto start = first_month.find(org); start != first_month.end() && month < start->second) continue;
      tally& t = by.at({org, month});
      if (auto hours = median(t.response_hours)) t.row.median_response_hours = rounded(*hours, 1);
      if (auto days = median(t.approval_days)) t.row.approval_turnaround_days = rounded(*days, 1);
      if (t.row.pulse_answers > 0)
        t.row.pulse_average = rounded(static_cast<double>(t.pulse_total) / t.row.pulse_answers, 2);
      rows.push_back(std::move(t.row));
    }
  }
  return rows;
}

std::optional<time_point> organization_start(const world& w, const std::string& collaboration,
                                             const std::string& organization) {
  const std::string added_by_command = organization + " ";
  const std::string added_by_config = "organization " + organization + " ";
  for (const audit_entry& e : w.audit) {  // in the order they happened: the first one is the start
    if (e.collaboration != collaboration) continue;
    if ((e.action == "org.add" && e.detail.starts_with(added_by_command)) ||
        (e.action == "config.add" && e.detail.starts_with(added_by_config))) {
      return e.at;
    }
  }
  return std::nullopt;
}

std::string first_report_month(const world& w, const std::string& collaboration, time_point now) {
  std::string first = month_of(now);
  auto consider = [&](const std::string& month) { first = std::min(first, month); };
  for (const auto& [key, sent] : w.nudges) {
    if (key.first == collaboration && !sent.empty()) consider(month_of(sent.front().sent));
  }
  for (const auto& [_, t] : w.tasks) {
    if (t.collaboration == collaboration) consider(month_of(t.created_at));
  }
  for (const auto& [key, answer] : w.pulses) {
    if (std::get<0>(key) == collaboration) consider(answer.month);
  }
  for (const auto& [key, m] : memberships_of(w, collaboration)) {
    if (auto counts = w.monthly_responses.find(m.person);
        counts != w.monthly_responses.end() && !counts->second.empty()) {
      consider(counts->second.begin()->first);
    }
  }
  return first;
}

std::string report_csv(const std::string& collaboration, const std::vector<outcome_row>& rows) {
  std::string out =
      "collaboration,organization,organization_name,month,nudges,nudges_answered,response_rate,median_response_hours,"
      "tasks_done,tasks_done_on_time,approval_turnaround_days,people,people_active,responses,pulse_answers,"
      "pulse_average,pulse_comments\r\n";
  for (const outcome_row& r : rows) {
    const std::vector<std::string> fields{
        collaboration,
        r.organization,
        r.organization_name,
        r.month,
        std::to_string(r.nudges),
        std::to_string(r.answered),
        r.nudges == 0 ? "" : number_text(static_cast<double>(r.answered) / r.nudges, 2),
        optional_text(r.median_response_hours, 1),
        std::to_string(r.tasks_done),
        std::to_string(r.tasks_on_time),
        optional_text(r.approval_turnaround_days, 1),
        std::to_string(r.people),
        std::to_string(r.people_active),
        std::to_string(r.responses),
        std::to_string(r.pulse_answers),
        optional_text(r.pulse_average, 2),
        joined(r.pulse_comments, " | ")};
    std::string line;
    for (const auto& field : fields) line += (line.empty() ? "" : ",") + csv_field(field);
    out += line + "\r\n";
  }
  return out;
}

nlohmann::json report_json(const std::string& collaboration, const std::string& since_month,
                           const std::vector<outcome_row>& rows, time_point now) {
  auto optional_number = [](const std::optional<double>& value) -> nlohmann::json {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  nlohmann::json list = nlohmann::json::array();
  for (const outcome_row& r : rows) {
    list.push_back(
        {{"organization", r.organization},
         {"organization_name", r.organization_name},
         {"month", r.month},
         {"nudges", r.nudges},
         {"nudges_answered", r.answered},
         {"response_rate", r.nudges == 0 ? nlohmann::json(nullptr)
                                         : nlohmann::json(rounded(static_cast<double>(r.answered) / r.nudges, 4))},
         {"median_response_hours", optional_number(r.median_response_hours)},
         {"tasks_done", r.tasks_done},
         {"tasks_done_on_time", r.tasks_on_time},
         {"approval_turnaround_days", optional_number(r.approval_turnaround_days)},
         {"people", r.people},
         {"people_active", r.people_active},
         {"responses", r.responses},
         {"pulse_answers", r.pulse_answers},
         {"pulse_average", optional_number(r.pulse_average)},
         {"pulse_comments", r.pulse_comments}});
  }
  return {{"collaboration", collaboration},
          {"since", since_month},
          {"generated_at", format_local_time(now, "UTC") + " UTC"},
          {"rows", std::move(list)}};
}

std::pair<std::string, std::string> export_urls(const world& w, const std::string& collaboration) {
  auto token = w.secrets.find({collaboration, "export"});
  if (token == w.secrets.end()) return {};
  return export_urls(w.engine.public_url, collaboration, token->second);
}

std::pair<std::string, std::string> export_urls(std::string_view public_url, const std::string& collaboration,
                                                const std::string& token) {
  const std::string base = std::string{public_url} + "/export/" + collaboration;
  return {base + ".csv?token=" + token, base + ".json?token=" + token};
}

command_result run_report_command(const world& w, const std::string& collaboration, const person& sender,
                                  const command& c, bool private_reply, time_point now) {
  if (c.what == verb::pulse) return pulse(w, collaboration, sender, c, now);
  return report(w, collaboration, c, private_reply, now);
}

std::vector<action> monthly_pulse(const world& w, time_point now) {
  std::vector<action> out;
  const std::string month = month_of(now);
  const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  const std::chrono::sys_days first_day{today.year() / today.month() / 1};
  if (now < first_day + std::chrono::minutes{w.engine.reminder_minute}) return out;
  for (const auto& [collab, c] : w.collaborations) {
    const auto asked = w.rounds.find({collab, "pulse"});
    if (asked != w.rounds.end() && asked->second == month) continue;
    out.push_back(save_round{collab, "pulse", month});
    if (asked == w.rounds.end()) continue;  // first seen: the first question comes next month
    for (auto it = w.memberships.lower_bound({collab, ""}); it != w.memberships.end() && it->first.first == collab;
         ++it) {
      const membership& m = it->second;
      if (!m.active || !m.roles.contains(role::representative)) continue;
      const person& p = w.people.at(m.person);
      const auto org = w.organizations.find({collab, m.organization});
      auto question = direct_message(
          p, std::string{"pulse:"}.append(collab).append(":").append(month).append(":").append(p.id),
          message{"pulse_question",
                  {{"name", p.name},
                   {"collaboration", c.name},
                   {"org", org == w.organizations.end() ? m.organization : org->second.name},
                   {"month", month}}},
          first_allowed(p, w.engine, now), message_subject{collab, {}});
      if (question) out.push_back(std::move(*question));
    }
  }
  return out;
}

}  // namespace tandem
