// Approval rounds answered by organizations, through the engine and its tick with an injected clock.

#include "core/approvals.h"
#include "core/engagement.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

/// The sample collaboration with two more organizations: a farm cooperative (Fay represents it)
/// and a school (Sam represents it, Sal is the alternate).
world approvals_world() {
  world w = sample_world();
  w.organizations[{"river", "farm"}] = organization{"river", "farm", "Farmers' Cooperative"};
  w.organizations[{"river", "school"}] = organization{"river", "school", "Millbrook School"};
  add_member(w, console_person("fay", "Fay"), "farm", {role::representative});
  add_member(w, console_person("sam", "Sam", "UTC"), "school", {role::representative});
  add_member(w, console_person("sal", "Sal"), "school", {role::alternate});
  w.engine.digest_schedule = "never";  // only the rounds' messages in these tests: no digests, no lulls
  w.engine.lull_after = std::chrono::seconds{0};
  return w;
}

time_point on(int month, int day, std::chrono::hours hour = 10h) {
  return date::sys_days{date::year{2026} / month / day} + hour;
}

/// Runs the tick and returns the messages it decides about approval rounds (not the calendar's
/// weekly digest or the monthly pulse, which run in the same tick).
std::vector<send_message> tick_at(world& w, time_point now) {
  auto actions = tick(w, now);
  apply_to_world(w, actions);
  std::vector<send_message> out;
  std::ranges::copy_if(messages_in(actions), std::back_inserter(out),
                       [](const send_message& m) { return m.key.starts_with("approval:"); });
  return out;
}

std::vector<send_message> to_person(const std::vector<send_message>& sent, const std::string& who) {
  std::vector<send_message> out;
  std::ranges::copy_if(sent, std::back_inserter(out), [&](const send_message& m) { return m.to.person == who; });
  return out;
}

const approval_answer& answer_of(const world& w, std::int64_t round, const std::string& org) {
  const auto& answers = w.approvals.at(round).answers;
  return *std::ranges::find_if(answers, [&](const approval_answer& a) { return a.organization == org; });
}

