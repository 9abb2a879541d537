#include "core/schedule.h"

#include "core/dates.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <sstream>

namespace tandem {
namespace {

constexpr std::string_view forms =
    "use never, daily 09:00, weekdays 09:00, weekly mon 09:00, weekly mon,thu 09:00, every 2 weeks tue 10:00, "
    "monthly first thu 15:00, monthly 15 09:00, or cron such as 0 9 * * 1";

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string{text}};
  for (std::string w; in >> w;) {
    for (char& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    words.push_back(w);
  }
  return words;
}

std::optional<int> number(std::string_view s) {
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

/// One cron field: `*`, `5`, `1-5`, `*/15`, `1-31/2`, and comma lists of those.
template <std::size_t N>
bool parse_cron_field(std::string_view field, int low, int high, std::bitset<N>& out, bool& restricted) {
  restricted = field != "*";
  std::istringstream parts{std::string{field}};
  for (std::string part; std::getline(parts, part, ',');) {
    int step = 1;
    if (auto slash = part.find('/'); slash != std::string::npos) {
      auto s = number(std::string_view{part}.substr(slash + 1));
      if (!s || *s < 1) return false;
      step = *s;
      part.resize(slash);
    }
    int from = low;
    int to = high;
    if (part != "*") {
      const auto dash = part.find('-');
      auto a = number(std::string_view{part}.substr(0, dash));
      if (!a) return false;
      from = to = *a;
      if (dash != std::string::npos) {
        auto b = number(std::string_view{part}.substr(dash + 1));
        if (!b) return false;
        to = *b;
      } else if (step != 1) {
        to = high;
      }
    }
    if (from < low || to > high || from > to) return false;
    for (int v = from; v <= to; v += step) out.set(static_cast<std::size_t>(v));
  }
  return true;
}

time_point to_instant(date::local_seconds local, const date::time_zone* zone) {
  const auto info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return std::chrono::floor<std::chrono::seconds>(info.second.begin);
  return std::chrono::floor<std::chrono::seconds>(zone->to_sys(local, date::choose::earliest));
}

const date::time_zone* zone_or_utc(const std::string& zone) {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    return date::locate_zone("UTC");
  }
}

}  // namespace

std::variant<schedule, std::string> schedule::parse(std::string_view text) {
  const auto words = words_of(text);
  const std::string problem = "\"" + std::string{text} + "\" is not a schedule: " + std::string{forms};
  schedule s;
  s.months_.set();
  s.months_.reset(0);
  s.month_days_.set();
  s.month_days_.reset(0);
  s.weekdays_.set();
  if (words.size() == 1 && words[0] == "never") return s;
  auto at_time = [&](const std::string& word) -> bool {
    auto m = parse_minute_of_day(word);
    if (!m) return false;
    s.minutes_ = {*m};
    return true;
  };
  auto on_weekdays = [&](const std::string& list) -> bool {
    s.weekdays_.reset();
    s.weekdays_restricted_ = true;
    std::istringstream parts{list};
    for (std::string day; std::getline(parts, day, ',');) {
      auto n = parse_weekday(day);
      if (!n) return false;
      s.weekdays_.set(n->c_encoding());
    }
    return s.weekdays_.any();
  };
  if (words.size() == 2 && words[0] == "daily" && at_time(words[1])) return s;
  if (words.size() == 2 && words[0] == "weekdays" && at_time(words[1]) && on_weekdays("mon,tue,wed,thu,fri")) return s;
  if (words.size() == 3 && words[0] == "weekly" && on_weekdays(words[1]) && at_time(words[2])) return s;
  if (words.size() == 5 && words[0] == "every" && (words[2] == "weeks" || words[2] == "week")) {
    auto n = number(words[1]);
    if (n && *n >= 1 && *n <= 52 && on_weekdays(words[3]) && at_time(words[4])) {
      s.every_weeks_ = *n;
      return s;
    }
    return problem;
  }
  if (words.size() == 4 && words[0] == "monthly") {
    static constexpr std::array<std::string_view, 5> ordinals{"first", "second", "third", "fourth", "last"};
    const auto ordinal = std::ranges::find(ordinals, words[1]);
    if (ordinal != ordinals.end() && on_weekdays(words[2]) && s.weekdays_.count() == 1 && at_time(words[3])) {
      s.nth_ = ordinal == ordinals.end() - 1 ? -1 : static_cast<int>(ordinal - ordinals.begin()) + 1;
      return s;
    }
    return problem;
  }
  if (words.size() == 3 && words[0] == "monthly") {
    auto day = number(words[1]);
    if (day && *day >= 1 && *day <= 31 && at_time(words[2])) {
      s.month_days_.reset();
      s.month_days_.set(static_cast<std::size_t>(*day));
      s.month_days_restricted_ = true;
      return s;
    }
    return problem;
  }
  if (words.size() == 5) {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    bool minute_restricted = false;
    bool hour_restricted = false;
    s.weekdays_.reset();
    s.month_days_.reset();
    s.months_.reset();
    bool months_restricted = false;
    std::bitset<8> cron_weekdays;  // 0-7, both 0 and 7 are Sunday
    if (!parse_cron_field(words[0], 0, 59, minutes, minute_restricted) ||
        !parse_cron_field(words[1], 0, 23, hours, hour_restricted) ||
        !parse_cron_field(words[2], 1, 31, s.month_days_, s.month_days_restricted_) ||
        !parse_cron_field(words[3], 1, 12, s.months_, months_restricted) ||
        !parse_cron_field(words[4], 0, 7, cron_weekdays, s.weekdays_restricted_)) {
      return problem;
    }
    for (std::size_t d = 0; d < 7; ++d) s.weekdays_[d] = cron_weekdays[d] || (d == 0 && cron_weekdays[7]);
    for (std::size_t h = 0; h < 24; ++h) {
      for (std::size_t m = 0; m < 60; ++m) {
        if (hours[h] && minutes[m]) s.minutes_.push_back(static_cast<int>(h * 60 + m));
      }
    }
    return s;
  }
  return problem;
}

