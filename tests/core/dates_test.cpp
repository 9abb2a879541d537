#include "core/dates.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace std::chrono_literals;

namespace {
time_point utc(int y, unsigned m, unsigned d, int h, int min = 0) {  // a UTC wall-clock time
  return date::sys_days{date::year{y} / date::month{m} / date::day{d}} + std::chrono::hours{h} + std::chrono::minutes{min};
}
}  // namespace

TEST_CASE("a due date means the last second of that day in the assignee's time zone") {
  const date::year_month_day day = date::year{2026} / 12 / 4;
  CHECK(end_of_day(day, "UTC") == utc(2026, 12, 4, 23, 59) + 59s);
  CHECK(end_of_day(day, "Europe/Berlin") == utc(2026, 12, 4, 22, 59) + 59s);
  CHECK(end_of_day(day, "America/New_York") == utc(2026, 12, 5, 4, 59) + 59s);
}

TEST_CASE("days across a daylight-saving change keep their local boundaries") {
  // Europe/Berlin springs forward on 2027-03-28: that day has 23 hours.
  const date::year_month_day change = date::year{2027} / 3 / 28;
  CHECK(start_of_day(change, "Europe/Berlin") == utc(2027, 3, 27, 23));
  CHECK(end_of_day(change, "Europe/Berlin") == utc(2027, 3, 28, 21, 59) + 59s);
  // America/Sao_Paulo used to start DST at midnight: the day began at 01:00 local.
  CHECK(start_of_day(date::year{2018} / 11 / 4, "America/Sao_Paulo") == utc(2018, 11, 4, 3));
}

TEST_CASE("the local date depends on the person's time zone") {
  const time_point late = utc(2026, 11, 25, 23, 30);
  CHECK(local_date(late, "UTC") == date::year{2026} / 11 / 25);
  CHECK(local_date(late, "Europe/Berlin") == date::year{2026} / 11 / 26);
  CHECK(local_minute_of_day(late, "Europe/Berlin") == 30);
  CHECK(format_local_time(late, "America/New_York") == "2026-11-25 18:30");
}

TEST_CASE("time zones are checked against the tz database") {
  CHECK(is_known_time_zone("Europe/Berlin"));
  CHECK(is_known_time_zone("UTC"));
  CHECK_FALSE(is_known_time_zone("Europe/Berln"));
  CHECK_FALSE(is_known_time_zone(""));
}

TEST_CASE("quiet hours are two clock times and may wrap midnight") {
  CHECK(parse_quiet_hours("19:00-08:00") == quiet_hours{19 * 60, 8 * 60});
  CHECK(parse_quiet_hours("12:30-13:45") == quiet_hours{12 * 60 + 30, 13 * 60 + 45});
  CHECK_FALSE(parse_quiet_hours("19-08"));
  CHECK_FALSE(parse_quiet_hours("24:00-08:00"));
  CHECK_FALSE(parse_quiet_hours("08:00-08:00"));
  CHECK_FALSE(parse_quiet_hours("8:0-9:00"));
}
