#include "adapters/web/dashboard_html.h"

#include "adapters/http/html.h"
#include "core/approvals.h"
#include "core/dates.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

namespace tandem {
namespace {

std::string e(std::string_view text) { return html_escape(text); }

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return std::string{s.substr(first, s.find_last_not_of(" \t\r") - first + 1)};
}

std::map<std::string, std::string, std::less<>> read_words(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot be read");
  std::map<std::string, std::string, std::less<>> words;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (trim(line).empty() || line.starts_with('#')) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos || trim(line.substr(0, eq)).empty()) {
      throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": expected `key = text`");
    }
    words[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return words;
}

std::string local_time(const page_frame& f, time_point t) { return format_local_time(t, f.viewer.time_zone); }
std::string day_text(std::chrono::sys_days d) { return format_date(date::year_month_day{date::sys_days{d.time_since_epoch()}}); }
std::string percent(double share) { return std::to_string(std::lround(share * 100)) + "%"; }
std::string one_decimal(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  return text;
}

std::string base(const page_frame& f) { return "/dashboard/" + f.viewer.collaboration; }

/// The page around `content`: head, skip link, navigation, results of the viewer's commands.
std::string layout(const page_frame& f, const std::string& heading, const std::string& content) {
  struct link { const char* page; const char* path; bool facilitators_only; };
  static constexpr link links[] = {{"overview", "", false},   {"people", "/people", false},
                                   {"tasks", "/tasks", false},     {"approvals", "/approvals", false},
                                   {"calendar", "/calendar", false}, {"reports", "/reports", false},
                                   {"audit", "/audit", true}};
  std::string html = "<!DOCTYPE html>\n<html lang=\"" + e(f.viewer.language) +
                     "\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                     e(heading) + " · " + e(f.collaboration_name) + " · Tandem</title>\n" +
                     "<link rel=\"stylesheet\" href=\"/dashboard/static/dashboard.css\">\n</head>\n<body>\n"
                     "<a class=\"skip\" href=\"#content\">" + e(f.word("skip")) + "</a>\n<header>\n<p class=\"brand\">" +
                     e(f.collaboration_name) + " · " + e(f.word("title")) + "</p>\n<nav aria-label=\"" +
                     e(f.word("title")) + "\">\n<ul>\n";
  for (const link& l : links) {
    if (l.facilitators_only && !f.viewer.facilitator) continue;
    const bool current = f.page == l.page;
    html += "<li><a href=\"" + e(base(f) + l.path) + "\"" + (current ? " aria-current=\"page\"" : "") + ">" +
            e(f.word(l.page)) + "</a></li>\n";
  }
  html += "</ul>\n</nav>\n<form method=\"post\" action=\"/dashboard/sign-out\" class=\"sign-out\">"
          "<input type=\"hidden\" name=\"csrf\" value=\"" + e(f.csrf) + "\"><button type=\"submit\">" +
          e(f.word("sign_out")) + "</button></form>\n</header>\n<main id=\"content\">\n<h1>" + e(heading) + "</h1>\n";
  if (!f.results.empty()) {
    html += "<div role=\"status\" class=\"results\">\n";
    for (const auto& r : f.results) html += "<p>" + e(r) + "</p>\n";
    html += "</div>\n";
  }
  return html + content + "</main>\n</body>\n</html>\n";
}

std::string hidden_fields(const page_frame& f) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + e(f.csrf) + "\"><input type=\"hidden\" name=\"nonce\" value=\"" +
         e(f.nonce) + "\">";
}

/// A form that runs one command: posts to /dashboard/<c>/do/<action>, then comes back to `back`.
std::string action_form(const page_frame& f, const std::string& action, const std::string& back,
                        const std::string& fields, const std::string& button) {
  return "<form method=\"post\" action=\"" + e(base(f) + "/do/" + action) + "\" data-action=\"" + e(action) + "\">" +
         hidden_fields(f) + "<input type=\"hidden\" name=\"back\" value=\"" + e(back) + "\">" + fields +
         "<button type=\"submit\">" + e(button) + "</button></form>";
}

/// A labelled control; `id` must be unique on the page.
std::string labelled(const std::string& id, const std::string& label, const std::string& control) {
  return "<label for=\"" + e(id) + "\">" + e(label) + "</label> " + control + " ";
}

/// A titled part of a page holding `content` (a form), its heading labelling it.
std::string form_section(const page_frame& f, const std::string& id, const std::string& heading_key,
                         const std::string& content) {
  return "<section aria-labelledby=\"" + e(id) + "-heading\"><h2 id=\"" + e(id) + "-heading\">" +
         e(f.word(heading_key)) + "</h2>" + content + "</section>\n";
}

