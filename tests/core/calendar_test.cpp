#include "core/calendar.h"

#include "core/engagement.h"
#include "core/sample_world.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

std::chrono::sys_days day_of(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
}

calendar_event planned(std::int64_t number, std::chrono::sys_days day, std::vector<std::string> topics,
                       std::string audience, std::string org = "city") {
  return calendar_event{number,
                        "river",
                        std::move(org),
                        day,
                        "Event " + std::to_string(number),
                        std::move(topics),
                        std::move(audience),
                        "bob",
                        sample_now(),
                        std::nullopt};
}

std::vector<send_message> sent_to(const std::vector<send_message>& sent, const std::string& person) {
  std::vector<send_message> out;
  std::ranges::copy_if(sent, std::back_inserter(out), [&](const send_message& m) { return m.to.person == person; });
  return out;
}

}  // namespace

TEST_CASE("a member adds an event for their organization and gets it back as E1") {
  world w = sample_world();
  auto sent = say(w, "dee", "event add 2026-12-12 \"Spring newsletter\" #Newsletter #spring audience:public");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "event_added");
  CHECK(sent[0].body.values["number"] == 1);
  CHECK(sent[0].body.values["date"] == "2026-12-12");
  CHECK(sent[0].body.values["org"] == "City of Millbrook");
  CHECK(sent[0].body.values["topics"] == "#newsletter #spring");
  CHECK(sent[0].body.values["any_clashes"] == false);
  const calendar_event& e = w.events.at(1);
  CHECK(e.organization == "city");
  CHECK(e.day == day_of(2026, 12, 12));
  CHECK(e.topics == std::vector<std::string>{"newsletter", "spring"});
  CHECK(e.audience == "public");
  CHECK(e.added_by == "dee");
  CHECK(w.audit.back().action == "event.add");
  CHECK(w.audit.back().detail == "E1 2026-12-12 \"Spring newsletter\" #newsletter #spring audience:public");
  CHECK(next_event_number(w) == 2);
}

TEST_CASE("an event in the past is refused, and a bad event command says how to write it") {
  world w = sample_world();
  CHECK(say(w, "dee", "event add 2026-11-20 \"Too late\"")[0].body.kind == "error_date_in_past");
  CHECK(say(w, "dee", "event add 2026-12-12 Spring")[0].body.kind == "error_missing_quotes");
  CHECK(say(w, "dee", "event add \"Spring\"")[0].body.kind == "error_bad_date");
  CHECK(w.events.empty());
}

TEST_CASE("calendar clashes: same day, or within the window with a shared topic or audience") {
  struct row {
    const char* what;
    int other_offset;  // days from the new event
    std::vector<std::string> other_topics;
    std::string other_audience;
    std::vector<std::string> topics;
    std::string audience;
    std::optional<clash_kind> expected;
  };
  const std::vector<row> rows{
      {"same day, nothing shared", 0, {"a"}, "x", {"b"}, "y", clash_kind::same_day},
      {"same day, no topics at all", 0, {}, "", {}, "", clash_kind::same_day},
      {"next day, same topic", 1, {"news"}, "", {"news"}, "", clash_kind::same_topic},
      {"three days before, same topic (the window's edge)", -3, {"news"}, "", {"news"}, "", clash_kind::same_topic},
      {"four days later, same topic (outside the window)", 4, {"news"}, "", {"news"}, "", std::nullopt},
      {"two days later, same audience in other case", 2, {"a"}, "Youth", {"b"}, "youth", clash_kind::same_audience},
      {"two days later, nothing shared", 2, {"a"}, "youth", {"b"}, "elders", std::nullopt},
      {"two days later, both without audience", 2, {}, "", {}, "", std::nullopt},
      {"a topic and the audience shared: the topic is named",
       1,
       {"news"},
       "public",
       {"news"},
       "public",
       clash_kind::same_topic},
  };
  for (const row& r : rows) {
    INFO(r.what);
    world w = sample_world();
    const auto day = day_of(2026, 12, 10);
    w.events[1] = planned(1, day + std::chrono::days{r.other_offset}, r.other_topics, r.other_audience);
    const calendar_event candidate = planned(2, day, r.topics, r.audience, "backbone");
    const auto clashes = find_clashes(w, candidate);
    if (r.expected) {
      REQUIRE(clashes.size() == 1);
      CHECK(clashes[0].other == 1);
      CHECK(clashes[0].kind == *r.expected);
    } else {
      CHECK(clashes.empty());
    }
  }
}

