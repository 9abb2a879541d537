#include "core/engagement.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

/// 2026-11-25 is a Wednesday; Monday 2026-11-30 09:00 in Berlin is 08:00 UTC.
time_point utc(unsigned month, unsigned day, int hour, int minute = 0) {
  return date::sys_days{date::year{2026} / date::month{month} / date::day{day}} +
         std::chrono::hours{hour} + std::chrono::minutes{minute};
}

world engaged_world() {
  world w = sample_world();
  w.tiers[tier::core] = tier_policy{"weekly mon 09:00", std::chrono::days{7}, std::chrono::days{2}};
  w.tiers[tier::active] = tier_policy{"weekly mon 09:00", std::chrono::days{14}, std::chrono::days{3}};
  w.tiers[tier::informed] = tier_policy{"monthly first mon 09:00", std::chrono::days{45}, std::chrono::days{14}};
  w.tiers[tier::observer] = tier_policy{"never", std::chrono::seconds{0}, std::chrono::seconds{0}};
  return w;
}

/// Ticks every `step` from `from` to `to` (inclusive), applying each tick; returns the messages.
std::vector<send_message> run(world& w, time_point from, time_point to, std::chrono::minutes step = 15min) {
  std::vector<send_message> sent;
  for (time_point t = from; t <= to; t += step) {
    auto actions = tick(w, t);
    apply_to_world(w, actions);
    for (auto& m : messages_in(actions)) sent.push_back(std::move(m));
  }
  return sent;
}

std::vector<send_message> for_person(const std::vector<send_message>& sent, const std::string& who,
                                     const std::string& kind = "") {
  std::vector<send_message> out;
  for (const auto& m : sent) {
    if (m.to.person == who && (kind.empty() || m.body.kind == kind)) out.push_back(m);
  }
  return out;
}

bool audited(const world& w, const std::string& action) {
  return std::ranges::any_of(w.audit, [&](const audit_entry& e) { return e.action == action; });
}

}  // namespace

TEST_CASE("a weekly nudge goes out at 09:00 on Monday in the person's own zone") {
  world w = engaged_world();
  say(w, "ana", "assign @dee \"Map the wetlands\" due 2026-12-04", utc(11, 25, 9));
  const auto sent = run(w, utc(11, 25, 10), utc(12, 1, 12));
  const auto dee = for_person(sent, "dee", "nudge");
  REQUIRE(dee.size() == 1);
  CHECK(dee[0].not_before == utc(11, 30, 8));
  CHECK(dee[0].key == "nudge:river:dee:" + std::to_string(utc(11, 30, 8).time_since_epoch().count()));
  CHECK(dee[0].body.values["tasks"][0]["title"] == "Map the wetlands");
  CHECK(dee[0].body.values["first_number"] == 1);
  CHECK(answers_of(dee[0].body).at(0).command == "done 1");
  // Bob lives in New York: his Monday 09:00 is 14:00 UTC; with nothing open he gets a check-in.
  const auto bob = for_person(sent, "bob", "checkin");
  REQUIRE(bob.size() == 1);
  CHECK(bob[0].not_before == utc(11, 30, 14));
}

TEST_CASE("quiet hours hold a nudge back to the first allowed moment") {
  world w = engaged_world();
  w.people.at("dee").quiet = quiet_hours{7 * 60, 11 * 60};  // 07:00-11:00 Berlin
  const auto sent = for_person(run(w, utc(11, 25, 10), utc(12, 1, 12)), "dee");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].not_before == utc(11, 30, 10));  // 11:00 Berlin
}

TEST_CASE("a long pause ends in one nudge, not a burst") {
  world w = engaged_world();
  say(w, "dee", "pause until 2026-12-22", utc(11, 25, 9));
  const auto sent = for_person(run(w, utc(11, 25, 10), utc(12, 23, 12), 60min), "dee", "");
  std::vector<send_message> nudges;
  for (const auto& m : sent) {
    if (m.body.kind == "checkin" || m.body.kind == "nudge") nudges.push_back(m);
  }
  REQUIRE(nudges.size() == 1);
  // The pause ends at midnight Berlin, inside the default quiet hours: the held Monday slot goes at 08:00.
  CHECK(nudges[0].not_before == utc(12, 22, 7));
}

TEST_CASE("someone who answered recently is not nudged this slot") {
  world w = engaged_world();
  say(w, "dee", "tasks", utc(11, 29, 12));  // Sunday: within the 3-day recently-active window of Monday
  CHECK(for_person(run(w, utc(11, 25, 10), utc(12, 1, 12)), "dee").empty());
}