bool schedule::matches(date::year_month_day day) const {
  if (!months_[static_cast<unsigned>(day.month())]) return false;
  const date::weekday wd{date::sys_days{day}};
  const unsigned dom = static_cast<unsigned>(day.day());
  if (every_weeks_ > 1) {
    const auto monday_anchor = date::sys_days{date::year{1970} / 1 / 5};
    const auto weeks = date::floor<date::weeks>(date::sys_days{day} - monday_anchor).count();
    if (weeks % every_weeks_ != 0) return false;
  }
  if (nth_ != 0) {
    if (!weekdays_[wd.c_encoding()]) return false;
    if (nth_ > 0) return (dom - 1) / 7 + 1 == static_cast<unsigned>(nth_);
    const auto last = date::year_month_day_last{day.year(), date::month_day_last{day.month()}};
    return dom + 7 > static_cast<unsigned>(last.day());
  }
  const bool dom_ok = month_days_[dom];
  const bool dow_ok = weekdays_[wd.c_encoding()];
  if (month_days_restricted_ && weekdays_restricted_) return dom_ok || dow_ok;
  return dom_ok && dow_ok;
}

std::optional<time_point> schedule::next_after(time_point after, const std::string& zone) const {
  if (never()) return std::nullopt;
  const date::time_zone* z = zone_or_utc(zone);
  // Start a day early: a local time just before midnight can lie after `after` in UTC terms.
  const auto first_day = date::floor<date::days>(z->to_local(after)) - date::days{1};
  for (int offset = 0; offset <= 400; ++offset) {
    const date::local_days day = first_day + date::days{offset};
    if (!matches(date::year_month_day{date::sys_days{day.time_since_epoch()}})) continue;
    for (int minute : minutes_) {
      const time_point instant = to_instant(day + std::chrono::minutes{minute}, z);
      if (instant > after) return instant;
    }
  }
  return std::nullopt;
}

std::optional<time_point> schedule::last_at_or_before(time_point at, const std::string& zone) const {
  if (never()) return std::nullopt;
  const date::time_zone* z = zone_or_utc(zone);
  const auto first_day = date::floor<date::days>(z->to_local(at)) + date::days{1};
  for (int offset = 0; offset <= 400; ++offset) {
    const date::local_days day = first_day - date::days{offset};
    if (!matches(date::year_month_day{date::sys_days{day.time_since_epoch()}})) continue;
    for (auto minute = minutes_.rbegin(); minute != minutes_.rend(); ++minute) {
      const time_point instant = to_instant(day + std::chrono::minutes{*minute}, z);
      if (instant <= at) return instant;
    }
  }
  return std::nullopt;
}

}  // namespace tandem
