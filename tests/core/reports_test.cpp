#include "core/reports.h"

#include "core/engagement.h"
#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

time_point on(int year, unsigned month, unsigned day, std::chrono::hours hour) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}} + hour;
}

/// Two months of a collaboration, scripted with its clock: the figures below are known.
///  November: ana nudges the City (bob, cy, dee) at an hour all of them may be reached; bob
///  answers in 2 hours, dee in 24, cy never.
///  Dee finishes her task on time; bob finishes the City's task two days late; bob answers the
///  pulse with 4. Ana opens an approval round for the City on Nov 2; bob approves two days later.
///  December: another nudge, bob answers in 1 hour.
world scripted_scenario() {
  world w = sample_world();
  w.engine.public_url = "https://tandem.example.org";
  w.secrets[{"river", "export"}] = "exp0rt";
  deliver(w, say(w, "ana", "nudge org:city", on(2026, 11, 2, 14h)), on(2026, 11, 2, 14h));
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-11-10", on(2026, 11, 2, 9h));
  say(w, "ana", "assign org:city \"Book the hall\" due 2026-11-05", on(2026, 11, 2, 9h));
  say(w, "bob", "tasks", on(2026, 11, 2, 16h));
  say(w, "dee", "tasks", on(2026, 11, 3, 14h));
  say(w, "dee", "done 1", on(2026, 11, 5, 9h));
  say(w, "bob", "done 2", on(2026, 11, 8, 9h));
  say(w, "ana", "approval open \"2027 budget\" to org:city deadline 2026-11-30", on(2026, 11, 2, 9h));
  say(w, "bob", "approve A1 the board agreed", on(2026, 11, 4, 9h));
  say(w, "bob", "pulse 4 the joint grant helped", on(2026, 11, 20, 9h));
  deliver(w, say(w, "ana", "nudge org:city", on(2026, 12, 1, 14h)), on(2026, 12, 1, 14h));
  say(w, "bob", "tasks", on(2026, 12, 1, 15h));
  return w;
}

const outcome_row& row_of(const std::vector<outcome_row>& rows, const std::string& org, const std::string& month) {
  for (const auto& r : rows) {
    if (r.organization == org && r.month == month) return r;
  }
  FAIL("no row for " << org << " " << month);
  return rows.front();
}

}  // namespace

TEST_CASE("a report month is the UTC month of an instant, and starts at its first second") {
  const time_point last_second = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} - std::chrono::seconds{1};
  CHECK(month_of(last_second) == "2026-11");
  CHECK(month_of(last_second + std::chrono::seconds{1}) == "2026-12");
  CHECK(start_of_month("2026-11") == std::chrono::sys_days{std::chrono::year{2026} / 11 / 1});
  CHECK(start_of_month(month_of(last_second)) <= last_second);
  for (const std::string_view bad : {"2026-13", "2026-1", "26-11", "2026/11", "year-mo"}) {
    INFO(bad);
    CHECK_THROWS_AS(start_of_month(bad), std::invalid_argument);
  }
}

TEST_CASE("nudges are recorded when delivered and answered by the person's next response") {
  world w = sample_world();
  const auto decided = say(w, "ana", "nudge @bob", on(2026, 11, 2, 14h));
  CHECK_FALSE(w.nudges.contains({"river", "bob"}));  // decided, not delivered yet
  deliver(w, decided, on(2026, 11, 2, 14h));
  REQUIRE(w.nudges.at({"river", "bob"}).size() == 1);
  CHECK_FALSE(w.nudges.at({"river", "bob"})[0].answered);
  say(w, "bob", "tasks", on(2026, 11, 2, 15h));
  say(w, "bob", "tasks", on(2026, 11, 2, 16h));
  CHECK(w.nudges.at({"river", "bob"})[0].answered == on(2026, 11, 2, 15h));
}