TEST_CASE("started two days late, the bot skips the stale nudges and still sends the reminders") {
  world w = engaged_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-01", utc(11, 25, 9));
  apply_to_world(w, tick(w, utc(11, 29, 12)));  // Sunday: the last tick before the outage
  const auto sent = run(w, utc(12, 1, 12), utc(12, 1, 12));  // Tuesday noon: back up
  CHECK(for_person(sent, "dee", "nudge").empty());
  CHECK(audited(w, "nudge.skipped"));
  CHECK(for_person(sent, "dee", "reminder_before").size() == 1);
  CHECK(for_person(sent, "dee", "reminder_due").size() == 1);
}

TEST_CASE("the same tick decided twice yields the same keys, and applied it sends nothing again") {
  world w = engaged_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-11-27", utc(11, 25, 9));
  apply_to_world(w, tick(w, utc(11, 25, 10)));
  const auto first = messages_in(tick(w, utc(11, 26, 9)));
  const auto again = messages_in(tick(w, utc(11, 26, 9)));  // a crash before the first was stored
  REQUIRE_FALSE(first.empty());
  CHECK(first == again);
  apply_to_world(w, tick(w, utc(11, 26, 9)));
  CHECK(messages_in(tick(w, utc(11, 26, 9))).empty());
}

TEST_CASE("a task is reminded before and on its due date, then escalated once when overdue") {
  world w = engaged_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04", utc(11, 25, 9));
  const auto sent = run(w, utc(11, 25, 10), utc(12, 10, 0));
  const auto before = for_person(sent, "dee", "reminder_before");
  const auto on_due = for_person(sent, "dee", "reminder_due");
  REQUIRE(before.size() == 1);
  REQUIRE(on_due.size() == 1);
  CHECK(before[0].not_before == utc(12, 3, 7));  // 48 h before the end of Friday in Berlin is midnight: at 08:00
  CHECK(on_due[0].not_before == utc(12, 4, 8));   // 09:00 Berlin on the day
  CHECK(before[0].key == "remind:1:before:dee");
  const auto overdue = for_person(sent, "ana", "task_overdue");
  REQUIRE(overdue.size() == 1);
  CHECK(overdue[0].not_before == utc(12, 5, 7));  // overdue at midnight Berlin, told at 08:00
  CHECK(overdue[0].key == "escalate:1:overdue:ana");
}

TEST_CASE("a done task is neither reminded nor escalated") {
  world w = engaged_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04", utc(11, 25, 9));
  say(w, "dee", "done 1", utc(11, 26, 9));
  const auto sent = run(w, utc(11, 26, 10), utc(12, 10, 0), 60min);
  CHECK(for_person(sent, "dee", "reminder_before").empty());
  CHECK(for_person(sent, "ana", "task_overdue").empty());
}

TEST_CASE("a silent person is flagged once per episode and escalated along the ladder") {
  world w = engaged_world();
  w.people.at("dee").time_zone = "UTC";
  apply_to_world(w, tick(w, utc(11, 1, 0)));  // tracking starts: nobody has answered yet
  say(w, "dee", "tasks", utc(11, 2, 10));
  auto sent = run(w, utc(11, 2, 11), utc(11, 20, 0), 60min);
  // Active tier: silent after 14 days: on 2026-11-16 10:00 or just after.
  const auto dm = for_person(sent, "dee", "silence_dm");
  REQUIRE(dm.size() == 1);
  CHECK(dm[0].not_before == utc(11, 16, 11));
  CHECK(dm[0].key == "silence:river:person:dee:1:dm");
  // Three days later, the organization's alternate (Cy) is asked to check in.
  std::vector<send_message> alternate;
  for (const auto& m : for_person(sent, "cy", "silence_alternate")) {
    if (m.body.values["who"] == "Dee") alternate.push_back(m);
  }
  REQUIRE(alternate.size() == 1);
  CHECK(alternate[0].not_before == utc(11, 19, 11));
  CHECK(alternate[0].body.values["who"] == "Dee");

  auto listing = say(w, "ana", "silent", utc(11, 20, 1));
  REQUIRE(listing[0].body.kind == "silent_list");
  const auto dee_entry = std::ranges::find_if(listing[0].body.values["silences"], [](const auto& e) { return e["who"] == "Dee"; });
  REQUIRE(dee_entry != listing[0].body.values["silences"].end());
  CHECK((*dee_entry)["told_person"] == "2026-11-16");
  CHECK((*dee_entry)["told_alternate"] == "2026-11-19");

  // A response ends the episode; the next silence is episode 2.
  say(w, "dee", "tasks", utc(11, 20, 2));
  CHECK(w.silences.at({"river", silence_subject::person, "dee"}).ended == utc(11, 20, 2));
  sent = run(w, utc(11, 20, 3), utc(12, 8, 0), 60min);
  const auto second = for_person(sent, "dee", "silence_dm");
  REQUIRE(second.size() == 1);
  CHECK(second[0].key == "silence:river:person:dee:2:dm");
}