std::string target_select(const page_frame& f, const std::string& id, const std::string& name, bool with_everyone,
                          bool organizations_only = false) {
  std::string html = "<select id=\"" + e(id) + "\" name=\"" + e(name) + "\">";
  if (with_everyone) html += "<option value=\"all\">" + e(f.word("everyone")) + "</option>";
  for (const auto& [ref, label] : f.targets) {
    if (organizations_only && !ref.starts_with("org:")) continue;
    html += "<option value=\"" + e(ref) + "\">" + e(label) + "</option>";
  }
  return html + "</select>";
}

/// A state, role or tier in the viewer's language: the word `<prefix>_<name>`.
std::string named(const page_frame& f, const std::string& prefix, std::string_view name) {
  std::string key = prefix + "_" + std::string{name};
  return f.word(key);
}

std::string state_text(const page_frame& f, task_status s, bool overdue) {
  std::string text = named(f, "task", to_string(s));
  if (overdue) text += " (" + f.word("overdue") + ")";
  return text;
}

std::string ladder_text(const page_frame& f, const silence_summary& s) {
  std::string text;
  const auto step = [&](const std::optional<time_point>& at, const char* key) {
    if (!at) return;
    text += (text.empty() ? "" : "; ") + f.word(key) + " " + local_time(f, *at);
  };
  step(s.told_person, "told_person");
  step(s.in_digest, "in_digest");
  step(s.told_alternate, "told_alternate");
  return text.empty() ? f.word("nothing_yet") : text;
}

std::string round_table(const page_frame& f, const std::vector<round_summary>& rounds, const std::string& id,
                        const std::string& caption, bool details) {
  std::vector<std::pair<std::string, std::string>> organizations;  // every organization asked, in order
  for (const auto& r : rounds) {
    for (const auto& c : r.cells) {
      if (std::ranges::find(organizations, std::pair{c.organization, c.organization_name}) == organizations.end()) {
        organizations.emplace_back(c.organization, c.organization_name);
      }
    }
  }
  std::string html = "<div class=\"scroll\"><table id=\"" + e(id) + "\">\n<caption>" + e(caption) +
                     "</caption>\n<thead><tr><th scope=\"col\">" + e(f.word("round")) + "</th><th scope=\"col\">" +
                     e(f.word("deadline")) + "</th>";
  for (const auto& [_, name] : organizations) html += "<th scope=\"col\">" + e(name) + "</th>";
  html += "<th scope=\"col\">" + e(f.word("result")) + "</th></tr></thead>\n<tbody>\n";
  for (const auto& [r, opened_by, cells] : rounds) {
    html += "<tr data-round=\"A" + std::to_string(r.number) + "\"><th scope=\"row\">A" + std::to_string(r.number) + " " +
            e(r.title) +
            (details ? "<br><small>" + e(f.word("opened_by")) + " " + e(opened_by) + ", " + e(local_time(f, r.opened_at)) +
                           "</small>"
                     : "") +
            "</th><td>" + e(local_time(f, r.deadline)) + "</td>";
    for (const auto& [org, _] : organizations) {
      auto cell = std::ranges::find(cells, org, &round_cell::organization);
      if (cell == cells.end()) {
        html += "<td>–</td>";
        continue;
      }
      html += "<td data-org=\"" + e(org) + "\" data-state=\"" + std::string{to_string(cell->state)} + "\" class=\"state-" +
              std::string{to_string(cell->state)} + "\">" + e(named(f, "approval", to_string(cell->state)));
      if (details) {
        if (!cell->by.empty() && cell->at) {
          html += "<br><small>" + e(f.word("answered_by")) + " " + e(cell->by) + ", " + e(local_time(f, *cell->at)) +
                  "</small>";
        }
        if (cell->expected) html += "<br><small>" + e(f.word("expected")) + " " + e(local_time(f, *cell->expected)) + "</small>";
        if (!cell->note.empty()) html += "<br><small>" + e(cell->note) + "</small>";
      }
      html += "</td>";
    }
    const std::string result = !r.closed_at ? f.word("open") : r.approved ? f.word("approved") : f.word("not_approved");
    html += "<td>" + e(result);
    if (details && !r.closed_at && f.viewer.facilitator) {
      html += " " + action_form(f, "approval_close", "approvals",
                                "<input type=\"hidden\" name=\"round\" value=\"" + std::to_string(r.number) + "\">" +
                                    labelled("confirm-" + std::to_string(r.number), f.word("confirm_close"),
                                             "<input type=\"checkbox\" id=\"confirm-" + std::to_string(r.number) +
                                                 "\" name=\"confirm\" value=\"yes\">"),
                                f.word("close_round"));
    }
    html += "</td></tr>\n";
  }
  return html + "</tbody>\n</table></div>\n";
}