TEST_CASE("the outcome report of a scripted scenario has the known figures") {
  const world w = scripted_scenario();
  const auto rows = outcome_report(w, "river", "2026-11", on(2026, 12, 2, 9h));
  REQUIRE(rows.size() == 4);  // two organizations, two months

  const outcome_row& city = row_of(rows, "city", "2026-11");
  CHECK(city.organization_name == "City of Millbrook");
  CHECK(city.nudges == 3);
  CHECK(city.answered == 2);
  CHECK(city.median_response_hours == 13.0);  // 2 h and 24 h
  CHECK(city.tasks_done == 2);
  CHECK(city.tasks_on_time == 1);
  CHECK(city.approval_turnaround_days == 2.0);
  CHECK(city.people == 3);
  CHECK(city.people_active == 2);
  CHECK(city.responses == 4);  // bob's and dee's `tasks` only looked: presence, no response
  CHECK(city.pulse_answers == 1);
  CHECK(city.pulse_average == 4.0);
  CHECK(city.pulse_comments == std::vector<std::string>{"the joint grant helped"});

  const outcome_row& city_december = row_of(rows, "city", "2026-12");
  CHECK(city_december.nudges == 3);
  CHECK(city_december.answered == 1);
  CHECK(city_december.median_response_hours == 1.0);
  CHECK(city_december.tasks_done == 0);
  CHECK(city_december.people_active == 0);  // bob answered the nudge with `tasks`: present, but no response
  CHECK_FALSE(city_december.pulse_average);

  const outcome_row& backbone = row_of(rows, "backbone", "2026-11");
  CHECK(backbone.nudges == 0);
  CHECK_FALSE(backbone.median_response_hours);
  CHECK(backbone.people == 1);
  CHECK(backbone.people_active == 1);
  CHECK(backbone.responses == 4);
  CHECK_FALSE(backbone.approval_turnaround_days);
  CHECK(first_report_month(w, "river", on(2026, 12, 2, 9h)) == "2026-11");
}

TEST_CASE("the CSV export of the scripted scenario") {
  const world w = scripted_scenario();
  const auto rows = outcome_report(w, "river", "2026-11", on(2026, 12, 2, 9h));
  CHECK(report_csv("river", rows) ==
        "collaboration,organization,organization_name,month,nudges,nudges_answered,response_rate,median_response_hours,"
        "tasks_done,tasks_done_on_time,approval_turnaround_days,people,people_active,responses,pulse_answers,"
        "pulse_average,pulse_comments\r\n"
        "river,backbone,Backbone Trust,2026-11,0,0,,,0,0,,1,1,4,0,,\r\n"
        "river,city,City of Millbrook,2026-11,3,2,0.67,13.0,2,1,2.0,3,2,4,1,4.00,the joint grant helped\r\n"
        "river,backbone,Backbone Trust,2026-12,0,0,,,0,0,,1,1,1,0,,\r\n"
        "river,city,City of Millbrook,2026-12,3,1,0.33,1.0,0,0,,3,0,0,0,,\r\n");
}

TEST_CASE("CSV fields are quoted when needed and formulas are defused") {
  outcome_row row;
  row.organization = "city";
  row.organization_name = "=HYPERLINK(\"x\")";
  row.month = "2026-11";
  row.pulse_comments = {"good, \"really\"", "line\nbreak"};
  const std::string csv = report_csv("river", {row});
  CHECK(csv.find("\"'=HYPERLINK(\"\"x\"\")\"") != std::string::npos);
  CHECK(csv.find("\"good, \"\"really\"\" | line\nbreak\"") != std::string::npos);
}

TEST_CASE("the JSON export of the scripted scenario") {
  const world w = scripted_scenario();
  const auto now = on(2026, 12, 2, 9h);
  const auto json = report_json("river", "2026-11", outcome_report(w, "river", "2026-11", now), now);
  CHECK(json["collaboration"] == "river");
  CHECK(json["since"] == "2026-11");
  REQUIRE(json["rows"].size() == 4);
  const auto& city = json["rows"][1];
  CHECK(city["organization"] == "city");
  CHECK(city["month"] == "2026-11");
  CHECK(city["nudges"] == 3);
  CHECK(city["nudges_answered"] == 2);
  CHECK(city["response_rate"] == 0.6667);
  CHECK(city["median_response_hours"] == 13.0);
  CHECK(city["tasks_done"] == 2);
  CHECK(city["tasks_done_on_time"] == 1);
  CHECK(city["approval_turnaround_days"] == 2.0);
  CHECK(json["rows"][3]["approval_turnaround_days"].is_null());
  CHECK(city["people_active"] == 2);
  CHECK(city["pulse_average"] == 4.0);
  CHECK(city["pulse_comments"] == nlohmann::json::array({"the joint grant helped"}));
  CHECK(json["rows"][0]["response_rate"].is_null());
}