bool audited(const world& w, const std::string& action, const std::string& detail_part) {
  return std::ranges::any_of(w.audit, [&](const audit_entry& e) {
    return e.action == action && e.detail.find(detail_part) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("a facilitator opens a round and each asked organization's representatives get a request with answers") {
  world w = approvals_world();
  auto sent =
      say(w, "ana",
          "approval open \"2027 budget\" to org:city,org:farm rule majority deadline 2026-12-09 link https://x.org/b");
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].body.kind == "approval_opened");
  CHECK(sent[0].to.person == "ana");
  CHECK(sent[0].body.values["number"] == 1);
  CHECK(sent[0].body.values["organizations"] == "City of Millbrook, Farmers' Cooperative");
  CHECK(sent[0].body.values["rule_majority"] == true);
  CHECK(sent[0].body.values["deadline"] == "2026-12-09");
  // The representatives, not the alternate or the participant, are asked.
  CHECK(to_person(sent, "bob").size() == 1);
  CHECK(to_person(sent, "fay").size() == 1);
  const send_message request = to_person(sent, "bob")[0];
  CHECK(request.body.kind == "approval_request");
  CHECK(request.key == "approval:1:ask:bob");
  CHECK(request.to.conversation.empty());
  CHECK(request.body.values["link"] == "https://x.org/b");
  CHECK(request.body.values["org"] == "City of Millbrook");
  const auto answers = answers_of(request.body);
  REQUIRE(answers.size() == 5);
  CHECK(answers[0].command == "ack A1");
  CHECK(answers[1].command == "checking A1");
  CHECK(answers[2].command == "approve A1");
  CHECK(answers[3].command == "abstain A1");
  CHECK(answers[4].command == "object A1");
  CHECK(answers[4].needs_reason);
  CHECK_FALSE(answers[2].needs_reason);

  const approval_round& round = w.approvals.at(1);
  CHECK(round.rule == approval_rule::majority);
  CHECK(round.answers.size() == 2);
  CHECK(round.answers[0].state == approval_state::asked);
  // The deadline is the end of that day in the facilitator's zone (Berlin, UTC+1).
  CHECK(round.deadline == date::sys_days{date::year{2026} / 12 / 9} + 22h + 59min + 59s);
  CHECK(audited(w, "approval.open", "A1 \"2027 budget\" to city, farm rule majority deadline 2026-12-09"));
}

TEST_CASE("a round opened without options asks every organization that has someone to answer, rule all, in 14 days") {
  world w = approvals_world();
  auto sent = say(w, "ana", "approval open \"Charter\"");
  REQUIRE(sent[0].body.kind == "approval_opened");
  const approval_round& round = w.approvals.at(1);
  // The backbone organization has only a facilitator: nobody answers for it, so it is not asked.
  REQUIRE(round.answers.size() == 3);
  CHECK(round.answers[0].organization == "city");
  CHECK(round.answers[1].organization == "farm");
  CHECK(round.answers[2].organization == "school");
  CHECK(round.rule == approval_rule::all);
  CHECK(sent[0].body.values["deadline"] == "2026-12-09");
  CHECK(next_approval_number(w) == 2);
}

TEST_CASE("opening a round names what is wrong: an unknown organization, one without representative, a past deadline") {
  world w = approvals_world();
  CHECK(say(w, "ana", "approval open \"x\" to org:nowhere")[0].body.kind == "error_unknown_organization");
  auto backbone = say(w, "ana", "approval open \"x\" to org:backbone");
  CHECK(backbone[0].body.kind == "error_no_representative");
  CHECK(backbone[0].body.values["id"] == "backbone");
  CHECK(say(w, "ana", "approval open \"x\" deadline 2026-11-01")[0].body.kind == "error_date_in_past");
  CHECK(w.approvals.empty());
}

TEST_CASE("who may do what with approval rounds") {
  struct row {
    const char* who;
    const char* command;
    const char* reply;
  };
  // Round A1 asks the city and the farm; the school is not asked.
  const std::vector<row> table{
      {"dee", "approval open \"x\"", "error_not_allowed"},  // a participant opening a round
      {"bob", "approval open \"x\"", "error_not_allowed"},  // a representative opening a round
      {"bob", "approval close A1", "error_not_allowed"},
      {"bob", "approval status A1", "error_not_allowed"},
      {"dee", "approve A1", "error_not_allowed"},        // a participant of an asked organization
      {"ana", "approve A1", "error_not_allowed"},        // a facilitator who represents nobody
      {"sam", "approve A1", "error_not_asked"},          // a representative of an organization not asked
      {"sal", "object A1 not ours", "error_not_asked"},  // its alternate
      {"bob", "approve A1", "approval_answered"},        // the city's representative
      {"cy", "abstain A1", "approval_answered"},         // the city's alternate
      {"fay", "ack A1", "approval_answered"},            // the farm's representative
      {"bob", "approve A9", "error_unknown_approval"},
      {"ana", "approval status A9", "error_unknown_approval"},
      {"ana", "approval status A1", "approval_status"},
  };
  for (const row& r : table) {
    world w = approvals_world();
    say(w, "ana", "approval open \"Budget\" to org:city,org:farm");
    const auto before = w.approvals.at(1);
    auto sent = say(w, r.who, r.command);
    INFO(r.who << ": " << r.command);
    REQUIRE_FALSE(sent.empty());
    CHECK(sent[0].body.kind == r.reply);
    CHECK(sent[0].to.person == r.who);
    if (std::string{r.reply} != "approval_answered") CHECK(w.approvals.at(1) == before);
  }
}

TEST_CASE("an organization not asked is told which ones are") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\" to org:city,org:farm");
  auto sent = say(w, "sam", "approve A1");
  CHECK(sent[0].body.values["asked"] == "City of Millbrook, Farmers' Cooperative");
  CHECK(sent[0].body.values["org"] == "Millbrook School");
}

TEST_CASE("an objection needs a reason") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\"");
  auto sent = say(w, "fay", "object A1");
  CHECK(sent[0].body.kind == "error_missing_argument");
  CHECK(answer_of(w, 1, "farm").state == approval_state::asked);
}