TEST_CASE("an organization is silent when all its people are, and the facilitators hear of it once") {
  world w = engaged_world();
  apply_to_world(w, tick(w, utc(11, 1, 0)));
  say(w, "ana", "status", utc(11, 1, 1));  // the facilitator is active, the city is not
  auto sent = run(w, utc(11, 1, 2), utc(11, 10, 0), 60min);
  say(w, "ana", "status", utc(11, 10, 1));
  for (auto& m : run(w, utc(11, 10, 2), utc(11, 20, 0), 60min)) sent.push_back(std::move(m));
  const auto told = for_person(sent, "ana", "organization_silent");
  REQUIRE(told.size() == 1);
  CHECK(told[0].body.values["org"] == "City of Millbrook");
  CHECK(told[0].key == "silence:river:organization:city:1:facilitator:ana");
}

TEST_CASE("a collaboration lulls when its rooms are quiet") {
  world w = engaged_world();
  apply_to_world(w, tick(w, utc(11, 1, 0)));
  inbound chatter{"console:room:1", identity{"console", "", "dee"}, "river-room", false, false,
                  inbound_kind::message, "hello all", utc(11, 2, 0), ""};
  apply_to_world(w, handle(w, chatter, utc(11, 2, 0)));
  const auto sent = run(w, utc(11, 2, 1), utc(11, 12, 0), 60min);
  const auto lull = for_person(sent, "ana", "collaboration_lull");
  REQUIRE(lull.size() == 1);
  CHECK(lull[0].not_before == utc(11, 9, 7));  // found at 02:00 Berlin, told at 08:00
}

TEST_CASE("the facilitator digest goes out on Friday afternoon with silences, overdue and done tasks") {
  world w = engaged_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-11-26", utc(11, 25, 9));
  say(w, "ana", "assign @bob \"Map\"", utc(11, 25, 9));
  say(w, "bob", "done 2 mapped", utc(11, 25, 12));
  const auto digests = for_person(run(w, utc(11, 25, 10), utc(11, 28, 0)), "ana", "digest");
  REQUIRE(digests.size() == 1);
  CHECK(digests[0].not_before == utc(11, 27, 14));  // Friday 15:00 Berlin
  const auto& values = digests[0].body.values;
  CHECK(values["overdue"][0]["title"] == "Print flyers");
  CHECK(values["done"][0]["title"] == "Map");
  CHECK(values["organizations"][1]["name"] == "City of Millbrook");
  CHECK(values["organizations"][1]["responses"] == 1);
  CHECK(say(w, "ana", "digest", utc(11, 28, 1))[0].body.kind == "digest");
}

TEST_CASE("a facilitator nudges an organization now, within quiet hours") {
  world w = engaged_world();
  w.people.at("bob").quiet = quiet_hours{0, 12 * 60};
  auto sent = say(w, "ana", "nudge org:city", utc(11, 25, 10));
  REQUIRE(sent.size() == 4);
  CHECK(sent.back().body.kind == "nudge_sent");
  CHECK(sent.back().body.values["count"] == 3);
  CHECK(sent[0].to.person == "bob");
  CHECK(sent[0].not_before == utc(11, 25, 17));  // noon in New York
  CHECK(say(w, "ana", "nudge @zed", utc(11, 25, 10))[0].body.kind == "error_unknown_person");
}

// The wake index lets a tick look only at the members due. These tests check it against the plain
// way: the same script of commands, once with the index and once with ticks that look at everyone
// each time, must decide the same messages and leave the same world, hour after hour.
namespace {

using script = std::vector<std::tuple<time_point, std::string, std::string>>;

std::vector<send_message> run_both_ways(world& indexed, world& scanned, time_point from, time_point to,
                                        const script& lines) {
  std::vector<send_message> sent;
  auto next_line = lines.begin();
  for (time_point now = from; now <= to; now += 1h) {
    while (next_line != lines.end() && std::get<0>(*next_line) <= now) {
      const auto& [at, who, text] = *next_line++;
      const inbound event = typed(who, text, at);
      const auto answered = handle(indexed, event, at);
      REQUIRE(answered == handle(scanned, event, at));
      apply_to_world(indexed, answered);
      apply_to_world(scanned, answered);
    }
    const auto decided = tick(indexed, now);
    scanned.wakes.forget();
    const auto decided_by_scanning = tick(scanned, now);
    REQUIRE(messages_in(decided) == messages_in(decided_by_scanning));
    for (auto& m : messages_in(decided)) sent.push_back(std::move(m));
    apply_to_world(indexed, decided);
    apply_to_world(scanned, decided_by_scanning);
    REQUIRE(indexed == scanned);
  }
  return sent;
}

}  // namespace

