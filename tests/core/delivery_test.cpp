// The rules of delivery (issue "Facilitation partners can trust"): every message that a person did
// not just ask for arrives outside their quiet hours, pauses and days off; a message that waited is
// checked again when it is due and withdrawn once its reason is gone. Scenarios run through the
// simulation, whose outbox gives each message the same last look as the running bot.
#include "core/delivery.h"

#include "core/dates.h"
#include "core/sample_world.h"
#include "core/simulation.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

time_point utc(int year, unsigned month, unsigned day, int hour, int minute = 0) {
  return date::sys_days{date::year{year} / date::month{month} / date::day{day}} + std::chrono::hours{hour} +
         std::chrono::minutes{minute};
}

/// 2026-11-25 (a Wednesday) at `hour`:`minute` UTC, and the days after it.
time_point nov(unsigned day, int hour, int minute = 0) { return utc(2026, 11, day, hour, minute); }

/// The sample collaboration: ana (facilitator, Berlin), bob (the city's representative, New York),
/// cy (its alternate, Berlin), dee (participant, Berlin); and eve, a participant in London.
world people_in_three_zones() {
  world w = sample_world();
  add_member(w, console_person("eve", "Eve", "Europe/London"), "backbone", {role::participant});
  return w;
}

/// Runs the simulation from `from` for `days` with the script, from the people's DMs.
std::vector<timeline_entry> play(const world& w, time_point from, int days, std::vector<scripted_response> script) {
  return simulate(w, from, days, std::move(script), 15min);
}

std::vector<timeline_entry> received(const std::vector<timeline_entry>& timeline, const std::string& person,
                                     const std::string& kind) {
  std::vector<timeline_entry> out;
  for (const auto& e : timeline) {
    if (e.person == person && e.body.kind == kind) out.push_back(e);
  }
  return out;
}

/// The reasons given for withdrawing messages whose key starts with `key_prefix`.
std::vector<std::string> withdrawals(const std::vector<timeline_entry>& timeline, const std::string& key_prefix) {
  std::vector<std::string> out;
  for (const auto& e : timeline) {
    if (e.key != "outbox.withdrawn") continue;
    const std::string detail = e.body.values.value("detail", "");
    if (detail.starts_with(key_prefix)) out.push_back(detail.substr(detail.find(": ") + 2));
  }
  return out;
}

send_message to_person(std::string key, const std::string& person, std::string conversation = "") {
  return send_message{std::move(key), destination{"console", "", std::move(conversation), person, person, "en", ""},
                      message{"checkin", {{"name", person}, {"collaboration", "River Alliance"}}}, nov(25, 22)};
}

task dated_task() {
  task t;
  t.number = 7;
  t.collaboration = "river";
  t.assignee_person = "dee";
  t.due = date::sys_days{date::year{2030} / 3 / 5};
  return t;
}

}  // namespace

// --- The right hour -------------------------------------------------------------------------------

TEST_CASE("a task assigned in the evening reaches its assignee when their own quiet hours end") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 2,
                             {{nov(25, 9), "dee", "quiet 19:00-08:00"},
                              {nov(25, 20), "ana", "assign @dee \"Print flyers\" due 2026-12-04"}});  // 21:00 Berlin
  const auto notice = received(timeline, "dee", "task_assigned_notice");
  REQUIRE(notice.size() == 1);
  CHECK(notice[0].at == nov(26, 7));  // 08:00 Berlin
}

TEST_CASE("someone who set no quiet hours is not reached between 20:00 and 08:00 in their own zone") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 2,
                             {{nov(26, 2), "ana", "assign @bob \"Book the hall\""}});  // 21:00 in New York
  const auto notice = received(timeline, "bob", "task_assigned_notice");
  REQUIRE(notice.size() == 1);
  CHECK(notice[0].at == nov(26, 13));  // 08:00 in New York
}