TEST_CASE("a representative may change the answer until the round closes, and the opener hears of final answers") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\"");
  auto objected = say(w, "fay", "object A1 too expensive", on(11, 26));
  REQUIRE(objected.size() == 2);
  CHECK(objected[0].body.values["objected"] == true);
  CHECK(objected[0].body.values["changed"] == false);
  CHECK(objected[1].to.person == "ana");
  CHECK(objected[1].body.kind == "approval_answer_notice");
  CHECK(objected[1].body.values["note"] == "too expensive");
  auto changed = say(w, "fay", "abstain A1 after the board met", on(11, 27));
  CHECK(changed[0].body.values["abstained"] == true);
  CHECK(changed[0].body.values["changed"] == true);
  CHECK(answer_of(w, 1, "farm").state == approval_state::abstained);
  CHECK(answer_of(w, 1, "farm").note == "after the board met");
  CHECK(answer_of(w, 1, "farm").at == on(11, 27));
  // Acknowledging after an answer changes nothing.
  auto ack = say(w, "fay", "ack A1");
  CHECK(ack[0].body.kind == "approval_already");
  CHECK(answer_of(w, 1, "farm").state == approval_state::abstained);
  say(w, "ana", "approval close A1 confirm", on(11, 28));
  auto late = say(w, "fay", "approve A1", on(11, 29));
  CHECK(late[0].body.kind == "error_approval_closed");
  CHECK(answer_of(w, 1, "farm").state == approval_state::abstained);
  CHECK(audited(w, "approval.object", "A1 org:farm: too expensive"));
  CHECK(audited(w, "approval.abstain", "A1 org:farm: after the board met"));
}

TEST_CASE(
    "checking in internally with a date in the past is refused; a date after the deadline is accepted with a warning") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\" deadline 2026-12-01");
  CHECK(say(w, "bob", "checking A1 until 2026-11-01")[0].body.kind == "error_date_in_past");
  auto late = say(w, "bob", "checking A1 until 2026-12-05");
  CHECK(late[0].body.kind == "approval_answered");
  CHECK(late[0].body.values["after_deadline"] == true);
  CHECK(late[0].body.values["expected"] == "2026-12-05");
}

TEST_CASE("the result follows the round's rule") {
  using s = approval_state;
  struct row {
    std::vector<s> states;
    bool all;
    bool majority;
    bool no_objection;
  };
  const std::vector<row> table{
      {{s::approved, s::approved, s::approved}, true, true, true},
      {{s::approved, s::abstained, s::approved}, true, true, true},
      {{s::approved, s::objected, s::approved}, false, true, false},
      {{s::approved, s::asked, s::approved}, false, true, true},
      {{s::approved, s::checking, s::abstained}, false, false, true},
      {{s::abstained, s::abstained, s::abstained}, false, false, true},
      {{s::asked, s::acknowledged, s::checking}, false, false, true},
      {{s::objected, s::approved, s::asked}, false, false, false},
      {{s::approved, s::approved, s::objected, s::objected}, false, false, false},
  };
  for (const row& r : table) {
    approval_round a;
    for (s state : r.states) a.answers.push_back(approval_answer{"org", state, "", {}, "", {}, false, false, false});
    a.rule = approval_rule::all;
    CHECK(approval_result(a) == r.all);
    a.rule = approval_rule::majority;
    CHECK(approval_result(a) == r.majority);
    a.rule = approval_rule::no_objection;
    CHECK(approval_result(a) == r.no_objection);
  }
}

