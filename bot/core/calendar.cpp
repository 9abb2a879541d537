#include "core/calendar.h"

#include "core/availability.h"
#include "core/dates.h"

#include <date/iso_week.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <variant>

namespace tandem {
namespace {

using std::chrono::sys_days;

/// How many weeks ahead the weekly digest looks.
constexpr int digest_weeks = 3;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

sys_days to_days(date::year_month_day day) { return sys_days{date::sys_days{day}.time_since_epoch()}; }

std::string day_text(sys_days day) { return format_date(date::year_month_day{date::sys_days{day.time_since_epoch()}}); }

std::string organization_label(const world& w, const calendar_event& e) {
  if (e.organization.empty()) return "";
  auto it = w.organizations.find({e.collaboration, e.organization});
  return it == w.organizations.end() ? e.organization : it->second.name;
}

std::string topics_text(const std::vector<std::string>& topics) {
  std::string out;
  for (const auto& topic : topics) out += (out.empty() ? "#" : " #") + topic;
  return out;
}

nlohmann::json event_values(const world& w, const calendar_event& e) {
  return {{"number", e.number},
          {"date", day_text(e.day)},
          {"title", e.title},
          {"org", organization_label(w, e)},
          {"topics", topics_text(e.topics)},
          {"audience", e.audience}};
}

nlohmann::json clash_values(const world& w, const std::vector<clash>& clashes) {
  nlohmann::json list = nlohmann::json::array();
  for (const clash& c : clashes) {
    nlohmann::json item = event_values(w, w.events.at(c.other));
    item["same_day"] = c.kind == clash_kind::same_day;
    item["same_topic"] = c.kind == clash_kind::same_topic;
    item["same_audience"] = c.kind == clash_kind::same_audience;
    item["shared"] = c.shared;
    list.push_back(std::move(item));
  }
  return list;
}

bool is_facilitator(const world& w, const std::string& collab, const std::string& person) {
  return has_role(w, collab, person, role::facilitator);
}

/// Saves `e` (new, or moved to another day) and reports its clashes: to the sender in a reply of
/// `kind`, and to the collaboration's other facilitators.
command_result save_with_clashes(const world& w, const std::string& collab, const person& sender,
                                 const calendar_event& e, const std::string& kind, nlohmann::json extra) {
  const std::vector<clash> clashes = find_clashes(w, e);
  command_result result;
  result.changes.push_back(save_event{e});
  nlohmann::json values = event_values(w, e);
  values["clashes"] = clash_values(w, clashes);
  values["any_clashes"] = !clashes.empty();
  for (auto& [key, value] : extra.items()) values[key] = value;
  result.reply = message{kind, values};
  if (clashes.empty()) return result;
  std::string others;
  for (const clash& x : clashes) others += (others.empty() ? "E" : ", E") + std::to_string(x.other);
  result.audit.emplace_back("event.clash", "E" + std::to_string(e.number) + " with " + others);
  values["who"] = sender.name;
  for (const auto& [key, member] : memberships_of(w, collab)) {
    if (!member.active || member.person == sender.id) continue;
    if (member.roles.contains(role::facilitator))
      result.notices.push_back(notice{member.person, message{"event_clash", values}});
  }
  return result;
}

command_result add_event(const world& w, const std::string& collab, const person& sender, const command& c,
                         time_point now) {
  const date::year_month_day today = local_date(now, sender.time_zone);
  if (date::sys_days{*c.date} < date::sys_days{today})
    return reply_only("error_date_in_past", {{"date", format_date(*c.date)}});
  const membership* m = find_membership(w, collab, sender.id);
  calendar_event e;
  e.number = next_event_number(w);
  e.collaboration = collab;
  e.organization = m != nullptr ? m->organization : "";
  e.day = to_days(*c.date);
  e.title = c.text;
  for (const target& topic : c.targets) {
    std::string name = lowercase(topic.ref);
    if (std::ranges::find(e.topics, name) == e.topics.end()) e.topics.push_back(std::move(name));
  }
  e.audience = c.link;
  e.added_by = sender.id;
  e.added_at = now;
  std::string detail = "E" + std::to_string(e.number) + " " + day_text(e.day) + " \"" + e.title + "\"";
  if (!e.topics.empty()) detail += " " + topics_text(e.topics);
  if (!e.audience.empty()) detail += " audience:" + e.audience;
  command_result result = save_with_clashes(w, collab, sender, e, "event_added", nlohmann::json::object());
  result.audit.insert(result.audit.begin(), {"event.add", detail});
  return result;
}

/// The event `E<number>` of the collaboration when the sender may change it (they added it, or
/// they are a facilitator); otherwise the error to reply with.
std::variant<const calendar_event*, command_result> event_to_change(const world& w, const std::string& collab,
                                                                    const person& sender, std::int64_t number) {
  const auto it = w.events.find(number);
  if (it == w.events.end() || it->second.collaboration != collab || it->second.removed_at)
    return reply_only("error_unknown_event", {{"number", number}});
  const calendar_event& e = it->second;
  if (e.added_by != sender.id && !is_facilitator(w, collab, sender.id)) {
    const auto by = w.people.find(e.added_by);
    return reply_only("error_not_your_event",
                      {{"number", number}, {"by", by == w.people.end() ? e.added_by : by->second.name}});
  }
  return &e;
}

command_result move_event(const world& w, const std::string& collab, const person& sender, const command& c,
                          time_point now) {
  auto found = event_to_change(w, collab, sender, c.number);
  if (auto* error = std::get_if<command_result>(&found)) return std::move(*error);
  calendar_event e = *std::get<const calendar_event*>(found);
  if (date::sys_days{*c.date} < date::sys_days{local_date(now, sender.time_zone)})
    return reply_only("error_date_in_past", {{"date", format_date(*c.date)}});
  const std::string from = day_text(e.day);
  e.day = to_days(*c.date);
  command_result result = save_with_clashes(w, collab, sender, e, "event_moved", {{"from", from}});
  result.audit.insert(result.audit.begin(),
                      {"event.move", "E" + std::to_string(e.number) + " from " + from + " to " + day_text(e.day)});
  return result;
}

command_result remove_from_calendar(const world& w, const std::string& collab, const person& sender,
                                    const command& c, time_point now) {
  auto found = event_to_change(w, collab, sender, c.number);
  if (auto* error = std::get_if<command_result>(&found)) return std::move(*error);
  calendar_event e = *std::get<const calendar_event*>(found);
  command_result result = reply_only("event_removed", event_values(w, e));
  e.removed_at = now;
  result.changes.push_back(save_event{e});
  result.audit.emplace_back("event.remove", "E" + std::to_string(e.number) + " " + day_text(e.day) + " \"" + e.title + "\"");
  return result;
}

command_result list_events(const world& w, const std::string& collab, const person& sender, const command& c,
                           bool private_reply, time_point now) {
  const sys_days today = to_days(local_date(now, sender.time_zone));
  const std::string topic = lowercase(c.text);
  nlohmann::json events = nlohmann::json::array();
  std::vector<const calendar_event*> coming;
  for (const auto& [_, e] : w.events) {
    if (e.collaboration != collab || e.day < today || e.removed_at) continue;
    if (!topic.empty() && std::ranges::find(e.topics, topic) == e.topics.end()) continue;
    coming.push_back(&e);
  }
  std::ranges::stable_sort(coming, [](const calendar_event* a, const calendar_event* b) { return a->day < b->day; });
  for (const calendar_event* e : coming) events.push_back(event_values(w, *e));
  const bool facilitator = is_facilitator(w, collab, sender.id);
  const std::string feed = facilitator && private_reply ? calendar_feed_url(w, collab) : "";
  return reply_only("event_list", {{"events", std::move(events)},
                                   {"count", coming.size()},
                                   {"any", !coming.empty()},
                                   {"topic", topic},
                                   {"feed_url", feed},
                                   {"feed_in_dm", facilitator && !private_reply}});
}

std::string iso_week_label(sys_days day) {
  const iso_week::year_weeknum_weekday week{date::sys_days{day.time_since_epoch()}};
  char text[16];
  std::snprintf(text, sizeof text, "%d-W%02u", static_cast<int>(week.year()), static_cast<unsigned>(week.weeknum()));
  return text;
}

std::string utc_stamp(time_point t) {
  const sys_days day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss clock{t - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}

std::string ical_date(sys_days day) {
  std::string text = day_text(day);
  std::erase(text, '-');
  return text;
}

}  // namespace

std::vector<clash> find_clashes(const world& w, const calendar_event& candidate) {
  std::vector<std::pair<const calendar_event*, clash>> found;
  const std::string audience = lowercase(candidate.audience);
  for (const auto& entry : w.events) {
    const std::int64_t number = entry.first;
    const calendar_event& other = entry.second;  // not a structured binding: the lambda below uses it
    if (number == candidate.number || other.collaboration != candidate.collaboration || other.removed_at) continue;
    const auto apart = std::chrono::abs(other.day - candidate.day).count();
    if (apart == 0) {
      found.emplace_back(&other, clash{number, clash_kind::same_day, ""});
      continue;
    }
    if (apart > w.engine.clash_days) continue;
    auto shared = std::ranges::find_if(candidate.topics, [&](const std::string& t) {
      return std::ranges::find(other.topics, t) != other.topics.end();
    });
    if (shared != candidate.topics.end()) {
      found.emplace_back(&other, clash{number, clash_kind::same_topic, *shared});
    } else if (!audience.empty() && lowercase(other.audience) == audience) {
      found.emplace_back(&other, clash{number, clash_kind::same_audience, other.audience});
    }
  }
  std::ranges::stable_sort(found, [](const auto& a, const auto& b) { return a.first->day < b.first->day; });
  std::vector<clash> out;
  out.reserve(found.size());
  for (auto& [_, c] : found) out.push_back(std::move(c));
  return out;
}

std::int64_t next_event_number(const world& w) { return w.events.empty() ? 1 : w.events.rbegin()->first + 1; }

command_result run_calendar_command(const world& w, const std::string& collaboration, const person& sender,
                                    const command& c, bool private_reply, time_point now) {
  switch (c.what) {
    case verb::event_add: return add_event(w, collaboration, sender, c, now);
    case verb::event_move: return move_event(w, collaboration, sender, c, now);
    case verb::event_remove: return remove_from_calendar(w, collaboration, sender, c, now);
    default: return list_events(w, collaboration, sender, c, private_reply, now);
  }
}

nlohmann::json upcoming_events(const world& w, const std::string& collaboration, sys_days from, int days) {
  std::vector<const calendar_event*> coming;
  for (const auto& [_, e] : w.events) {
    if (e.collaboration == collaboration && !e.removed_at && e.day >= from && e.day < from + std::chrono::days{days})
      coming.push_back(&e);
  }
  std::ranges::stable_sort(coming, [](const calendar_event* a, const calendar_event* b) { return a->day < b->day; });
  nlohmann::json list = nlohmann::json::array();
  for (const calendar_event* e : coming) list.push_back(event_values(w, *e));
  return list;
}

std::vector<action> weekly_events_digests(const world& w, time_point now) {
  std::vector<action> out;
  const sys_days today = std::chrono::floor<std::chrono::days>(now);
  const std::string week = iso_week_label(today);
  const sys_days monday = today - (std::chrono::weekday{today} - std::chrono::Monday);
  if (now < monday + std::chrono::minutes{w.engine.reminder_minute}) return out;
  for (const auto& [collab, c] : w.collaborations) {
    auto done = w.rounds.find({collab, "events"});
    if (done != w.rounds.end() && done->second == week) continue;
    out.push_back(save_round{collab, "events", week});
    nlohmann::json events = upcoming_events(w, collab, today, digest_weeks * 7);
    if (events.empty()) continue;
    for (auto it = w.memberships.lower_bound({collab, ""}); it != w.memberships.end() && it->first.first == collab;
         ++it) {
      const membership& m = it->second;
      if (!m.active || !(m.roles.contains(role::facilitator) || m.roles.contains(role::representative))) continue;
      const person& p = w.people.at(m.person);
      auto digest = direct_message(
          p, std::string{"events:"}.append(collab).append(":").append(week).append(":").append(p.id),
          message{"events_digest", {{"name", p.name}, {"collaboration", c.name}, {"events", events}, {"weeks", digest_weeks}}},
          first_allowed(p, w.engine, now), message_subject{collab, {}});
      if (digest) out.push_back(std::move(*digest));
    }
  }
  return out;
}

std::string calendar_feed_url(const world& w, const std::string& collaboration) {
  auto token = w.secrets.find({collaboration, "calendar"});
  if (token == w.secrets.end()) return "";
  return calendar_feed_url(w.engine.public_url, collaboration, token->second);
}

std::string calendar_feed_url(std::string_view public_url, const std::string& collaboration, const std::string& token) {
  return std::string{public_url} + "/calendar/" + collaboration + ".ics?token=" + token;
}

std::string ical_escape(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case ';': out += "\\;"; break;
      case ',': out += "\\,"; break;
      case '\n': out += "\\n"; break;
      case '\r': break;
      default: out += ch;
    }
  }
  return out;
}