TEST_CASE("report gives a facilitator the figures since a date and the export links") {
  world w = scripted_scenario();
  auto sent = say(w, "ana", "report since 2026-12-01", on(2026, 12, 2, 9h));
  REQUIRE(sent.size() == 1);
  const auto& values = sent[0].body.values;
  CHECK(sent[0].body.kind == "report");
  CHECK(values["since"] == "2026-12");
  REQUIRE(values["rows"].size() == 2);
  CHECK(values["rows"][1]["org"] == "City of Millbrook");
  CHECK(values["rows"][1]["response_rate"] == "33%");
  CHECK(values["rows"][1]["median_response_hours"] == 1.0);
  CHECK(values["csv_url"] == "https://tandem.example.org/export/river.csv?token=exp0rt");
  CHECK(values["json_url"] == "https://tandem.example.org/export/river.json?token=exp0rt");

  CHECK(values["links_in_dm"] == false);

  SECTION("without since: the last three months") {
    CHECK(say(w, "ana", "report", on(2026, 12, 2, 9h))[0].body.values["since"] == "2026-10");
  }
}

TEST_CASE("report typed in a shared room gives the figures there but keeps the export links for a DM") {
  world w = scripted_scenario();
  auto sent = say_in_room(w, "ana", "report since 2026-12-01", on(2026, 12, 2, 9h));
  REQUIRE(sent.size() == 1);
  const auto& values = sent[0].body.values;
  CHECK(values["rows"].size() == 2);
  CHECK(values["csv_url"] == "");
  CHECK(values["json_url"] == "");
  CHECK(values["links_in_dm"] == true);
  CHECK(values.dump().find("exp0rt") == std::string::npos);
}

TEST_CASE("report is for facilitators and pulse for representatives") {
  world w = sample_world();
  CHECK(say(w, "dee", "report")[0].body.kind == "error_not_allowed");
  CHECK(say(w, "dee", "pulse 3")[0].body.kind == "error_not_allowed");
  CHECK(say(w, "bob", "pulse 6")[0].body.kind == "error_bad_value");
  CHECK(w.pulses.empty());
}

TEST_CASE("a representative's pulse is recorded for the month, and a second answer replaces the first") {
  world w = sample_world();
  auto first = say(w, "bob", "pulse 2", on(2026, 11, 3, 9h));
  CHECK(first[0].body.kind == "pulse_recorded");
  CHECK(first[0].body.values["updated"] == false);
  say(w, "cy", "pulse 5 much better", on(2026, 11, 4, 9h));  // the alternate answers too
  auto again = say(w, "bob", "pulse 3 better", on(2026, 11, 5, 9h));
  CHECK(again[0].body.values["updated"] == true);
  REQUIRE(w.pulses.size() == 2);
  const pulse_answer& bob = w.pulses.at({"river", "2026-11", "bob"});
  CHECK(bob.score == 3);
  CHECK(bob.comment == "better");
  CHECK(bob.organization == "city");
  CHECK(w.audit.back().action == "pulse");
}

TEST_CASE("the monthly pulse asks each representative once a month, from the month after the first tick") {
  world w = sample_world();
  auto first = monthly_pulse(w, on(2026, 11, 25, 10h));
  CHECK(messages_in(first).empty());
  apply_to_world(w, first);
  CHECK(w.rounds.at({"river", "pulse"}) == "2026-11");
  CHECK(monthly_pulse(w, on(2026, 11, 30, 10h)).empty());
  CHECK(monthly_pulse(w, on(2026, 12, 1, 8h)).empty());  // before the reminder time

  auto december = monthly_pulse(w, on(2026, 12, 1, 9h));
  apply_to_world(w, december);
  const auto sent = messages_in(december);
  REQUIRE(sent.size() == 1);  // bob: the alternate and the others are not asked
  CHECK(sent[0].to.person == "bob");
  CHECK(sent[0].key == "pulse:river:2026-12:bob");
  CHECK(sent[0].body.kind == "pulse_question");
  CHECK(sent[0].body.values["org"] == "City of Millbrook");
  CHECK(monthly_pulse(w, on(2026, 12, 1, 10h)).empty());
}

TEST_CASE("the monthly pulse is part of the tick") {
  world w = sample_world();
  w.rounds[{"river", "pulse"}] = "2026-11";
  const auto sent = messages_in(tick(w, on(2026, 12, 1, 9h)));
  CHECK(std::ranges::count_if(sent, [](const send_message& m) { return m.body.kind == "pulse_question"; }) == 1);
}