TEST_CASE("the installation's default quiet hours and working days hold for everyone without their own") {
  world w = people_in_three_zones();
  w.engine.default_quiet = quiet_hours{22 * 60, 7 * 60};
  w.engine.working_days = *parse_working_days("mon-fri");
  // Saturday 2026-11-28, 11:00 in Berlin: a day off; Monday's quiet hours end at 07:00.
  const auto timeline = play(w, nov(28, 9), 3, {{nov(28, 10), "ana", "assign @dee \"Print flyers\""}});
  const auto notice = received(timeline, "dee", "task_assigned_notice");
  REQUIRE(notice.size() == 1);
  CHECK(notice[0].at == nov(30, 6));  // Monday 07:00 Berlin
}

TEST_CASE("quiet off means a person may be reached at any hour") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 1,
                             {{nov(25, 9), "dee", "quiet off"},
                              {nov(25, 22), "ana", "assign @dee \"Print flyers\""}});  // 23:00 Berlin
  const auto notice = received(timeline, "dee", "task_assigned_notice");
  REQUIRE(notice.size() == 1);
  CHECK(notice[0].at == nov(25, 22));
}

TEST_CASE("a paused person hears nothing until the pause ends, and then only outside quiet hours") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 4,
                             {{nov(25, 9), "dee", "pause until 2026-11-28"},
                              {nov(26, 10), "ana", "assign @dee \"Print flyers\""}});
  const auto notice = received(timeline, "dee", "task_assigned_notice");
  REQUIRE(notice.size() == 1);
  CHECK(notice[0].at == nov(28, 7));  // the pause ends at midnight Berlin; the quiet hours at 08:00
}

TEST_CASE("a silence found at 00:15 in London is told at 08:00 London time") {
  world w = people_in_three_zones();
  w.tiers[tier::active] = tier_policy{"never", std::chrono::days{14}, std::chrono::days{3}};
  // Everyone but eve keeps talking; eve is never heard from, counted from the first tick.
  std::vector<scripted_response> script;
  for (unsigned day = 1; day <= 16; ++day) {
    for (const char* who : {"ana", "bob", "cy", "dee"}) script.push_back({nov(day, 12), who, "tasks"});
  }
  const auto timeline = play(w, nov(1, 0, 15), 16, script);
  const auto dm = received(timeline, "eve", "silence_dm");
  REQUIRE(dm.size() == 1);
  CHECK(dm[0].at == nov(15, 8));  // flagged at 00:30 London (UTC in November), told at 08:00
}

TEST_CASE("a round closed at midnight tells the rooms at once and the facilitators at 08:00") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 3,
                             {{nov(25, 9), "ana", "approval open \"2027 budget\" to org:city deadline 2026-11-26"}});
  // The deadline is the end of Thursday in Berlin (23:00 UTC); the city never answered.
  std::vector<timeline_entry> in_rooms;
  for (const auto& e : timeline) {
    if (e.body.kind == "approval_result" && e.person.empty()) in_rooms.push_back(e);
  }
  REQUIRE(in_rooms.size() == 1);
  CHECK(in_rooms[0].at == nov(26, 23));
  const auto result = received(timeline, "ana", "approval_result");
  REQUIRE(result.size() == 1);
  CHECK(result[0].at == nov(27, 7));  // 08:00 Berlin, not midnight
}

TEST_CASE("the end of quiet hours follows the clock across a daylight-saving change") {
  world w = people_in_three_zones();
  // Berlin leaves summer time on Sunday 2026-10-25 at 03:00; the quiet hours still end at 08:00.
  const auto autumn = play(w, utc(2026, 10, 23, 20), 3,
                           {{utc(2026, 10, 23, 22), "ana", "assign @dee \"Before the change\""},
                            {utc(2026, 10, 24, 22), "ana", "assign @dee \"Across the change\""}});
  const auto notices = received(autumn, "dee", "task_assigned_notice");
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].at == utc(2026, 10, 24, 6));  // 08:00 summer time
  CHECK(notices[1].at == utc(2026, 10, 25, 7));  // 08:00 winter time
  // Spring 2027: summer time starts on Sunday 2027-03-28 at 02:00.
  const auto spring = play(w, utc(2027, 3, 27, 20), 2, {{utc(2027, 3, 27, 22), "ana", "assign @dee \"Spring\""}});
  const auto spring_notice = received(spring, "dee", "task_assigned_notice");
  REQUIRE(spring_notice.size() == 1);
  CHECK(spring_notice[0].at == utc(2027, 3, 28, 6));
}

