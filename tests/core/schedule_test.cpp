#include "core/schedule.h"

#include <catch2/catch.hpp>
#include <date/date.h>
#include <date/tz.h>

using namespace tandem;

namespace {

schedule parsed(const std::string& text) {
  auto result = schedule::parse(text);
  INFO(text);
  REQUIRE(std::holds_alternative<schedule>(result));
  return std::get<schedule>(result);
}

/// A UTC instant written as "2027-03-28 01:00".
time_point utc(const std::string& text) {
  std::istringstream in{text};
  date::sys_seconds t;
  in >> date::parse("%F %H:%M", t);
  REQUIRE_FALSE(in.fail());
  return t;
}

std::string local(time_point t, const std::string& zone) {
  return date::format("%F %a %H:%M %Z", date::make_zoned(zone, t));
}

}  // namespace

TEST_CASE("schedules fire at their local times, across daylight-saving changes") {
  struct row {
    std::string schedule, zone, after, expected;
  };
  const std::vector<row> table{
      // Weekly at 09:00 stays 09:00 local before and after both Berlin changes.
      {"weekly mon 09:00", "Europe/Berlin", "2027-03-20 00:00", "2027-03-22 Mon 09:00 CET"},
      {"weekly mon 09:00", "Europe/Berlin", "2027-03-22 08:00", "2027-03-29 Mon 09:00 CEST"},
      {"weekly mon 09:00", "Europe/Berlin", "2027-10-25 08:00", "2027-11-01 Mon 09:00 CET"},
      // A time in the skipped hour fires once, at the end of the gap.
      {"weekly sun 02:30", "Europe/Berlin", "2027-03-27 00:00", "2027-03-28 Sun 03:00 CEST"},
      {"weekly sun 02:30", "Europe/Berlin", "2027-03-28 01:00", "2027-04-04 Sun 02:30 CEST"},
      // A time in the repeated hour fires once, the first time.
      {"weekly sun 02:30", "Europe/Berlin", "2027-10-30 00:00", "2027-10-31 Sun 02:30 CEST"},
      {"weekly sun 02:30", "Europe/Berlin", "2027-10-31 00:30", "2027-11-07 Sun 02:30 CET"},
      // New York changes on other dates, at 02:00 local.
      {"daily 02:15", "America/New_York", "2027-03-14 05:00", "2027-03-14 Sun 03:00 EDT"},
      {"daily 02:15", "America/New_York", "2027-03-14 07:00", "2027-03-15 Mon 02:15 EDT"},
      {"daily 01:30", "America/New_York", "2027-11-07 04:00", "2027-11-07 Sun 01:30 EDT"},
      {"daily 01:30", "America/New_York", "2027-11-07 05:30", "2027-11-08 Mon 01:30 EST"},
      // A zone with a half-hour offset.
      {"weekdays 09:00", "Asia/Kolkata", "2026-11-27 04:00", "2026-11-30 Mon 09:00 IST"},
      {"weekly mon,thu 10:00", "Asia/Kolkata", "2026-11-30 05:00", "2026-12-03 Thu 10:00 IST"},
      {"every 2 weeks tue 10:00", "UTC", "2026-11-24 11:00", "2026-12-08 Tue 10:00 UTC"},
      {"every 2 weeks tue 10:00", "UTC", "2026-11-23 00:00", "2026-11-24 Tue 10:00 UTC"},
      {"monthly first thu 15:00", "Europe/London", "2026-11-06 00:00", "2026-12-03 Thu 15:00 GMT"},
      {"monthly last fri 16:00", "Europe/London", "2026-11-28 00:00", "2026-12-25 Fri 16:00 GMT"},
      {"monthly 31 09:00", "UTC", "2027-02-01 00:00", "2027-03-31 Wed 09:00 UTC"},
      {"0 9 * * 1", "Europe/Berlin", "2027-03-22 08:00", "2027-03-29 Mon 09:00 CEST"},
      {"30 8-17/3 * * 1-5", "UTC", "2026-11-27 12:00", "2026-11-27 Fri 14:30 UTC"},
      {"0 12 1,15 * *", "UTC", "2026-11-02 00:00", "2026-11-15 Sun 12:00 UTC"},
      {"0 12 13 * 5", "UTC", "2026-11-01 00:00", "2026-11-06 Fri 12:00 UTC"},  // cron: the 13th or a Friday
  };
  for (const auto& r : table) {
    INFO(r.schedule << " in " << r.zone << " after " << r.after);
    auto next = parsed(r.schedule).next_after(utc(r.after), r.zone);
    REQUIRE(next);
    CHECK(local(*next, r.zone) == r.expected);
  }
}

TEST_CASE("the last occurrence is found looking back") {
  const schedule weekly = parsed("weekly mon 09:00");
  CHECK(local(*weekly.last_at_or_before(utc("2026-11-25 12:00"), "Europe/Berlin"), "Europe/Berlin") ==
        "2026-11-23 Mon 09:00 CET");
  CHECK(weekly.last_at_or_before(utc("2026-11-23 08:00"), "Europe/Berlin") == utc("2026-11-23 08:00"));
}

TEST_CASE("never never fires") {
  const schedule none = parsed("never");
  CHECK(none.never());
  CHECK_FALSE(none.next_after(utc("2026-11-25 12:00"), "UTC"));
}

TEST_CASE("a schedule that cannot be read says which forms exist") {
  for (const std::string bad : {"weekly", "weekly funday 09:00", "weekly mon 25:00", "monthly fifth mon 09:00",
                                "every 0 weeks mon 09:00", "0 9 * *", "61 9 * * *", "sometimes"}) {
    INFO(bad);
    auto result = schedule::parse(bad);
    REQUIRE(std::holds_alternative<std::string>(result));
    CHECK_THAT(std::get<std::string>(result), Catch::StartsWith("\"" + bad + "\" is not a schedule: use never"));
  }
}