TEST_CASE("the clash window follows the configuration, and other collaborations never clash") {
  world w = sample_world();
  w.engine.clash_days = 7;
  w.events[1] = planned(1, day_of(2026, 12, 3), {"news"}, "");
  w.events[2] = planned(2, day_of(2026, 12, 10), {}, "");
  w.events[2].collaboration = "lake";
  const auto clashes = find_clashes(w, planned(3, day_of(2026, 12, 10), {"news"}, "", "backbone"));
  REQUIRE(clashes.size() == 1);
  CHECK(clashes[0].other == 1);
  CHECK(clashes[0].shared == "news");
}

TEST_CASE("a clash is reported at once to whoever added the event and to the facilitators, naming the other event") {
  world w = sample_world();
  say(w, "bob", "event add 2026-12-12 \"Wetland open day\" #outreach");
  auto sent = say(w, "dee", "event add 2026-12-13 \"River clean-up\" #outreach");
  REQUIRE(sent.size() == 2);
  const auto& reply = sent[0];
  CHECK(reply.to.person == "dee");
  CHECK(reply.body.kind == "event_added");
  CHECK(reply.body.values["any_clashes"] == true);
  REQUIRE(reply.body.values["clashes"].size() == 1);
  CHECK(reply.body.values["clashes"][0]["number"] == 1);
  CHECK(reply.body.values["clashes"][0]["title"] == "Wetland open day");
  CHECK(reply.body.values["clashes"][0]["same_topic"] == true);
  CHECK(reply.body.values["clashes"][0]["shared"] == "outreach");
  const auto to_ana = sent_to(sent, "ana");
  REQUIRE(to_ana.size() == 1);
  CHECK(to_ana[0].body.kind == "event_clash");
  CHECK(to_ana[0].body.values["who"] == "Dee");
  CHECK(to_ana[0].body.values["clashes"][0]["title"] == "Wetland open day");
  CHECK(w.audit.back().action == "event.clash");
  CHECK(w.audit.back().detail == "E2 with E1");

  SECTION("a facilitator who adds a clashing event is not told twice") {
    auto own = say(w, "ana", "event add 2026-12-12 \"Board meeting\"");
    REQUIRE(own.size() == 1);
    CHECK(own[0].body.values["clashes"].size() == 1);
  }
}

TEST_CASE("events lists what is coming, soonest first, optionally by topic; a facilitator also gets the feed URL") {
  world w = sample_world();
  w.engine.public_url = "https://tandem.example.org";
  w.secrets[{"river", "calendar"}] = "s3cret";
  w.events[1] = planned(1, day_of(2026, 12, 20), {"news"}, "");
  w.events[2] = planned(2, day_of(2026, 12, 1), {"outreach"}, "public");
  w.events[3] = planned(3, day_of(2026, 11, 1), {"news"}, "");  // past

  auto listed = say(w, "dee", "events")[0];
  CHECK(listed.body.kind == "event_list");
  REQUIRE(listed.body.values["events"].size() == 2);
  CHECK(listed.body.values["events"][0]["number"] == 2);
  CHECK(listed.body.values["events"][1]["number"] == 1);
  CHECK(listed.body.values["feed_url"] == "");

  auto news = say(w, "dee", "events #News")[0];
  REQUIRE(news.body.values["events"].size() == 1);
  CHECK(news.body.values["topic"] == "news");

  auto for_ana = say(w, "ana", "events")[0];
  CHECK(for_ana.body.values["feed_url"] == "https://tandem.example.org/calendar/river.ics?token=s3cret");
  CHECK(for_ana.body.values["feed_in_dm"] == false);
}

TEST_CASE("events typed by a facilitator in a shared room lists the events there but keeps the feed link for a DM") {
  world w = sample_world();
  w.engine.public_url = "https://tandem.example.org";
  w.secrets[{"river", "calendar"}] = "s3cret";
  w.events[1] = planned(1, day_of(2026, 12, 20), {"news"}, "");

  auto in_room = say_in_room(w, "ana", "events")[0];
  CHECK(in_room.body.kind == "event_list");
  CHECK(in_room.body.values["events"].size() == 1);
  CHECK(in_room.body.values["feed_url"] == "");
  CHECK(in_room.body.values["feed_in_dm"] == true);
  CHECK(in_room.body.values.dump().find("s3cret") == std::string::npos);

  auto for_participant = say_in_room(w, "dee", "events")[0];
  CHECK(for_participant.body.values["feed_in_dm"] == false);
}