TEST_CASE("a reply to a person's own command is delivered at once, even at night") {
  const world w = people_in_three_zones();
  const auto decision = check_delivery(w, to_person(reply_key("console:dee:1", 0), "dee", "dm:dee"), nov(25, 23));
  CHECK(std::holds_alternative<deliver_now>(decision));
}

TEST_CASE("messages to rooms are never held") {
  world w = people_in_three_zones();
  send_message in_room{"approval:1:result:room:console::river-room",
                       destination{"console", "", "river-room", "", "", "en", ""}, message{"checkin", {}}, nov(25, 23)};
  CHECK(std::holds_alternative<deliver_now>(check_delivery(w, in_room, nov(25, 23))));
}

TEST_CASE("a direct message that is not a reply waits for the first allowed moment") {
  const world w = people_in_three_zones();
  const auto decision = check_delivery(w, to_person("notify:console:ana:7:dee", "dee"), nov(25, 23));
  REQUIRE(std::holds_alternative<hold_until>(decision));
  CHECK(std::get<hold_until>(decision).until == nov(26, 7));
}

// --- Still true when it arrives -------------------------------------------------------------------

TEST_CASE("an approval request held for the night is withdrawn when the organization answers through its alternate") {
  const auto timeline =
      play(people_in_three_zones(), nov(25, 8), 2,
           {{nov(26, 7), "ana", "approval open \"2027 budget\" to org:city deadline 2026-12-04"},  // 02:00 New York
            {nov(26, 9), "cy", "approve A1 we checked internally"}});
  CHECK(received(timeline, "bob", "approval_request").empty());
  CHECK(withdrawals(timeline, "approval:1:ask:bob") == std::vector<std::string>{"org:city has answered round A1"});
}

TEST_CASE("a round closed early withdraws the requests still waiting") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 2,
                             {{nov(26, 7), "ana", "approval open \"Logo\" to org:city deadline 2026-12-04"},
                              {nov(26, 8), "ana", "approval close A1 confirm"}});
  CHECK(received(timeline, "bob", "approval_request").empty());
  CHECK(withdrawals(timeline, "approval:1:ask:bob") == std::vector<std::string>{"round A1 is closed"});
}

TEST_CASE("a request to a representative handed over before it arrives is withdrawn") {
  world w = people_in_three_zones();
  add_member(w, console_person("gus", "Gus", "Europe/Berlin"), "city", {role::participant});
  const auto timeline = play(w, nov(25, 8), 2,
                             {{nov(26, 7), "ana", "approval open \"Logo\" to org:city deadline 2026-12-04"},
                              {nov(26, 8), "ana", "handover org:city @bob @gus"}});
  CHECK(received(timeline, "bob", "approval_request").empty());
  CHECK(withdrawals(timeline, "approval:1:ask:bob") == std::vector<std::string>{"bob is no longer a member of river"});
}

TEST_CASE("a request to a facilitator who no longer represents the organization is withdrawn") {
  world w = people_in_three_zones();
  w.memberships.at({"river", "bob"}).roles.insert(role::facilitator);  // stays a member after the handover
  add_member(w, console_person("gus", "Gus", "Europe/Berlin"), "city", {role::participant});
  const auto timeline = play(w, nov(25, 8), 2,
                             {{nov(26, 7), "ana", "approval open \"Logo\" to org:city deadline 2026-12-04"},
                              {nov(26, 8), "ana", "handover org:city @bob @gus"}});
  CHECK(received(timeline, "bob", "approval_request").empty());
  CHECK(withdrawals(timeline, "approval:1:ask:bob") == std::vector<std::string>{"bob no longer answers for org:city"});
}

TEST_CASE("a reminder about a task done during the night is withdrawn") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 10,
                             {{nov(25, 9), "ana", "assign @dee \"Print flyers\" due 2026-12-04"},
                              {utc(2026, 12, 3, 5), "dee", "done 1"}});  // 06:00 Berlin, before the reminder
  CHECK(received(timeline, "dee", "reminder_before").empty());
  CHECK(withdrawals(timeline, "remind:1:before:dee") == std::vector<std::string>{"task #1 is done"});
}