TEST_CASE("ticks that look only at the members due decide exactly what ticks that look at everyone decide") {
  world indexed = engaged_world();
  indexed.people.at("dee").time_zone = "UTC";
  world scanned = indexed;
  const auto sent = run_both_ways(indexed, scanned, utc(11, 1, 0), utc(11, 1, 0) + date::days{70},
                                  {{utc(11, 2, 10), "ana", "assign @dee \"Count the herons\" due in 5d"},
                                   {utc(11, 3, 9), "bob", "pause until 2026-11-20"},
                                   {utc(11, 4, 12), "cy", "quiet 18:00-10:00"},
                                   {utc(11, 9, 9), "dee", "tasks"},
                                   {utc(11, 12, 15), "ana", "member add @eve org:city participant tier core"},
                                   {utc(11, 16, 8), "cy", "tier core"},
                                   {utc(11, 24, 9), "dee", "done 1"},
                                   {utc(11, 30, 10), "ana", "member remove @cy"},
                                   {utc(12, 7, 11), "bob", "tz Asia/Kolkata"}});
  CHECK(indexed.memberships.contains({"river", "eve"}));
  CHECK_FALSE(indexed.memberships.at({"river", "cy"}).active);
  for (const std::string kind : {"nudge", "checkin", "reminder_before", "silence_dm", "organization_silent", "digest"}) {
    INFO(kind);
    CHECK(std::ranges::any_of(sent, [&](const send_message& m) { return m.body.kind == kind; }));
  }
}

TEST_CASE("when the last member still answering leaves, the organization is flagged silent at the next tick") {
  world indexed = engaged_world();
  world scanned = indexed;
  script lines;
  for (unsigned day = 2; day <= 26; day += 4) lines.emplace_back(utc(11, day, 10), "cy", "tasks");
  lines.emplace_back(utc(11, 27, 10, 30), "ana", "member remove @cy");
  const auto sent = run_both_ways(indexed, scanned, utc(11, 1, 0), utc(11, 28, 0), lines);
  std::vector<send_message> told;
  for (const auto& m : for_person(sent, "ana", "organization_silent")) {
    if (m.body.values["org"] == "City of Millbrook") told.push_back(m);
  }
  REQUIRE(told.size() == 1);
  CHECK(told[0].not_before == utc(11, 27, 11));
}

TEST_CASE("an alternate named after a silence was due to climb to one is asked at the next tick") {
  world indexed = engaged_world();
  indexed.people.at("dee").time_zone = "UTC";
  world scanned = indexed;
  // Dee falls silent on 2026-11-16; the city has no alternate until 2026-11-25, long after the
  // three days the ladder waits before its third step.
  const auto sent = run_both_ways(indexed, scanned, utc(11, 1, 0), utc(11, 26, 0),
                                  {{utc(11, 1, 1), "ana", "member remove @cy"},
                                   {utc(11, 2, 10), "dee", "tasks"},
                                   {utc(11, 25, 9, 30), "ana", "member add @cy org:city alternate"}});
  std::vector<send_message> asked;
  for (const auto& m : for_person(sent, "cy", "silence_alternate")) {
    if (m.body.values["who"] == "Dee") asked.push_back(m);
  }
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].not_before == utc(11, 25, 10));
}

TEST_CASE("a response says whether it answers an open nudge, so that the store marks only those") {
  world w = engaged_world();
  w.nudges[{"river", "dee"}] = {nudge_record{utc(11, 30, 8), std::nullopt}};
  const auto activity_of = [&](time_point at) {
    for (const action& a : handle(w, typed("dee", "on it", at), at)) {
      if (const auto* n = std::get_if<note_activity>(&a)) return *n;
    }
    FAIL("no note_activity");
    return note_activity{};
  };
  CHECK_FALSE(activity_of(utc(11, 30, 7)).answers_nudge);  // before the nudge was sent
  const note_activity answer = activity_of(utc(11, 30, 9));
  CHECK(answer.answers_nudge);
  apply_to_world(w, {answer});
  CHECK(w.nudges.at({"river", "dee"}).back().answered == utc(11, 30, 9));
  CHECK_FALSE(activity_of(utc(11, 30, 10)).answers_nudge);  // already answered
}

TEST_CASE("a task due where the day ends first (UTC+14) is reminded 48 hours before that end, not later") {
  world w = engaged_world();
  w.people.at("dee").time_zone = "Pacific/Kiritimati";
  w.people.at("dee").quiet = no_quiet_hours;
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04", utc(11, 25, 9));
  const auto before = for_person(run(w, utc(11, 25, 10), utc(12, 3, 0)), "dee", "reminder_before");
  REQUIRE(before.size() == 1);
  CHECK(before[0].not_before == utc(12, 2, 10));  // Friday ends at 10:00 UTC there; 48 h before it
}