TEST_CASE("a scripted round: one organization checks in for five days, one objects, one never answers and escalates") {
  world w = approvals_world();
  // Wednesday 25 November: a round to the city, the farm and the school, due Wednesday 9 December (Berlin).
  say(w, "ana", "approval open \"2027 budget\" rule all deadline 2026-12-09", on(11, 25));
  const time_point deadline = w.approvals.at(1).deadline;

  // The city sees it and checks in internally until Monday 30 November (end of that day in New York).
  CHECK(say(w, "bob", "ack A1", on(11, 25, 11h))[0].body.values["acknowledged"] == true);
  auto checking = say(w, "bob", "checking A1 until 2026-11-30", on(11, 25, 12h));
  CHECK(checking[0].body.values["checking"] == true);
  CHECK(answer_of(w, 1, "city").expected == date::sys_days{date::year{2026} / 12 / 1} + 4h + 59min + 59s);
  // The farm objects the next day.
  say(w, "fay", "object A1 the fees are too high", on(11, 26));

  // Days pass: nothing is due until a day before the city's expected date.
  for (int day = 25; day <= 29; ++day) CHECK(tick_at(w, on(11, day, 4h)).empty());
  auto expected_reminder = tick_at(w, on(11, 30, 5h));
  REQUIRE(expected_reminder.size() == 1);
  CHECK(expected_reminder[0].to.person == "bob");
  CHECK(expected_reminder[0].body.kind == "approval_reminder");
  CHECK(expected_reminder[0].body.values["before_expected"] == true);
  CHECK(expected_reminder[0].body.values["expected"] == "2026-11-30");
  CHECK(answers_of(expected_reminder[0].body).size() == 5);
  CHECK(tick_at(w, on(11, 30, 6h)).empty());  // once

  // Five days after checking in, the city approves.
  say(w, "bob", "approve A1 the council voted yes", on(11, 30, 15h));
  CHECK(answer_of(w, 1, "city").state == approval_state::approved);

  // Two days before the deadline, only the school, which never answered, is reminded.
  CHECK(tick_at(w, deadline - 49h).empty());
  auto deadline_reminder = tick_at(w, deadline - 47h);
  REQUIRE(deadline_reminder.size() == 1);
  CHECK(deadline_reminder[0].to.person == "sam");
  CHECK(deadline_reminder[0].body.values["before_deadline"] == true);
  CHECK(deadline_reminder[0].key == "approval:1:school:deadline:sam");

  // A day before the deadline the school escalates to its alternate and to the facilitator, once.
  auto escalation = tick_at(w, deadline - 23h);
  REQUIRE(escalation.size() == 2);
  CHECK(to_person(escalation, "sal").size() == 1);
  CHECK(to_person(escalation, "sal")[0].body.values["alternate"] == true);
  CHECK(to_person(escalation, "sal")[0].body.values["representatives"] == "Sam");
  CHECK(answers_of(to_person(escalation, "sal")[0].body).size() == 5);
  CHECK(to_person(escalation, "ana").size() == 1);
  CHECK(to_person(escalation, "ana")[0].body.values["alternate"] == false);
  CHECK(to_person(escalation, "ana")[0].key == "approval:1:school:escalate:ana");
  CHECK(audited(w, "approval.escalate", "A1 org:school"));
  CHECK(tick_at(w, deadline - 22h).empty());

  // At the deadline the round closes by its rule (all must approve: the farm objected) and is announced.
  auto closed = tick_at(w, deadline + 1s);
  const approval_round& round = w.approvals.at(1);
  CHECK(round.closed_at == deadline + 1s);
  CHECK(round.closed_by == "system");
  CHECK_FALSE(round.approved);
  REQUIRE(closed.size() == 2);
  const auto in_room =
      std::ranges::find_if(closed, [](const send_message& m) { return m.to.conversation == "river-room"; });
  REQUIRE(in_room != closed.end());
  CHECK(in_room->body.kind == "approval_result");
  CHECK(in_room->body.values["approved"] == false);
  CHECK(in_room->body.values["by_deadline"] == true);
  CHECK(in_room->body.values["approvals"] == 1);
  CHECK(in_room->body.values["objections"] == 1);
  CHECK(in_room->body.values["pending"] == 1);
  CHECK(in_room->key == "approval:1:result:room:console::river-room");
  CHECK(to_person(closed, "ana").size() == 1);
  CHECK(audited(w, "approval.close", "A1 not approved at the deadline"));
  CHECK(tick_at(w, deadline + 1h).empty());

  // The grid: organization, state, who answered, when, note.
  const auto grid = say(w, "ana", "approval status A1", deadline + 2h)[0].body.values;
  CHECK(grid["closed"] == true);
  REQUIRE(grid["organizations"].size() == 3);
  CHECK(grid["organizations"][0]["org"] == "City of Millbrook");
  CHECK(grid["organizations"][0]["approved"] == true);
  CHECK(grid["organizations"][0]["who"] == "Bob");
  CHECK(grid["organizations"][0]["when"] == "2026-11-30 16:00");
  CHECK(grid["organizations"][0]["note"] == "the council voted yes");
  CHECK(grid["organizations"][1]["objected"] == true);
  CHECK(grid["organizations"][1]["note"] == "the fees are too high");
  CHECK(grid["organizations"][2]["asked"] == true);
  CHECK(grid["organizations"][2]["who"] == "");
}

