#include "availability.h"

#include "dates.h"

#include <utility>

namespace tandem {

bool in_quiet_hours(const person& p, time_point t) {
  if (!p.quiet) return false;
  const int minute = local_minute_of_day(t, p.time_zone);
  const auto [start, end] = std::pair{p.quiet->start_minute, p.quiet->end_minute};
  return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end);
}

bool paused_at(const person& p, time_point t) { return p.paused_until && *p.paused_until > t; }

time_point first_allowed(const person& p, time_point t) {
  time_point at = paused_at(p, t) ? *p.paused_until : t;
  if (!in_quiet_hours(p, at)) return at;
  const int end = p.quiet->end_minute;
  const date::year_month_day today = local_date(at, p.time_zone);
  time_point candidate = at_local_minute(today, end, p.time_zone);
  if (candidate <= at) {
    candidate = at_local_minute(date::year_month_day{date::sys_days{today} + date::days{1}}, end, p.time_zone);
  }
  return candidate;
}

}  // namespace tandem