std::string rate_label(double v) { return percent(v); }
std::string pulse_label(double v) { return one_decimal(v); }
std::string count_label(double v) { return std::to_string(std::lround(v)); }

std::string event_table(const page_frame& f, const std::vector<event_summary>& events, const std::string& caption) {
  std::string html = "<table id=\"events\">\n<caption>" + e(caption) + "</caption>\n<thead><tr><th scope=\"col\">" +
                     e(f.word("date")) + "</th><th scope=\"col\">" + e(f.word("event_title")) +
                     "</th><th scope=\"col\">" + e(f.word("organization")) + "</th><th scope=\"col\">" +
                     e(f.word("clash")) + "</th></tr></thead>\n<tbody>\n";
  for (const auto& ev : events) {
    std::string clashes;
    for (auto other : ev.clashes) clashes += (clashes.empty() ? "" : ", ") + ("E" + std::to_string(other));
    html += "<tr data-event=\"E" + std::to_string(ev.number) + "\"" + (ev.clashes.empty() ? "" : " class=\"clash\"") +
            "><td>" + e(day_text(ev.day)) + "</td><td>E" + std::to_string(ev.number) + " " + e(ev.title);
    for (const auto& topic : ev.topics) html += " <span class=\"topic\">#" + e(topic) + "</span>";
    html += "</td><td>" + e(ev.organization_name) + "</td><td>" +
            (clashes.empty() ? "" : "<strong>" + e(f.word("clashes_with")) + " " + e(clashes) + "</strong>") + "</td></tr>\n";
  }
  if (events.empty()) html += "<tr><td colspan=\"4\">" + e(f.word("no_events")) + "</td></tr>\n";
  return html + "</tbody>\n</table>\n";
}

}  // namespace

web_labels web_labels::load(const std::filesystem::path& dir) {
  web_labels labels;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto file = entry.path() / "dashboard.txt";
    if (entry.is_directory() && std::filesystem::exists(file)) {
      labels.words_[entry.path().filename().string()] = read_words(file);
    }
  }
  auto english = labels.words_.find("en");
  if (english == labels.words_.end()) throw std::runtime_error((dir / "en" / "dashboard.txt").string() + " is missing");
  for (const auto& [language, words] : labels.words_) {
    for (const auto& [key, _] : english->second) {
      if (!words.contains(key)) {
        throw std::runtime_error((dir / language / "dashboard.txt").string() + ": no text for \"" + key + "\"");
      }
    }
  }
  return labels;
}

const std::string& web_labels::get(const std::string& language, const std::string& key) const {
  auto words = words_.find(language);
  if (words == words_.end()) words = words_.find("en");
  if (auto it = words->second.find(key); it != words->second.end()) return it->second;
  if (auto it = words_.at("en").find(key); it != words_.at("en").end()) return it->second;
  static thread_local std::string unknown;
  unknown = key;
  return unknown;
}