TEST_CASE("the weekly digest of upcoming events goes once per week to facilitators and representatives") {
  world w = sample_world();
  w.events[1] = planned(1, day_of(2026, 12, 8), {"news"}, "");
  w.events[2] = planned(2, day_of(2027, 1, 20), {}, "");  // beyond three weeks
  const time_point sunday = std::chrono::sys_days{day_of(2026, 11, 29)} + 23h;
  const time_point monday_early = std::chrono::sys_days{day_of(2026, 11, 30)} + 8h;
  const time_point monday = std::chrono::sys_days{day_of(2026, 11, 30)} + 9h;
  w.rounds[{"river", "events"}] = "2026-W48";  // the week of Monday the 23rd was decided
  CHECK(weekly_events_digests(w, sunday).empty());
  CHECK(weekly_events_digests(w, monday_early).empty());

  auto actions = weekly_events_digests(w, monday);
  apply_to_world(w, actions);
  const auto sent = messages_in(actions);
  std::vector<std::string> recipients;
  for (const auto& m : sent) recipients.push_back(m.to.person);
  CHECK(recipients == std::vector<std::string>{"ana", "bob"});
  CHECK(sent[0].key == "events:river:2026-W49:ana");
  CHECK(sent[0].body.kind == "events_digest");
  REQUIRE(sent[0].body.values["events"].size() == 1);
  CHECK(sent[0].body.values["events"][0]["number"] == 1);
  CHECK(w.rounds.at({"river", "events"}) == "2026-W49");
  CHECK(weekly_events_digests(w, monday + 2h).empty());
}

TEST_CASE("the weekly digest is part of the tick, and a week without upcoming events sends nothing") {
  world w = sample_world();
  const time_point monday = std::chrono::sys_days{day_of(2026, 11, 30)} + 10h;
  auto actions = tick(w, monday);
  CHECK(std::ranges::count_if(actions, [](const action& a) {
          const auto* round = std::get_if<save_round>(&a);
          return round != nullptr && round->round == "events" && round->period == "2026-W49";
        }) == 1);
  for (const auto& m : messages_in(actions)) CHECK(m.body.kind != "events_digest");
}

