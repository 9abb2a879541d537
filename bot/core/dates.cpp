#include "core/dates.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace tandem {
namespace {

const date::time_zone* find_zone(const std::string& zone) {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return nullptr;
  }
}

const date::time_zone* zone_or_utc(const std::string& zone) {
  const date::time_zone* z = find_zone(zone);
  return z != nullptr ? z : date::locate_zone("UTC");
}

std::optional<int> parse_int(std::string_view s) {
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<date::year_month_day> parse_iso_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = parse_int(text.substr(0, 4));
  auto m = parse_int(text.substr(5, 2));
  auto d = parse_int(text.substr(8, 2));
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1) return std::nullopt;
  date::year_month_day day{date::year{*y}, date::month{static_cast<unsigned>(*m)},
                           date::day{static_cast<unsigned>(*d)}};
  if (!day.ok()) return std::nullopt;
  return day;
}

}  // namespace

bool is_known_time_zone(const std::string& zone) { return find_zone(zone) != nullptr; }

std::optional<std::string> canonical_time_zone(std::string_view zone) {
  if (find_zone(std::string{zone}) != nullptr) return std::string{zone};
  const std::string wanted = lowercase(zone);
  // The system's zone files: links (`US/Eastern`) are zones there too.
  for (const date::time_zone& z : date::get_tzdb().zones) {
    if (lowercase(z.name()) == wanted) return std::string{z.name()};
  }
  return std::nullopt;
}

date::year_month_day local_date(time_point now, const std::string& zone) {
  auto local = date::make_zoned(zone_or_utc(zone), now).get_local_time();
  return date::year_month_day{date::floor<date::days>(local)};
}

int local_minute_of_day(time_point now, const std::string& zone) {
  auto local = date::make_zoned(zone_or_utc(zone), now).get_local_time();
  auto since_midnight = local - date::floor<date::days>(local);
  return static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count());
}

time_point at_local_minute(date::year_month_day day, int minute, const std::string& zone) {
  const date::time_zone* z = zone_or_utc(zone);
  const date::local_seconds local = date::local_days{day} + std::chrono::minutes{minute};
  const auto info = z->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    return std::chrono::floor<std::chrono::seconds>(info.second.begin);
  }
  return std::chrono::floor<std::chrono::seconds>(z->to_sys(local, date::choose::earliest));
}

time_point start_of_day(date::year_month_day day, const std::string& zone) { return at_local_minute(day, 0, zone); }

time_point end_of_day(date::year_month_day day, const std::string& zone) {
  auto next = date::year_month_day{date::sys_days{day} + date::days{1}};
  return start_of_day(next, zone) - std::chrono::seconds{1};
}

std::optional<date::year_month_day> parse_date(std::string_view words, date::year_month_day today) {
  const std::string text = lowercase(words);
  if (text == "today") return today;
  if (text == "tomorrow") return date::year_month_day{date::sys_days{today} + date::days{1}};
  if (auto iso = parse_iso_date(text)) return iso;
  if (auto wd = parse_weekday(text)) {
    const date::weekday current{date::sys_days{today}};
    auto ahead = (*wd - current).count();
    if (ahead == 0) ahead = 7;
    return date::year_month_day{date::sys_days{today} + date::days{ahead}};
  }
  if (text.starts_with("in ") && text.size() > 4) {
    std::string_view amount = std::string_view{text}.substr(3);
    const char unit = amount.back();
    auto count = parse_int(amount.substr(0, amount.size() - 1));
    if (!count || *count < 0 || *count > 3660) return std::nullopt;
    if (unit == 'd') return date::year_month_day{date::sys_days{today} + date::days{*count}};
    if (unit == 'w') return date::year_month_day{date::sys_days{today} + date::days{7 * *count}};
  }
  return std::nullopt;
}