std::string web_labels::preferred(std::string_view accept_language) const {
  while (!accept_language.empty()) {
    const auto comma = accept_language.find(',');
    std::string_view tag = accept_language.substr(0, comma);
    accept_language = comma == std::string_view::npos ? std::string_view{} : accept_language.substr(comma + 1);
    while (tag.starts_with(' ')) tag.remove_prefix(1);
    std::string primary{tag.substr(0, std::min(tag.find('-'), tag.find(';')))};
    std::ranges::transform(primary, primary.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (words_.contains(primary)) return primary;
  }
  return "en";
}

std::string bar_chart_svg(const std::string& title, const std::vector<std::pair<std::string, std::optional<double>>>& bars,
                          double max, const std::string& missing, std::string (*format)(double)) {
  constexpr int bar_width = 36, gap = 12, height = 100, label_height = 36;
  const int width = static_cast<int>(bars.size()) * (bar_width + gap) + gap;
  std::string description;
  for (const auto& [label, value] : bars) {
    description += (description.empty() ? "" : ", ") + label + ": " + (value ? format(*value) : missing);
  }
  std::string svg = "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height + label_height) + "\" width=\"" + std::to_string(width) + "\" height=\"" +
                    std::to_string(height + label_height) + "\"><title>" + e(title) + "</title><desc>" +
                    e(description) + "</desc>";
  svg += "<line class=\"axis\" x1=\"0\" y1=\"" + std::to_string(height) + "\" x2=\"" + std::to_string(width) + "\" y2=\"" +
         std::to_string(height) + "\"/>";
  int x = gap;
  for (const auto& [label, value] : bars) {
    if (value) {
      const double share = max > 0 ? std::clamp(*value / max, 0.0, 1.0) : 0.0;
      const int h = std::max(1, static_cast<int>(std::lround(share * (height - 14))));
      svg += "<rect class=\"bar\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(height - h) + "\" width=\"" +
             std::to_string(bar_width) + "\" height=\"" + std::to_string(h) + "\"/>";
      svg += "<text class=\"value\" x=\"" + std::to_string(x + bar_width / 2) + "\" y=\"" +
             std::to_string(height - h - 3) + "\">" + e(format(*value)) + "</text>";
    }
    svg += "<text class=\"label\" x=\"" + std::to_string(x + bar_width / 2) + "\" y=\"" + std::to_string(height + 14) +
           "\">" + e(label.size() > 5 ? label.substr(5) + "/" + label.substr(2, 2) : label) + "</text>";
    x += bar_width + gap;
  }
  return svg + "</svg>";
}

std::string overview_html(const page_frame& f, const overview_page& page) {
  std::string html = "<section aria-labelledby=\"orgs-heading\">\n<h2 id=\"orgs-heading\">" + e(f.word("organizations")) +
                     "</h2>\n<div class=\"scroll\"><table id=\"organizations\">\n<caption>" + e(f.word("organizations")) +
                     "</caption>\n<thead><tr>";
  for (const char* key : {"organization", "people", "active", "response_rate", "median_response", "open_tasks", "overdue",
                          "blocked", "pulse"}) {
    html += "<th scope=\"col\">" + e(f.word(key)) + "</th>";
  }
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& o : page.organizations) {
    html += "<tr data-org=\"" + e(o.id) + "\"><th scope=\"row\">" + e(o.name) + "</th><td data-field=\"people\">" +
            std::to_string(o.people) + "</td><td data-field=\"active\">" + std::to_string(o.people_active) +
            "</td><td data-field=\"response-rate\">" + (o.response_rate ? percent(*o.response_rate) : "–") +
            "</td><td data-field=\"median-response\">" +
            (o.median_response_hours ? one_decimal(*o.median_response_hours) + " " + e(f.word("hours")) : "–") +
            "</td><td data-field=\"open-tasks\">" + std::to_string(o.open_tasks) + "</td><td data-field=\"overdue-tasks\">" +
            std::to_string(o.overdue_tasks) + "</td><td data-field=\"blocked-tasks\">" + std::to_string(o.blocked_tasks) +
            "</td><td data-field=\"pulse\">" + (o.pulse ? one_decimal(*o.pulse) + " (" + e(o.pulse_month) + ")" : "–") +
            "</td></tr>\n";
  }
  html += "</tbody>\n</table></div>\n<div class=\"charts\">\n";
  for (const auto& o : page.organizations) {
    html += "<figure><figcaption>" + e(o.name) + ": " + e(f.word("trend")) + "</figcaption>" +
            bar_chart_svg(o.name + ": " + f.word("trend"), o.trend, 1.0, f.word("none"), rate_label) + "</figure>\n";
    if (std::ranges::any_of(o.pulse_trend, [](const auto& p) { return p.second.has_value(); })) {
      html += "<figure><figcaption>" + e(o.name) + ": " + e(f.word("pulse")) + "</figcaption>" +
              bar_chart_svg(o.name + ": " + f.word("pulse"), o.pulse_trend, 5.0, f.word("none"), pulse_label) +
              "</figure>\n";
    }
  }
  html += "</div>\n</section>\n<section aria-labelledby=\"silences-heading\">\n<h2 id=\"silences-heading\">" +
          e(f.word("silences")) + "</h2>\n";
  if (page.silences.empty()) {
    html += "<p>" + e(f.word("no_silences")) + "</p>\n";
  } else {
    html += "<table id=\"silences\">\n<caption>" + e(f.word("silences")) + "</caption>\n<thead><tr><th scope=\"col\">" +
            e(f.word("name")) + "</th><th scope=\"col\">" + e(f.word("organization")) + "</th><th scope=\"col\">" +
            e(f.word("since")) + "</th><th scope=\"col\">" + e(f.word("last_heard")) + "</th><th scope=\"col\">" +
            e(f.word("ladder")) + "</th></tr></thead>\n<tbody>\n";
    for (const auto& s : page.silences) {
      html += "<tr data-subject=\"" + e(s.id) + "\"><th scope=\"row\">" + e(s.name) + "</th><td>" + e(s.organization_name) +
              "</td><td>" + e(local_time(f, s.since)) + "</td><td>" + e(local_time(f, s.last_heard)) + "</td><td>" +
              e(ladder_text(f, s)) + "</td></tr>\n";
    }
    html += "</tbody>\n</table>\n";
  }
  html += "</section>\n<section aria-labelledby=\"rounds-heading\">\n<h2 id=\"rounds-heading\">" + e(f.word("open_rounds")) +
          "</h2>\n";
  html += page.open_rounds.empty() ? "<p>" + e(f.word("no_rounds")) + "</p>\n"
                                   : round_table(f, page.open_rounds, "approvals", f.word("open_rounds"), false);
  html += "</section>\n<section aria-labelledby=\"events-heading\">\n<h2 id=\"events-heading\">" + e(f.word("next_events")) +
          "</h2>\n" + event_table(f, page.next_events, f.word("next_events")) + "</section>\n";
  return layout(f, f.word("overview"), html);
}

