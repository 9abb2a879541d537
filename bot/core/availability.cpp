#include "core/availability.h"

#include "core/dates.h"

namespace tandem {

quiet_hours quiet_hours_of(const person& p, const engine_settings& settings) {
  return p.quiet.value_or(settings.default_quiet);
}

bool in_quiet_hours(const person& p, const engine_settings& settings, time_point t) {
  const quiet_hours quiet = quiet_hours_of(p, settings);
  if (quiet.empty()) return false;
  const int minute = local_minute_of_day(t, p.time_zone);
  const int start = quiet.start_minute;
  const int end = quiet.end_minute;
  return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end);
}

bool on_a_day_off(const person& p, const engine_settings& settings, time_point t) {
  const date::weekday day{date::sys_days{local_date(t, p.time_zone)}};
  return (settings.working_days & (1U << day.c_encoding())) == 0;
}

bool paused_at(const person& p, time_point t) { return p.paused_until && *p.paused_until > t; }

bool reachable_at(const person& p, const engine_settings& settings, time_point t) {
  return !paused_at(p, t) && !on_a_day_off(p, settings, t) && !in_quiet_hours(p, settings, t);
}

time_point first_allowed(const person& p, const engine_settings& settings, time_point t) {
  time_point at = paused_at(p, t) ? *p.paused_until : t;
  // Each step moves to the end of one obstacle (a day off, a quiet span); a week of days off
  // with quiet hours between needs at most fifteen. With no working day at all, nobody is ever
  // reachable: the pause's end is as good an answer as any.
  if ((settings.working_days & 0x7fU) == 0) return at;
  for (int step = 0; step < 16; ++step) {
    const date::year_month_day today = local_date(at, p.time_zone);
    if (on_a_day_off(p, settings, at)) {
      at = start_of_day(date::year_month_day{date::sys_days{today} + date::days{1}}, p.time_zone);
      continue;
    }
    if (!in_quiet_hours(p, settings, at)) return at;
    const int end = quiet_hours_of(p, settings).end_minute;
    time_point candidate = at_local_minute(today, end, p.time_zone);
    if (candidate <= at) {
      candidate = at_local_minute(date::year_month_day{date::sys_days{today} + date::days{1}}, end, p.time_zone);
    }
    at = candidate;
  }
  return at;
}

}  // namespace tandem