TEST_CASE("iCalendar text is escaped and long lines are folded at 75 octets without splitting a character") {
  CHECK(ical_escape("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne");
  CHECK(ical_fold("SUMMARY:short") == "SUMMARY:short\r\n");
  const std::string long_line = "SUMMARY:" + std::string(100, 'x');
  const std::string folded = ical_fold(long_line);
  CHECK(folded.substr(0, 75) == long_line.substr(0, 75));
  CHECK(folded.substr(75, 3) == "\r\n ");
  CHECK(folded.substr(78) == long_line.substr(75) + "\r\n");
  // 73 ASCII octets then "é" (2 octets) fit in 75; the next "é" starts a continuation line.
  const std::string accents = std::string(73, 'a') + "\u00e9\u00e9";
  CHECK(ical_fold(accents) == std::string(73, 'a') + "\u00e9\r\n \u00e9\r\n");
}

TEST_CASE("the calendar feed is a VCALENDAR with one all-day VEVENT per event of the collaboration") {
  world w = sample_world();
  w.events[7] = calendar_event{
      7,        "river", "city",      day_of(2026, 12, 12), "Spring newsletter; \"final\", really", {"news", "spring"},
      "public", "bob",   sample_now(), std::nullopt};
  w.events[8] = planned(8, day_of(2026, 12, 1), {}, "");
  w.events[8].collaboration = "lake";
  const std::string feed = calendar_feed(w, "river", sample_now());
  CHECK(feed.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
  CHECK(feed.ends_with("END:VCALENDAR\r\n"));
  CHECK(feed.find("UID:E7.river@tandem\r\n") != std::string::npos);
  CHECK(feed.find("DTSTAMP:20261125T100000Z\r\n") != std::string::npos);
  CHECK(feed.find("DTSTART;VALUE=DATE:20261212\r\nDTEND;VALUE=DATE:20261213\r\n") != std::string::npos);
  CHECK(feed.find("SUMMARY:Spring newsletter\\; \"final\"\\, really\r\n") != std::string::npos);
  CHECK(feed.find("CATEGORIES:news,spring\r\n") != std::string::npos);
  CHECK(feed.find("DESCRIPTION:E7 by City of Millbrook\\naudience: public\r\n") != std::string::npos);
  CHECK(feed.find("E8") == std::string::npos);
  for (std::size_t start = 0; start < feed.size();) {
    const std::size_t end = feed.find("\r\n", start);
    REQUIRE(end != std::string::npos);
    CHECK(end - start <= 75);
    start = end + 2;
  }
}

TEST_CASE("the facilitator digest lists the shared calendar's next two weeks") {
  world w = sample_world();
  w.events[1] = planned(1, day_of(2026, 12, 1), {"news"}, "");
  w.events[2] = planned(2, day_of(2026, 12, 20), {}, "");  // beyond two weeks
  w.events[3] = planned(3, day_of(2026, 11, 20), {}, "");  // past
  const auto values = digest_values(w, "river", w.people.at("ana"), std::nullopt, sample_now());
  CHECK(values["any_events"] == true);
  REQUIRE(values["events"].size() == 1);
  CHECK(values["events"][0]["number"] == 1);
  CHECK(values["events"][0]["topics"] == "#news");
}

TEST_CASE("whoever added an event may move it; the clashes are checked again on the new day") {
  world w = sample_world();
  say(w, "bob", "event add 2026-12-10 \"Newsletter\" #newsletter");
  say(w, "dee", "event add 2026-12-18 \"Open day\" #newsletter");
  const auto moved = say(w, "dee", "event move E2 2026-12-11");
  REQUIRE_FALSE(moved.empty());
  CHECK(moved[0].body.kind == "event_moved");
  CHECK(moved[0].body.values["from"] == "2026-12-18");
  CHECK(moved[0].body.values["date"] == "2026-12-11");
  CHECK(moved[0].body.values["any_clashes"] == true);
  CHECK(moved[0].body.values["clashes"][0]["number"] == 1);
  CHECK(moved[0].body.values["clashes"][0]["same_topic"] == true);
  CHECK(sent_to(moved, "ana").size() == 1);  // the facilitator hears of the clash, as on add
  CHECK(w.events.at(2).day == day_of(2026, 12, 11));
  CHECK(w.audit[w.audit.size() - 2].action == "event.move");
  CHECK(w.audit[w.audit.size() - 2].detail == "E2 from 2026-12-18 to 2026-12-11");
  // Back where nothing clashes: no notice.
  const auto again = say(w, "dee", "event move E2 2026-12-24");
  REQUIRE(again.size() == 1);
  CHECK(again[0].body.values["any_clashes"] == false);
}

TEST_CASE("an event is removed by whoever added it or by a facilitator, nobody else") {
  world w = sample_world();
  say(w, "bob", "event add 2026-12-10 \"Newsletter\"");
  say(w, "bob", "event add 2026-12-12 \"Fair\"");
  const auto refused = say(w, "dee", "event remove E1");
  CHECK(refused[0].body.kind == "error_not_your_event");
  CHECK(refused[0].body.values["by"] == "Bob");
  CHECK(say(w, "dee", "event move E1 2026-12-20")[0].body.kind == "error_not_your_event");
  CHECK(w.events.contains(1));
  const auto removed = say(w, "bob", "event remove E1");
  CHECK(removed[0].body.kind == "event_removed");
  CHECK(removed[0].body.values["title"] == "Newsletter");
  CHECK(w.events.at(1).removed_at == sample_now());
  CHECK(w.audit.back().action == "event.remove");
  CHECK(say(w, "bob", "events")[0].body.values["count"] == 1);
  CHECK(say(w, "bob", "event remove E1")[0].body.kind == "error_unknown_event");
  CHECK(say(w, "ana", "event remove E2")[0].body.kind == "event_removed");
  CHECK(next_event_number(w) == 3);  // numbers are never reused
  CHECK(calendar_feed(w, "river", sample_now()).find("VEVENT") == std::string::npos);
}

TEST_CASE("moving or removing an unknown event, or into the past, is refused with a clear error") {
  world w = sample_world();
  say(w, "bob", "event add 2026-12-10 \"Newsletter\"");
  CHECK(say(w, "bob", "event remove E9")[0].body.kind == "error_unknown_event");
  CHECK(say(w, "bob", "event move E9 2026-12-11")[0].body.kind == "error_unknown_event");
  CHECK(say(w, "bob", "event move E1 2026-11-01")[0].body.kind == "error_date_in_past");
  CHECK(say(w, "bob", "event move E1 someday")[0].body.kind == "error_bad_date");
  CHECK(w.events.at(1).day == day_of(2026, 12, 10));
}