std::string people_html(const page_frame& f, const std::vector<person_row>& rows, const people_query& q) {
  std::string html = "<form method=\"get\" class=\"filters\">" +
                     labelled("filter-org", f.word("organization"), [&] {
                       std::string s = "<select id=\"filter-org\" name=\"org\"><option value=\"\">" + e(f.word("all")) +
                                        "</option>";
                       for (const auto& [ref, label] : f.targets) {
                         if (!ref.starts_with("org:")) continue;
                         const std::string id = ref.substr(4);
                         s += "<option value=\"" + e(id) + "\"" + (id == q.organization ? " selected" : "") + ">" +
                              e(label) + "</option>";
                       }
                       return s + "</select>";
                     }()) +
                     labelled("sort", f.word("sort"), [&] {
                       std::string s = "<select id=\"sort\" name=\"sort\">";
                       for (const auto& [value, key] : std::vector<std::pair<std::string, std::string>>{
                                {"name", "name"}, {"organization", "organization"}, {"last_response", "last_response"},
                                {"silence", "silent_since"}}) {
                         s += "<option value=\"" + value + "\"" + (value == q.sort ? " selected" : "") + ">" +
                              e(f.word(key)) + "</option>";
                       }
                       return s + "</select>";
                     }()) +
                     "<button type=\"submit\">" + e(f.word("show")) + "</button></form>\n";
  html += "<div class=\"scroll\"><table id=\"people\">\n<caption>" + e(f.word("people")) + "</caption>\n<thead><tr>";
  for (const char* key : {"name", "organization", "role", "tier", "zone", "quiet", "paused_until", "last_response",
                          "silent_since"}) {
    html += "<th scope=\"col\">" + e(f.word(key)) + "</th>";
  }
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& p : rows) {
    const std::string quiet = !p.quiet ? f.word("default_quiet")
                              : p.quiet->empty()
                                  ? f.word("none")
                                  : format_minute_of_day(p.quiet->start_minute) + "–" +
                                        format_minute_of_day(p.quiet->end_minute);
    std::string roles;
    for (role r : p.roles) roles += (roles.empty() ? "" : ", ") + named(f, "role", to_string(r));
    html += "<tr data-person=\"" + e(p.id) + "\"><th scope=\"row\">" + e(p.name) + "</th><td data-org=\"" +
            e(p.organization) + "\">" + e(p.organization_name) +
            "</td><td>" + e(roles) + "</td><td>" + e(named(f, "tier", to_string(p.tier_value))) + "</td><td>" +
            e(p.time_zone) + "</td><td>" + e(quiet) + "</td><td>" +
            (p.paused_until ? e(local_time(f, *p.paused_until)) : "") + "</td><td data-field=\"last-response\">" +
            (p.last_response ? e(local_time(f, *p.last_response)) : "–") + "</td><td data-field=\"silent-since\">" +
            (p.silent_since ? e(local_time(f, *p.silent_since)) : "") + "</td></tr>\n";
  }
  html += "</tbody>\n</table></div>\n";
  if (f.viewer.facilitator) {
    html += form_section(f, "nudge", "nudge_who",
                         action_form(f, "nudge", "people",
                                     labelled("nudge-to", f.word("to"), target_select(f, "nudge-to", "to", true)),
                                     f.word("nudge")));
    html += form_section(
        f, "broadcast", "broadcast",
        action_form(f, "broadcast", "people",
                    labelled("broadcast-text", f.word("broadcast_text"),
                             "<input id=\"broadcast-text\" name=\"text\" required maxlength=\"2000\">") +
                        labelled("broadcast-to", f.word("broadcast_to"),
                                 "<input id=\"broadcast-to\" name=\"to\" maxlength=\"500\">"),
                    f.word("broadcast")));
  }
  return layout(f, f.word("people"), html);
}