TEST_CASE("a reminder about a task reassigned or cancelled during the night is withdrawn") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 10,
                             {{nov(25, 9), "ana", "assign @dee \"Print flyers\" due 2026-12-04"},
                              {nov(25, 9), "ana", "assign @cy \"Book the hall\" due 2026-12-04"},
                              {utc(2026, 12, 3, 5), "ana", "reassign 1 @bob"},
                              {utc(2026, 12, 3, 5), "ana", "cancel 2 the hall is booked"}});
  CHECK(received(timeline, "dee", "reminder_before").empty());
  CHECK(withdrawals(timeline, "remind:1:before:dee") == std::vector<std::string>{"task #1 was reassigned"});
  CHECK(received(timeline, "cy", "reminder_before").empty());
  CHECK(withdrawals(timeline, "remind:2:before:cy") == std::vector<std::string>{"task #2 is cancelled"});
}

TEST_CASE("an overdue notice for a task re-dated before it arrives is withdrawn") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 12,
                             {{nov(25, 9), "ana", "assign @dee \"Print flyers\" due 2026-12-04"},
                              {utc(2026, 12, 5, 6), "ana", "due 1 2026-12-11"}});  // 07:00 Berlin
  CHECK(received(timeline, "ana", "task_overdue").empty());
  CHECK(withdrawals(timeline, "escalate:1:overdue:ana") == std::vector<std::string>{"task #1 was re-dated"});
}

TEST_CASE("a task notice to someone removed before it arrives is withdrawn") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 2,
                             {{nov(26, 2), "ana", "assign @bob \"Book the hall\""},
                              {nov(26, 3), "ana", "member remove @bob"}});
  CHECK(received(timeline, "bob", "task_assigned_notice").empty());
  CHECK(withdrawals(timeline, "notify:") == std::vector<std::string>{"bob is no longer a member of river"});
}

TEST_CASE("a silence DM is withdrawn when the person speaks up before it arrives") {
  world w = people_in_three_zones();
  w.tiers[tier::active] = tier_policy{"never", std::chrono::days{14}, std::chrono::days{3}};
  std::vector<scripted_response> script;
  for (unsigned day = 1; day <= 16; ++day) {
    for (const char* who : {"ana", "bob", "cy", "dee"}) script.push_back({nov(day, 12), who, "tasks"});
  }
  script.push_back({nov(15, 6), "eve", "tasks"});  // up early, before the DM is due at 08:00
  const auto timeline = play(w, nov(1, 0, 15), 16, script);
  CHECK(received(timeline, "eve", "silence_dm").empty());
  CHECK(withdrawals(timeline, "silence:river:person:eve:1:dm") == std::vector<std::string>{"the silence of eve has ended"});
}

TEST_CASE("a nudge held for the night lists the tasks as they stand when it is delivered") {
  const auto timeline = play(people_in_three_zones(), nov(25, 8), 2,
                             {{nov(25, 9), "ana", "assign @dee \"Print flyers\""},
                              {nov(25, 9), "ana", "assign @dee \"Map the wetlands\""},
                              {nov(25, 22), "ana", "nudge @dee"},   // 23:00 Berlin: held
                              {nov(26, 5), "dee", "done 1"}});      // 06:00 Berlin
  const auto nudges = received(timeline, "dee", "nudge");
  REQUIRE(nudges.size() == 1);
  CHECK(nudges[0].at == nov(26, 7));
  REQUIRE(nudges[0].body.values["tasks"].size() == 1);
  CHECK(nudges[0].body.values["tasks"][0]["title"] == "Map the wetlands");
}

