#pragma once
// When something recurs, in a person's own time zone: tier nudge cadences and digests.
//
// Forms: `never`, `daily 09:00`, `weekdays 09:00`, `weekly mon 09:00`, `weekly mon,thu 09:00`,
// `every 2 weeks tue 10:00`, `monthly first thu 15:00` (first|second|third|fourth|last),
// `monthly 15 09:00` (a day of the month), and five-field cron `0 9 * * 1` (minute hour
// day-of-month month day-of-week; lists, ranges, steps; day-of-month and day-of-week together
// match either, as in cron). Times are local; a local time skipped by a daylight-saving change
// fires once, at the end of the gap; a repeated local time fires once, the first time.

#include "core/model.h"

#include <date/date.h>

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem {

class schedule {
 public:
  /// Parses a schedule; the error says what is wrong and lists the forms.
  static std::variant<schedule, std::string> parse(std::string_view text);

  /// The first occurrence strictly after `after`, in `zone`; nothing for `never` (or when no
  /// occurrence falls within the next 400 days).
  std::optional<time_point> next_after(time_point after, const std::string& zone) const;

  /// The last occurrence at or before `at`, in `zone`, looking back at most 400 days.
  std::optional<time_point> last_at_or_before(time_point at, const std::string& zone) const;

  bool never() const { return minutes_.empty(); }

  /// True when the schedule fires on that local date (at some time of day).
  bool matches(date::year_month_day day) const;

 private:
  std::vector<int> minutes_;      ///< local minutes after midnight, ascending; empty: never
  std::bitset<7> weekdays_;       ///< Sunday = 0
  std::bitset<32> month_days_;    ///< 1..31
  std::bitset<13> months_;        ///< 1..12
  bool weekdays_restricted_ = false;
  bool month_days_restricted_ = false;
  int nth_ = 0;                   ///< monthly nth weekday: 1..4, or -1 for the last one; 0: not used
  int every_weeks_ = 1;           ///< every N weeks, counted from Monday 1970-01-05
};

}  // namespace tandem