std::string tasks_html(const page_frame& f, const std::vector<task_row>& rows, const tasks_query& q,
                       const std::map<std::int64_t, std::vector<record_task_update>>& histories) {
  std::string html = "<form method=\"get\" class=\"filters\">" +
                     labelled("filter-state", f.word("state"), [&] {
                       std::string s = "<select id=\"filter-state\" name=\"state\">";
                       for (const char* state : {"open", "overdue", "blocked", "done", "cancelled", "all"}) {
                         const std::string label = std::string_view{state} == "all"       ? f.word("all")
                                                   : std::string_view{state} == "overdue" ? f.word("overdue")
                                                                                          : named(f, "task", state);
                         s += "<option value=\"" + std::string{state} + "\"" + (q.state == state ? " selected" : "") + ">" +
                              e(label) + "</option>";
                       }
                       return s + "</select>";
                     }()) +
                     labelled("filter-org", f.word("organization"),
                              "<input id=\"filter-org\" name=\"org\" value=\"" + e(q.organization) + "\" size=\"10\">") +
                     labelled("filter-person", f.word("person"),
                              "<input id=\"filter-person\" name=\"person\" value=\"" + e(q.person) + "\" size=\"10\">") +
                     "<button type=\"submit\">" + e(f.word("show")) + "</button></form>\n";
  html += "<div class=\"scroll\"><table id=\"tasks\">\n<caption>" + e(f.word("tasks")) + "</caption>\n<thead><tr>";
  for (const char* key : {"task", "assignee", "state", "due", "note", "history"}) {
    html += "<th scope=\"col\">" + e(f.word(key)) + "</th>";
  }
  if (f.viewer.facilitator) html += "<th scope=\"col\">" + e(f.word("change")) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& t : rows) {
    const std::string n = std::to_string(t.number);
    html += "<tr data-task=\"" + n + "\"" + (t.overdue ? " class=\"overdue\"" : "") + "><th scope=\"row\">#" + n + " " +
            e(t.title) + "</th><td data-field=\"assignee\">" + e(t.assignee) + "</td><td data-field=\"state\">" +
            e(state_text(f, t.status, t.overdue)) + "</td><td data-field=\"due\">" +
            (t.due ? e(day_text(*t.due)) : "") + "</td><td>" + e(t.note) + "</td><td>";
    if (auto h = histories.find(t.number); h != histories.end() && !h->second.empty()) {
      html += "<details><summary>" + std::to_string(h->second.size()) + "</summary><ol>";
      for (const auto& u : h->second) {
        html += "<li>" + e(local_time(f, u.at)) + " " + e(named(f, "task", to_string(u.status))) + " · " + e(u.by) +
                (u.note.empty() ? "" : ": " + e(u.note)) + "</li>";
      }
      html += "</ol></details>";
    }
    html += "</td>";
    if (f.viewer.facilitator) {
      const std::string task_field = "<input type=\"hidden\" name=\"task\" value=\"" + n + "\">";
      // Folded, so that a row stays one line high until its forms are wanted (phones above all).
      html += "<td><details class=\"change\"><summary>" + e(f.word("change")) + "</summary>" +
              action_form(f, "reassign", "tasks",
                          task_field + labelled("to-" + n, f.word("reassign_to"), target_select(f, "to-" + n, "to", false)),
                          f.word("reassign")) +
              action_form(f, "due", "tasks",
                          task_field + labelled("due-" + n, f.word("change_due"),
                                                "<input type=\"date\" id=\"due-" + n + "\" name=\"date\">"),
                          f.word("change_due")) +
              action_form(f, "cancel", "tasks", task_field, f.word("cancel_task")) + "</details></td>";
    }
    html += "</tr>\n";
  }
  html += "</tbody>\n</table></div>\n";
  if (f.viewer.facilitator) {
    html += form_section(f, "assign", "assign",
            action_form(f, "assign", "tasks",
                        labelled("assign-title", f.word("task_title"),
                                 "<input id=\"assign-title\" name=\"title\" required maxlength=\"200\">") +
                            labelled("assign-to", f.word("to"), target_select(f, "assign-to", "to", false)) +
                            labelled("assign-due", f.word("due"), "<input type=\"date\" id=\"assign-due\" name=\"date\">"),
                        f.word("assign")));
  }
  return layout(f, f.word("tasks"), html);
}

std::string approvals_html(const page_frame& f, const std::vector<round_summary>& rounds) {
  std::string html = rounds.empty() ? "<p>" + e(f.word("no_rounds")) + "</p>\n"
                                    : round_table(f, rounds, "approvals", f.word("approvals"), true);
  if (f.viewer.facilitator) {
    html += form_section(f, "open", "open_round",
            action_form(f, "approval_open", "approvals",
                        labelled("round-title", f.word("task_title"),
                                 "<input id=\"round-title\" name=\"title\" required maxlength=\"200\">") +
                            labelled("round-to", f.word("organizations_to_ask"),
                                     "<input id=\"round-to\" name=\"to\" value=\"all\" maxlength=\"500\">") +
                            labelled("round-deadline", f.word("deadline"),
                                     "<input type=\"date\" id=\"round-deadline\" name=\"date\">"),
                        f.word("open_round")));
  }
  return layout(f, f.word("approvals"), html);
}