std::optional<date::year_month_day> parse_past_date(std::string_view words, date::year_month_day today) {
  const std::string text = lowercase(words);
  if (text == "today") return today;
  if (text == "yesterday") return date::year_month_day{date::sys_days{today} - date::days{1}};
  if (auto iso = parse_iso_date(text)) return iso;
  if (text.size() == 7 && text[4] == '-') {
    if (auto first = parse_iso_date(text + "-01")) return first;
  }
  if (auto wd = parse_weekday(text)) {
    const date::weekday current{date::sys_days{today}};
    return date::year_month_day{date::sys_days{today} - (current - *wd)};
  }
  if (text.ends_with(" ago") && text.size() >= 6) {
    std::string_view amount = std::string_view{text}.substr(0, text.size() - 4);
    const char unit = amount.back();
    auto count = parse_int(amount.substr(0, amount.size() - 1));
    if (!count || *count < 0 || *count > 3660) return std::nullopt;
    if (unit == 'd') return date::year_month_day{date::sys_days{today} - date::days{*count}};
    if (unit == 'w') return date::year_month_day{date::sys_days{today} - date::days{7 * *count}};
  }
  return std::nullopt;
}

std::optional<int> parse_minute_of_day(std::string_view hhmm) {
  const auto colon = hhmm.find(':');
  if (colon == std::string_view::npos || hhmm.size() - colon != 3) return std::nullopt;
  auto h = parse_int(hhmm.substr(0, colon));
  auto m = parse_int(hhmm.substr(colon + 1));
  if (!h || !m || *h < 0 || *h > 23 || *m < 0 || *m > 59) return std::nullopt;
  return *h * 60 + *m;
}

std::optional<quiet_hours> parse_quiet_hours(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto start = parse_minute_of_day(text.substr(0, dash));
  auto end = parse_minute_of_day(text.substr(dash + 1));
  if (!start || !end || *start == *end) return std::nullopt;
  return quiet_hours{*start, *end};
}

std::optional<quiet_hours> parse_quiet_choice(std::string_view text) {
  std::string lower{text};
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "off") return no_quiet_hours;
  return parse_quiet_hours(text);
}

std::optional<date::weekday> parse_weekday(std::string_view word) {
  static constexpr std::array<std::string_view, 7> names{"sunday", "monday", "tuesday", "wednesday",
                                                         "thursday", "friday", "saturday"};
  if (word.size() < 3) return std::nullopt;
  for (unsigned i = 0; i < names.size(); ++i) {
    if (names[i].starts_with(word) || (word == "tues" && i == 2) || (word == "thur" && i == 4)) {
      return date::weekday{i};
    }
  }
  return std::nullopt;
}

std::optional<unsigned> parse_working_days(std::string_view text) {
  std::string lower;
  for (char ch : text) {
    if (ch != ' ') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  if (lower == "everyday") return 0x7fU;
  if (lower == "weekdays") lower = "mon-fri";
  unsigned days = 0;
  std::size_t from = 0;
  while (from <= lower.size()) {
    const std::size_t comma = std::min(lower.find(',', from), lower.size());
    const std::string_view part = std::string_view{lower}.substr(from, comma - from);
    const std::size_t dash = part.find('-');
    const auto first = parse_weekday(part.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_weekday(part.substr(dash + 1));
    if (!first || !last) return std::nullopt;
    // A range may wrap the week's end: fri-mon.
    for (date::weekday d = *first;; ++d) {
      days |= 1U << d.c_encoding();
      if (d == *last) break;
    }
    from = comma + 1;
  }
  return days == 0 ? std::nullopt : std::optional{days};
}

std::string format_date(date::year_month_day day) { return date::format("%F", date::sys_days{day}); }

std::string format_minute_of_day(int minute) {
  const std::array<char, 6> buf{static_cast<char>('0' + minute / 600), static_cast<char>('0' + (minute / 60) % 10), ':',
                                static_cast<char>('0' + (minute % 60) / 10), static_cast<char>('0' + minute % 10), '\0'};
  return std::string{buf.data()};
}

std::string format_local_time(time_point at, const std::string& zone) {
  auto local = date::make_zoned(zone_or_utc(zone), at).get_local_time();
  return date::format("%F %H:%M", std::chrono::floor<std::chrono::minutes>(local));
}

}  // namespace tandem