TEST_CASE("a nudge counts as sent when it is delivered, and a withdrawn one never does") {
  world w = people_in_three_zones();
  std::vector<send_message> waiting = say(w, "ana", "nudge org:city", nov(26, 2));  // 03:00 Berlin, 21:00 New York
  std::erase_if(waiting, [](const send_message& m) { return is_reply_key(m.key); });
  CHECK_FALSE(w.nudges.contains({"river", "bob"}));
  say(w, "ana", "member remove @dee", nov(26, 3));
  const auto deliver_due = [&](time_point at) {
    std::vector<send_message> still_held;
    for (const auto& m : waiting) {
      const delivery_decision decision = check_delivery(w, m, at);
      if (std::holds_alternative<hold_until>(decision)) {
        still_held.push_back(m);
      } else if (const auto* gone = std::get_if<withdraw>(&decision)) {
        apply_to_world(w, on_withdrawn(m, gone->reason, at));
      } else {
        apply_to_world(w, on_delivered(m, at));
      }
    }
    waiting = std::move(still_held);
  };
  deliver_due(nov(26, 7));  // 08:00 Berlin: cy's goes, dee's is withdrawn, bob's waits
  deliver_due(nov(26, 13));  // 08:00 New York
  CHECK(waiting.empty());
  CHECK(w.nudges.at({"river", "cy"}).front().sent == nov(26, 7));
  CHECK(w.nudges.at({"river", "bob"}).front().sent == nov(26, 13));
  CHECK_FALSE(w.nudges.contains({"river", "dee"}));
  CHECK(std::ranges::count_if(w.audit, [](const audit_entry& e) { return e.action == "outbox.withdrawn"; }) == 1);
}

TEST_CASE("what a message is about survives the outbox as JSON") {
  const std::vector<message_subject> subjects{
      message_subject{},
      message_subject{"river", {}},
      message_subject{"river", about_task{4, "org:city", std::nullopt}},
      subject_of(dated_task()),
      message_subject{"river", about_approval{3, "city", true}},
      message_subject{"river", about_silence{silence_subject::organization, "city", 2}},
      message_subject{"river", about_nudge{}},
  };
  for (const auto& about : subjects) CHECK(subject_from_json(subject_to_json(about)) == about);
  CHECK(subject_from_json(nlohmann::json::parse(R"({"task": "not an object"})")) == message_subject{});
  CHECK(subject_from_json(nlohmann::json::array()) == message_subject{});
}

TEST_CASE("working days are written as names, ranges or lists, and a bad one is refused") {
  CHECK(parse_working_days("every day") == 0x7fU);
  CHECK(parse_working_days("weekdays") == 0x3eU);
  CHECK(parse_working_days("Mon-Fri") == 0x3eU);
  CHECK(parse_working_days("fri-mon") == 0x63U);  // a range may wrap the weekend
  CHECK(parse_working_days("mon, wed,friday") == 0x2aU);
  CHECK_FALSE(parse_working_days("mon-funday"));
  CHECK_FALSE(parse_working_days(""));
  CHECK_FALSE(parse_working_days("mon,,tue"));
}

TEST_CASE("a message given up names its place for facilitators: the room or channel, else the person's DM") {
  const std::vector<std::pair<destination, std::string>> table{
      {{"slack", "T1", "C0123", "U1", "ana", "en", ""}, "slack:C0123"},
      {{"slack", "T1", "", "U1", "ana", "en", ""}, "slack:@ana"},
      {{"slack", "T1", "", "U1", "", "en", ""}, "slack:@U1"},
      {{"matrix", "example.org", "!r:example.org", "", "", "en", ""}, "matrix:!r:example.org"},
      {{"webhook", "city-discord", "", "emma", "emma", "en", ""}, "webhook:city-discord"},
      {{"webhook", "ops", "room", "", "", "en", ""}, "webhook:ops"},
  };
  for (const auto& [to, place] : table) {
    INFO(place);
    CHECK(delivery_place(to) == place);
  }
  const send_message m{"notify:1", {"webhook", "ops", "room", "", "", "en", ""}, message{"tier_set", {}},
                       time_point{}, message_subject{"river", {}}};
  const auto recorded = on_failed(m, "HTTP 404: no_service", time_point{} + 5s);
  REQUIRE(recorded.size() == 1);
  CHECK(std::get<record_audit>(recorded[0]).value ==
        audit_entry{time_point{} + 5s, "river", "system", "outbox.failed", "webhook:ops: HTTP 404: no_service"});
}