std::string calendar_html(const page_frame& f, const calendar_month& month, const std::string& feed_url) {
  const auto name = [](date::year_month m) {
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u", static_cast<int>(m.year()), static_cast<unsigned>(m.month()));
    return std::string{text};
  };
  const std::string here = base(f) + "/calendar?month=";
  std::string html = "<nav aria-label=\"" + e(f.word("month")) + "\" class=\"months\"><a href=\"" +
                     e(here + name(month.month - date::months{1})) + "\">" + e(f.word("previous")) + "</a> <strong>" +
                     e(name(month.month)) + "</strong> <a href=\"" + e(here + name(month.month + date::months{1})) + "\">" +
                     e(f.word("next")) + "</a></nav>\n";
  html += event_table(f, month.events, f.word("calendar") + " " + name(month.month));
  if (!feed_url.empty()) html += "<p><a href=\"" + e(feed_url) + "\">" + e(f.word("feed_link")) + "</a></p>\n";
  html += form_section(f, "event", "add_event",
          action_form(f, "event_add", "calendar",
                      labelled("event-date", f.word("date"), "<input type=\"date\" id=\"event-date\" name=\"date\" required>") +
                          labelled("event-title", f.word("event_title"),
                                   "<input id=\"event-title\" name=\"title\" required maxlength=\"200\">"),
                      f.word("add_event")));
  return layout(f, f.word("calendar"), html);
}

std::string reports_html(const page_frame& f, const std::vector<outcome_row>& rows,
                         const std::pair<std::string, std::string>& exports) {
  std::string html;
  if (!exports.first.empty()) {
    html += "<p>" + e(f.word("export_links")) + ": <a href=\"" + e(exports.first) + "\">CSV</a> · <a href=\"" +
            e(exports.second) + "\">JSON</a></p>\n";
  }
  std::map<std::string, std::vector<const outcome_row*>> by_org;
  for (const auto& r : rows) by_org[r.organization].push_back(&r);
  // Per organization, one chart a figure, month by month: a share, counts, and the pulse (1..5).
  struct figure {
    const char* word;
    std::optional<double> (*value)(const outcome_row&);
    std::optional<double> max;  ///< none: the largest value among all organizations' months
    std::string (*label)(double);
  };
  static constexpr figure figures[] = {
      {"rate_chart", [](const outcome_row& r) {
         return r.nudges > 0 ? std::optional<double>{static_cast<double>(r.answered) / r.nudges} : std::nullopt;
       }, 1.0, rate_label},
      {"people_active", [](const outcome_row& r) { return std::optional<double>{r.people_active}; }, std::nullopt,
       count_label},
      {"tasks_done", [](const outcome_row& r) { return std::optional<double>{r.tasks_done}; }, std::nullopt,
       count_label},
      {"pulse", [](const outcome_row& r) { return r.pulse_average; }, 5.0, pulse_label},
  };
  html += "<div class=\"charts\">\n";
  for (const auto& [_, org_rows] : by_org) {
    for (const figure& fig : figures) {
      std::vector<std::pair<std::string, std::optional<double>>> bars;
      double largest = 1.0;
      for (const auto& r : rows) largest = std::max(largest, fig.value(r).value_or(0.0));
      for (const auto* r : org_rows) bars.emplace_back(r->month, fig.value(*r));
      const std::string title = org_rows.front()->organization_name + ": " + f.word(fig.word);
      html += "<figure><figcaption>" + e(title) + "</figcaption>" +
              bar_chart_svg(title, bars, fig.max.value_or(largest), f.word("none"), fig.label) + "</figure>\n";
    }
  }
  html += "</div>\n<div class=\"scroll\"><table id=\"report\">\n<caption>" + e(f.word("reports")) + "</caption>\n<thead><tr>";
  for (const char* key : {"organization", "month", "nudges", "answered", "median_response", "tasks_done", "on_time",
                          "turnaround", "people", "people_active", "pulse"}) {
    html += "<th scope=\"col\">" + e(f.word(key)) + "</th>";
  }
  html += "</tr></thead>\n<tbody>\n";
  const auto optional_text = [](const std::optional<double>& v) { return v ? one_decimal(*v) : std::string{"–"}; };
  for (const auto& r : rows) {
    html += "<tr data-org=\"" + e(r.organization) + "\" data-month=\"" + e(r.month) + "\"><th scope=\"row\">" +
            e(r.organization_name) + "</th><td>" + e(r.month) + "</td><td>" + std::to_string(r.nudges) + "</td><td>" +
            std::to_string(r.answered) + "</td><td>" + optional_text(r.median_response_hours) + "</td><td>" +
            std::to_string(r.tasks_done) + "</td><td>" + std::to_string(r.tasks_on_time) + "</td><td>" +
            optional_text(r.approval_turnaround_days) + "</td><td>" + std::to_string(r.people) + "</td><td>" +
            std::to_string(r.people_active) + "</td><td>" + optional_text(r.pulse_average) + "</td></tr>\n";
  }
  html += "</tbody>\n</table></div>\n";
  return layout(f, f.word("reports"), html);
}