std::string ical_fold(std::string_view line) {
  constexpr std::size_t limit = 75;
  std::string out;
  std::size_t room = limit;  // octets left on the current physical line
  std::size_t i = 0;
  while (i < line.size()) {
    // The length of the UTF-8 character starting here: never split one across lines.
    const auto lead = static_cast<unsigned char>(line[i]);
    std::size_t length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    length = std::min(length, line.size() - i);
    if (length > room) {
      out += "\r\n ";
      room = limit - 1;
    }
    out.append(line.substr(i, length));
    room -= length;
    i += length;
  }
  return out + "\r\n";
}

std::string calendar_feed(const world& w, const std::string& collaboration, time_point now) {
  const auto collab = w.collaborations.find(collaboration);
  const std::string name = collab == w.collaborations.end() ? collaboration : collab->second.name;
  std::string out;
  for (const char* line : {"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tandem//Shared communications calendar//EN",
                           "CALSCALE:GREGORIAN", "METHOD:PUBLISH"}) {
    out += ical_fold(line);
  }
  out += ical_fold("X-WR-CALNAME:" + ical_escape(name));
  const std::string stamp = utc_stamp(now);
  for (const auto& [number, e] : w.events) {
    if (e.collaboration != collaboration || e.removed_at) continue;
    out += ical_fold("BEGIN:VEVENT");
    out += ical_fold("UID:E" + std::to_string(number) + "." + collaboration + "@tandem");
    out += ical_fold("DTSTAMP:" + stamp);
    out += ical_fold("CREATED:" + utc_stamp(e.added_at));
    out += ical_fold("DTSTART;VALUE=DATE:" + ical_date(e.day));
    out += ical_fold("DTEND;VALUE=DATE:" + ical_date(e.day + std::chrono::days{1}));
    out += ical_fold("SUMMARY:" + ical_escape(e.title));
    if (!e.topics.empty()) {
      std::string categories;
      for (const auto& topic : e.topics) categories += (categories.empty() ? "" : ",") + ical_escape(topic);
      out += ical_fold("CATEGORIES:" + categories);
    }
    std::string description = "E" + std::to_string(number);
    if (const std::string org = organization_label(w, e); !org.empty()) description += " by " + org;
    if (!e.audience.empty()) description += "\naudience: " + e.audience;
    out += ical_fold("DESCRIPTION:" + ical_escape(description));
    out += ical_fold("TRANSP:TRANSPARENT");
    out += ical_fold("END:VEVENT");
  }
  out += ical_fold("END:VCALENDAR");
  return out;
}

}  // namespace tandem
