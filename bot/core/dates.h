#pragma once
// Calendar arithmetic in people's own time zones (IANA tz database through date/tz).

#include "core/model.h"

#include <date/date.h>

#include <optional>
#include <string>
#include <string_view>

namespace tandem {

/// True when `zone` names a time zone of the tz database ("Europe/Berlin", "UTC").
bool is_known_time_zone(const std::string& zone);

/// The zone of the tz database that `zone` names, ignoring case (`europe/paris` gives
/// `Europe/Paris`); nothing when none does.
std::optional<std::string> canonical_time_zone(std::string_view zone);

/// The calendar date at `now` in `zone`. An unknown zone counts as UTC.
date::year_month_day local_date(time_point now, const std::string& zone);

/// Minutes after local midnight at `now` in `zone`.
int local_minute_of_day(time_point now, const std::string& zone);

/// The first instant of `day` in `zone` (a day that starts in a DST gap starts at the gap's end).
time_point start_of_day(date::year_month_day day, const std::string& zone);

/// The last second of `day` in `zone`: when a task's due date is over (task_view.h `due_deadline`).
time_point end_of_day(date::year_month_day day, const std::string& zone);

/// The instant of local time `minute` (after midnight) on `day` in `zone`; a time skipped by a
/// daylight-saving change gives the end of the gap, a repeated one the first occurrence.
time_point at_local_minute(date::year_month_day day, int minute, const std::string& zone);

/// A date as people write it: `2026-12-12`, `today`, `tomorrow`, a weekday (`fri`, `friday`: the
/// next one after today), `in 3d`, `in 2w`. `words` is the date's text (one or two words).
std::optional<date::year_month_day> parse_date(std::string_view words, date::year_month_day today);

/// A date as `since` takes it, pointing back from `today`: a month `2026-11` (its first day), a
/// day `2026-11-03`, `today`, `yesterday`, a weekday (`mon`: the latest one, today included),
/// `3d ago`, `2w ago`. `words` is the date's text (one or two words).
std::optional<date::year_month_day> parse_past_date(std::string_view words, date::year_month_day today);

/// `09:30` as minutes after midnight; nothing when malformed.
std::optional<int> parse_minute_of_day(std::string_view hhmm);

/// `19:00-08:00` as quiet hours; nothing when malformed.
std::optional<quiet_hours> parse_quiet_hours(std::string_view text);

/// `19:00-08:00` as quiet hours, or `off` (any case) as none (no_quiet_hours); nothing when malformed.
std::optional<quiet_hours> parse_quiet_choice(std::string_view text);

/// A weekday written in lower case: its name or a prefix of at least three letters (`mon`, `tues`).
std::optional<date::weekday> parse_weekday(std::string_view word);

/// Working days as engine_settings keeps them (bit d for weekday d, Sunday = 0): `every day`,
/// `weekdays`, or a comma list of days and ranges such as `mon-fri` or `mon,wed,fri-sat`, in any
/// case. Nothing when malformed or naming no day.
std::optional<unsigned> parse_working_days(std::string_view text);

/// `2026-12-12`.
std::string format_date(date::year_month_day day);
/// `HH:MM`.
std::string format_minute_of_day(int minute);
/// `2026-12-12 09:30` local time in `zone`.
std::string format_local_time(time_point at, const std::string& zone);

}  // namespace tandem