std::string audit_html(const page_frame& f, const audit_page& page, const audit_query& q) {
  std::string html = "<form method=\"get\" class=\"filters\">" +
                     labelled("filter-kind", f.word("kind"),
                              "<input id=\"filter-kind\" name=\"kind\" value=\"" + e(q.kind) + "\" size=\"14\">") +
                     labelled("filter-person", f.word("person"),
                              "<input id=\"filter-person\" name=\"person\" value=\"" + e(q.person) + "\" size=\"10\">") +
                     "<button type=\"submit\">" + e(f.word("show")) + "</button></form>\n";
  html += "<table id=\"audit\">\n<caption>" + e(f.word("audit")) + " (" + std::to_string(page.total) + " " +
          e(f.word("entries")) + ")</caption>\n<thead><tr>";
  for (const char* key : {"when", "actor", "action", "detail", "via"}) html += "<th scope=\"col\">" + e(f.word(key)) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (const auto& a : page.entries) {
    html += "<tr data-action=\"" + e(a.action) + "\"><td>" + e(local_time(f, a.at)) + "</td><td>" + e(a.actor) +
            "</td><td>" + e(a.action) + "</td><td>" + e(a.detail) + "</td><td data-field=\"via\">" +
            e(a.via.empty() ? f.word("chat") : a.via) + "</td></tr>\n";
  }
  html += "</tbody>\n</table>\n";
  const auto page_link = [&](int n, const std::string& label) {
    return "<a href=\"" + e(base(f) + "/audit?page=" + std::to_string(n) + "&kind=" + q.kind + "&person=" + q.person) +
           "\">" + e(label) + "</a>";
  };
  html += "<nav aria-label=\"" + e(f.word("page")) + "\" class=\"pages\">";
  if (page.page > 1) html += page_link(page.page - 1, f.word("previous")) + " ";
  html += e(f.word("page")) + " " + std::to_string(page.page) + " " + e(f.word("of")) + " " + std::to_string(page.pages);
  if (page.page < page.pages) html += " " + page_link(page.page + 1, f.word("next"));
  html += "</nav>\n";
  return layout(f, f.word("audit"), html);
}

std::string notice_html(const web_labels& labels, const std::string& language, const std::string& title_key,
                        const std::string& text) {
  const std::string& title = labels.get(language, title_key);
  return "<!DOCTYPE html>\n<html lang=\"" + e(language) +
         "\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>" + e(title) + " · Tandem</title>\n<link rel=\"stylesheet\" href=\"/dashboard/static/dashboard.css\">\n"
         "</head>\n<body>\n<main id=\"content\">\n<h1>" + e(title) + "</h1>\n<p>" + e(text) + "</p>\n<p>" +
         e(labels.get(language, "sign_in_how")) + "</p>\n</main>\n</body>\n</html>\n";
}

std::string_view dashboard_css() {
  return R"css(:root { --ink: #1b1f24; --muted: #4a5360; --line: #c9ced6; --accent: #0b5cad; --warn: #8a1c1c; --bg: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, sans-serif; color: var(--ink); background: var(--bg); }
.skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #ff0; padding: 4px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 8px 16px; border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; margin: 0; }
nav ul { display: flex; flex-wrap: wrap; gap: 4px 12px; list-style: none; margin: 0; padding: 0; }
nav a { color: var(--accent); } nav a[aria-current="page"] { font-weight: 700; color: var(--ink); }
.sign-out { margin-left: auto; }
main { padding: 8px 16px 32px; max-width: 1200px; }
table { border-collapse: collapse; margin: 8px 0 16px; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); }
.scroll { overflow-x: auto; }
tr.overdue td[data-field="state"], tr.clash td:last-child, .state-objected { color: var(--warn); font-weight: 600; }
.results { border: 2px solid var(--accent); padding: 4px 12px; margin: 8px 0; white-space: pre-wrap; }
form { margin: 4px 0; } .filters { margin: 8px 0; }
button { font: inherit; padding: 2px 10px; }
input, select { font: inherit; max-width: 100%; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; } figcaption { font-size: 14px; color: var(--muted); }
.chart .bar { fill: var(--accent); } .chart .axis { stroke: var(--muted); }
.chart text { font-size: 11px; text-anchor: middle; fill: var(--ink); }
small { color: var(--muted); }
@media (max-width: 600px) { body { font-size: 15px; } header { padding: 8px; } main { padding: 8px; } }
@media print { header nav, .sign-out, form, .skip { display: none; } .results { border: none; } }
)css";
}

}  // namespace tandem