TEST_CASE("the same answers give another result under the no-objection and majority rules") {
  for (const auto& [rule, expected] :
       {std::pair{"no-objection", true}, std::pair{"majority", true}, std::pair{"all", false}}) {
    world w = approvals_world();
    say(w, "ana", std::string{"approval open \"Logo\" rule "} + rule);
    say(w, "bob", "approve A1");
    say(w, "fay", "approve A1");
    auto result = say(w, "ana", "approval close A1 confirm", on(11, 26));
    INFO(rule);
    REQUIRE(result[0].body.kind == "approval_result");
    CHECK(result[0].body.values["approved"] == expected);
    CHECK(result[0].body.values["by_deadline"] == false);
    CHECK(w.approvals.at(1).approved == expected);
    CHECK(w.approvals.at(1).closed_by == "ana");
    // Announced in the room; the facilitator who closed it has the result as her reply only.
    CHECK(result.size() == 2);
    CHECK(result[1].to.conversation == "river-room");
    CHECK(say(w, "ana", "approval close A1", on(11, 27))[0].body.kind == "error_approval_closed");
  }
}

TEST_CASE("a reminder before the expected date is skipped when the date was set within a day") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\" deadline 2026-12-20", on(11, 25));
  say(w, "sam", "checking A1 until 2026-11-25", on(11, 25));
  CHECK(tick_at(w, on(11, 25, 20h)).empty());
}

TEST_CASE("nudges list the pending approvals of a representative's organization") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\" deadline 2026-12-20");
  say(w, "ana", "approval open \"Logo\" deadline 2026-12-10");
  say(w, "bob", "checking A2 until 2026-12-01");
  // Nothing but approvals waiting: the nudge asks for the one due soonest.
  message only_approvals = nudge_message(w, "river", w.people.at("bob"), sample_now());
  CHECK(only_approvals.kind == "approval_nudge");
  REQUIRE(only_approvals.values["approvals"].size() == 2);
  CHECK(only_approvals.values["approvals"][0]["number"] == 2);
  CHECK(only_approvals.values["approvals"][0]["checking"] == true);
  CHECK(only_approvals.values["approvals"][0]["expected"] == "2026-12-01");
  CHECK(only_approvals.values["first_number"] == 2);
  CHECK(answers_of(only_approvals)[2].command == "approve A2");
  // With a task the nudge asks about the task and lists the approvals too.
  say(w, "ana", "assign @bob \"Map the wetlands\"");
  message with_task = nudge_message(w, "river", w.people.at("bob"), sample_now());
  CHECK(with_task.kind == "nudge");
  CHECK(with_task.values["any_approvals"] == true);
  CHECK(with_task.values["approvals"].size() == 2);
  // A participant has no approvals to answer; answered rounds are no longer pending.
  CHECK(nudge_message(w, "river", w.people.at("dee"), sample_now()).kind == "checkin");
  say(w, "bob", "approve A1");
  say(w, "bob", "approve A2");
  CHECK(nudge_message(w, "river", w.people.at("bob"), sample_now()).values["any_approvals"] == false);
}

TEST_CASE("the facilitator digest lists the open rounds and the organizations they wait for") {
  world w = approvals_world();
  say(w, "ana", "approval open \"Budget\" deadline 2026-12-20");
  say(w, "ana", "approval open \"Logo\" to org:farm deadline 2026-12-10");
  say(w, "ana", "approval open \"Charter\" to org:city deadline 2026-12-01");
  say(w, "bob", "checking A1 until 2026-12-01");
  say(w, "fay", "approve A2");
  say(w, "ana", "approval close A3 confirm");
  const auto digest = digest_values(w, "river", w.people.at("ana"), std::nullopt, sample_now());
  CHECK(digest["any_rounds"] == true);
  REQUIRE(digest["rounds"].size() == 2);
  CHECK(digest["rounds"][0]["number"] == 2);
  CHECK(digest["rounds"][0]["waiting"] == "");
  CHECK(digest["rounds"][1]["number"] == 1);
  CHECK(digest["rounds"][1]["deadline"] == "2026-12-20");
  CHECK(digest["rounds"][1]["waiting"] == "City of Millbrook, Farmers' Cooperative, Millbrook School");
}
