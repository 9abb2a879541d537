// The rules of a task's life (issue 19): a due date does not move, a closed task stays closed until
// reopened, titles are trimmed and bounded, and facilitators list, cancel, reassign and re-date.

#include "core/engagement.h"
#include "core/engine.h"
#include "core/task_view.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

const date::sys_days march_5_2030{date::year{2030} / 3 / 5};

time_point utc(int year, unsigned month, unsigned day, int hour, int minute = 0) {
  return date::sys_days{date::year{year} / date::month{month} / date::day{day}} + std::chrono::hours{hour} +
         std::chrono::minutes{minute};
}

/// Ticks every hour from `from` to `to`, applying each tick; returns the messages.
std::vector<send_message> run(world& w, time_point from, time_point to) {
  std::vector<send_message> sent;
  for (time_point t = from; t <= to; t += 1h) {
    auto actions = tick(w, t);
    apply_to_world(w, actions);
    for (auto& m : messages_in(actions)) sent.push_back(std::move(m));
  }
  return sent;
}

std::vector<send_message> of_kind(const std::vector<send_message>& sent, const std::string& kind,
                                  const std::string& to = "") {
  std::vector<send_message> out;
  for (const auto& m : sent) {
    if (m.body.kind == kind && (to.empty() || m.to.person == to)) out.push_back(m);
  }
  return out;
}

std::vector<std::string> recipients(const std::vector<send_message>& sent, const std::string& kind) {
  std::vector<std::string> out;
  for (const auto& m : of_kind(sent, kind)) out.push_back(m.to.person);
  return out;
}

/// The sample world with a second facilitator, Eve (Tokyo).
world with_second_facilitator() {
  world w = sample_world();
  add_member(w, console_person("eve", "Eve", "Asia/Tokyo"), "", {role::facilitator});
  return w;
}

std::string due_seen_by(world& w, const std::string& who, const std::string& command) {
  const auto sent = say(w, who, command);
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].body.values["tasks"].size() == 1);
  return sent[0].body.values["tasks"][0]["due"].get<std::string>();
}

bool audited(const world& w, const std::string& action) {
  return std::ranges::any_of(w.audit, [&](const audit_entry& e) { return e.action == action; });
}

}  // namespace

// --- A due date is a fact that does not move. ---

TEST_CASE("a due date stays the date given when the assignee changes time zone after assignment") {
  world w = sample_world();
  say(w, "ana", "assign @bob \"Map the wetlands\" due 2030-03-05");
  CHECK(due_seen_by(w, "bob", "tasks") == "2030-03-05");
  say(w, "bob", "tz Pacific/Auckland");
  CHECK(w.tasks.at(1).due == march_5_2030);
  CHECK(due_seen_by(w, "bob", "tasks") == "2030-03-05");
  CHECK(due_seen_by(w, "ana", "tasks all") == "2030-03-05");
  // Only its timing follows Bob: the day now ends at midnight in Auckland (UTC+13 in March).
  CHECK(due_deadline(w, w.tasks.at(1)) == utc(2030, 3, 5, 10, 59) + 59s);
}

TEST_CASE("a due date stays the date given when a handover moves the task to a successor in another zone") {
  world w = sample_world();
  w.people.at("dee").time_zone = "Pacific/Auckland";
  say(w, "ana", "assign @bob \"Map the wetlands\" due 2030-03-05");
  const auto sent = say(w, "ana", "handover org:city @bob @dee");
  CHECK(w.tasks.at(1).assignee_person == "dee");
  CHECK(w.tasks.at(1).due == march_5_2030);
  const auto onboarding = of_kind(sent, "handover_onboarding", "dee");
  REQUIRE(onboarding.size() == 1);
  CHECK(onboarding[0].body.values["tasks"][0]["due"] == "2030-03-05");
  CHECK(due_seen_by(w, "dee", "tasks") == "2030-03-05");
}

TEST_CASE("a due date reads the same to readers in every zone: assignee, facilitator, nudge, digest") {
  world w = with_second_facilitator();
  w.people.at("bob").time_zone = "Pacific/Auckland";
  say(w, "ana", "assign @bob \"Map the wetlands\" due 2030-03-05");
  CHECK(due_seen_by(w, "bob", "tasks") == "2030-03-05");
  CHECK(due_seen_by(w, "ana", "tasks @bob") == "2030-03-05");  // Berlin
  CHECK(due_seen_by(w, "eve", "tasks org:city") == "2030-03-05");  // Tokyo
  const message nudge = nudge_message(w, "river", w.people.at("bob"), sample_now());
  CHECK(nudge.values["tasks"][0]["due"] == "2030-03-05");
  const auto digest = digest_values(w, "river", w.people.at("eve"), std::nullopt, utc(2030, 3, 6, 12));
  REQUIRE(digest["overdue"].size() == 1);
  CHECK(digest["overdue"][0]["due"] == "2030-03-05");
}

// --- A done task is closed. ---

TEST_CASE("progress and blocked on a done task are refused with a hint to reopen it, and change nothing") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04");
  say(w, "dee", "done 1");
  const world before = w;
  for (const std::string command : {"progress 1 more copies", "blocked 1 printer broke"}) {
    INFO(command);
    const auto sent = say(w, "dee", command);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].body.kind == "error_task_closed");
    CHECK(sent[0].body.values["done"] == true);
    CHECK(w.tasks == before.tasks);
  }
  // Still done after its due date: never escalated as overdue.
  CHECK(of_kind(run(w, utc(2026, 12, 4, 0), utc(2026, 12, 6, 0)), "task_overdue").empty());
}

TEST_CASE("its assignee reopens a done task, and every other facilitator is told") {
  world w = with_second_facilitator();
  say(w, "ana", "assign @dee \"Print flyers\"");
  say(w, "dee", "done 1 shipped");
  const auto sent = say(w, "dee", "reopen 1");
  REQUIRE(sent[0].body.kind == "task_reopened");
  CHECK(w.tasks.at(1).status == task_status::open);
  CHECK(recipients(sent, "task_reopened_notice") == std::vector<std::string>{"ana", "eve"});
  CHECK(audited(w, "task.reopen"));
  CHECK(say(w, "dee", "progress 1 reprinting")[0].body.kind == "task_updated");
}

TEST_CASE("a facilitator who reopens a task tells the other facilitators, not themselves") {
  world w = with_second_facilitator();
  say(w, "ana", "assign @dee \"Print flyers\"");
  say(w, "dee", "done 1");
  const auto sent = say(w, "ana", "reopen 1");
  CHECK(recipients(sent, "task_reopened_notice") == std::vector<std::string>{"eve"});
}

TEST_CASE("reopen is refused for an open task, someone else's task, and a cancelled task unless a facilitator asks") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\"");
  CHECK(say(w, "dee", "reopen 1")[0].body.kind == "error_task_not_closed");
  say(w, "dee", "done 1");
  CHECK(say(w, "bob", "reopen 1")[0].body.kind == "error_not_your_task");
  say(w, "ana", "assign @dee \"Book the hall\"");
  say(w, "ana", "cancel 2 the hall is free");
  CHECK(say(w, "dee", "reopen 2")[0].body.kind == "error_reopen_cancelled");
  CHECK(w.tasks.at(2).status == task_status::cancelled);
  CHECK(say(w, "ana", "reopen 2")[0].body.kind == "task_reopened");
  CHECK(w.tasks.at(2).status == task_status::open);
}

// --- Titles. ---

TEST_CASE("a task title is trimmed, may not be blank, and has at most 200 characters") {
  world w = sample_world();
  CHECK(say(w, "ana", "assign @bob \"   \"")[0].body.kind == "error_blank_title");
  const auto too_long = say(w, "ana", "assign @bob \"" + std::string(201, 'x') + "\"");
  CHECK(too_long[0].body.kind == "error_title_too_long");
  CHECK(too_long[0].body.values["limit"] == 200);
  CHECK(too_long[0].body.values["length"] == 201);
  CHECK(w.tasks.empty());
  // Characters, not bytes: 200 accented letters are allowed.
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "\u00e9";
  CHECK(say(w, "ana", "assign @bob \"" + accented + "\"")[0].body.kind == "task_assigned");
  CHECK(say(w, "ana", "assign @bob \"  Map the wetlands \"")[0].body.kind == "task_assigned");
  CHECK(w.tasks.at(2).title == "Map the wetlands");
}

// --- Facilitators' commands. ---

TEST_CASE("tasks all lists every open task, due soonest first, with its state and last note") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"undated\"");
  say(w, "ana", "assign @bob \"later\" due 2026-12-20");
  say(w, "ana", "assign org:city \"sooner\" due fri");
  say(w, "ana", "assign @cy \"finished\"");
  say(w, "bob", "blocked 2 waiting for the budget");
  say(w, "cy", "done 4");
  const auto sent = say(w, "ana", "tasks all");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "task_board");
  const auto& tasks = sent[0].body.values["tasks"];
  REQUIRE(tasks.size() == 3);
  CHECK(tasks[0]["title"] == "sooner");
  CHECK(tasks[1]["title"] == "later");
  CHECK(tasks[1]["blocked"] == true);
  CHECK(tasks[1]["note"] == "waiting for the budget");
  CHECK(tasks[2]["title"] == "undated");
}

TEST_CASE("tasks overdue, blocked, @who and org:<id> narrow the facilitator's list") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-11-26");
  say(w, "ana", "assign @bob \"Map the wetlands\"");
  say(w, "ana", "assign org:backbone \"Book the hall\"");
  say(w, "bob", "blocked 2 no boots");
  const time_point later = utc(2026, 11, 28, 10);
  auto titles = [&](const std::string& command) {
    std::vector<std::string> out;
    const auto sent = say(w, "ana", command, later);
    for (const auto& t : sent[0].body.values["tasks"]) out.push_back(t["title"]);
    return out;
  };
  CHECK(titles("tasks overdue") == std::vector<std::string>{"Print flyers"});
  CHECK(titles("tasks blocked") == std::vector<std::string>{"Map the wetlands"});
  CHECK(titles("tasks @bob") == std::vector<std::string>{"Map the wetlands"});
  CHECK(titles("tasks org:city") == std::vector<std::string>{"Print flyers", "Map the wetlands"});
  CHECK(titles("tasks org:backbone") == std::vector<std::string>{"Book the hall"});
}

TEST_CASE("only facilitators see others' tasks, and an unknown person, organization or filter is named") {
  world w = sample_world();
  const auto refused = say(w, "bob", "tasks all");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].body.kind == "error_not_allowed");
  CHECK(say(w, "bob", "tasks")[0].body.kind == "task_list");
  CHECK(say(w, "ana", "tasks @zed")[0].body.kind == "error_unknown_person");
  CHECK(say(w, "ana", "tasks org:mars")[0].body.kind == "error_unknown_organization");
  CHECK(say(w, "ana", "tasks mine")[0].body.kind == "error_bad_value");
}

TEST_CASE("a cancelled task is closed: its assignee is told, it is never reminded, overdue or in a nudge") {
  world w = sample_world();
  w.tiers[tier::active] = tier_policy{"weekly mon 09:00", std::chrono::days{14}, std::chrono::days{3}};
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04");
  const auto sent = say(w, "ana", "cancel 1 the event moved online");
  CHECK(sent[0].body.kind == "task_cancelled");
  CHECK(recipients(sent, "task_cancelled_notice") == std::vector<std::string>{"dee"});
  CHECK(w.tasks.at(1).status == task_status::cancelled);
  CHECK(w.tasks.at(1).note == "the event moved online");
  CHECK(audited(w, "task.cancel"));

  const auto later = run(w, sample_now(), utc(2026, 12, 8, 12));
  CHECK(of_kind(later, "reminder_before").empty());
  CHECK(of_kind(later, "reminder_due").empty());
  CHECK(of_kind(later, "task_overdue").empty());
  for (const auto& nudge : of_kind(later, "nudge", "dee")) CHECK(nudge.body.values["tasks"].empty());
  CHECK(say(w, "dee", "tasks", utc(2026, 12, 8, 12))[0].body.values["count"] == 0);
  const auto status = say(w, "ana", "status", utc(2026, 12, 8, 12))[0].body.values;
  CHECK(status["open"] == 0);
  CHECK(status["overdue"] == 0);
  CHECK(status["done"] == 0);
  CHECK_FALSE(is_overdue(w, w.tasks.at(1), utc(2026, 12, 8, 12)));
}

TEST_CASE("a closed task cannot be cancelled, reassigned, re-dated or worked on") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\"");
  say(w, "ana", "cancel 1");
  for (const std::string command : {"cancel 1", "reassign 1 @bob", "due 1 2026-12-10"}) {
    INFO(command);
    CHECK(say(w, "ana", command)[0].body.kind == "error_task_closed");
  }
  for (const std::string command : {"done 1", "progress 1 still", "blocked 1 why"}) {
    INFO(command);
    const auto sent = say(w, "dee", command);
    CHECK(sent[0].body.kind == "error_task_closed");
    CHECK(sent[0].body.values["cancelled"] == true);
  }
  CHECK(w.tasks.at(1).status == task_status::cancelled);
}

TEST_CASE("reassign tells the old and the new assignee, and the new one gets the reminders afresh") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04");
  run(w, utc(2026, 12, 2, 0), utc(2026, 12, 3, 0));  // Dee's reminder before the due date
  REQUIRE(w.tasks.at(1).reminded_before);
  const auto sent = say(w, "ana", "reassign 1 @bob", utc(2026, 12, 3, 1));
  CHECK(sent[0].body.kind == "task_reassigned");
  CHECK(sent[0].body.values["from"] == "Dee");
  CHECK(recipients(sent, "task_reassigned_notice") == std::vector<std::string>{"bob"});
  CHECK(recipients(sent, "task_unassigned_notice") == std::vector<std::string>{"dee"});
  CHECK(w.tasks.at(1).assignee_person == "bob");
  CHECK(w.tasks.at(1).due == date::sys_days{date::year{2026} / 12 / 4});
  CHECK(audited(w, "task.reassign"));
  const auto later = run(w, utc(2026, 12, 3, 2), utc(2026, 12, 4, 20));
  CHECK(of_kind(later, "reminder_before", "bob").size() == 1);
  CHECK(of_kind(later, "reminder_due", "bob").size() == 1);
  CHECK(of_kind(later, "reminder_due", "dee").empty());
}

TEST_CASE("reassigning to an organization tells its representatives; a same or unknown assignee is refused") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\"");
  CHECK(say(w, "ana", "reassign 1 @dee")[0].body.kind == "error_already_assigned");
  CHECK(say(w, "ana", "reassign 1 @zed")[0].body.kind == "error_unknown_person");
  CHECK(say(w, "ana", "reassign 1 org:mars")[0].body.kind == "error_unknown_organization");
  CHECK(say(w, "ana", "reassign 9 @bob")[0].body.kind == "error_unknown_task");
  const auto sent = say(w, "ana", "reassign 1 org:city");
  CHECK(recipients(sent, "task_reassigned_notice") == std::vector<std::string>{"bob"});
  CHECK(recipients(sent, "task_unassigned_notice") == std::vector<std::string>{"dee"});
  CHECK(w.tasks.at(1).assignee_organization == "city");
  CHECK(w.tasks.at(1).assignee_person.empty());
}

TEST_CASE("due changes a task's date, tells its assignee, and the reminders and escalation start afresh") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-11-26");
  const auto first = run(w, sample_now(), utc(2026, 11, 27, 12));
  REQUIRE(of_kind(first, "task_overdue").size() == 1);
  const auto sent = say(w, "ana", "due 1 2026-12-04", utc(2026, 11, 27, 13));
  CHECK(sent[0].body.kind == "task_due_set");
  CHECK(sent[0].body.values["was"] == "2026-11-26");
  CHECK(sent[0].body.values["due"] == "2026-12-04");
  CHECK(recipients(sent, "task_due_notice") == std::vector<std::string>{"dee"});
  CHECK(audited(w, "task.due"));
  const task& t = w.tasks.at(1);
  CHECK_FALSE(t.escalated);
  CHECK_FALSE(t.reminded_before);
  CHECK_FALSE(t.reminded_on_due);
  CHECK_FALSE(is_overdue(w, t, utc(2026, 11, 27, 14)));
  const auto later = run(w, utc(2026, 11, 27, 14), utc(2026, 12, 5, 12));
  CHECK(of_kind(later, "reminder_due", "dee").size() == 1);
  CHECK(of_kind(later, "task_overdue", "ana").size() == 1);
}

TEST_CASE("due none removes the date; a past or unreadable date is refused") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04");
  CHECK(say(w, "ana", "due 1 2026-11-01")[0].body.kind == "error_date_in_past");
  CHECK(say(w, "ana", "due 1 someday")[0].body.kind == "error_bad_date");
  CHECK(say(w, "ana", "due 1")[0].body.kind == "error_missing_argument");
  CHECK(w.tasks.at(1).due == date::sys_days{date::year{2026} / 12 / 4});
  const auto sent = say(w, "ana", "due 1 none");
  CHECK(sent[0].body.kind == "task_due_set");
  CHECK(sent[0].body.values["due"] == "");
  CHECK_FALSE(w.tasks.at(1).due.has_value());
}

TEST_CASE("only facilitators cancel, reassign and re-date a task, or see everyone's") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\" due 2026-12-04");
  const world before = w;
  for (const std::string who : {"bob", "cy", "dee"}) {
    for (const std::string command : {"cancel 1", "reassign 1 @bob", "due 1 2026-12-10", "tasks all"}) {
      INFO(who << ": " << command);
      const auto sent = say(w, who, command);
      REQUIRE(sent.size() == 1);
      CHECK(sent[0].body.kind == "error_not_allowed");
    }
  }
  CHECK(w.tasks == before.tasks);
}

TEST_CASE("a task of another collaboration is named as such, not as unknown") {
  world w = sample_world();
  w.collaborations["lake"] = collaboration{"lake", "Lake Forum", false, {}};
  w.memberships[{"lake", "ana"}] = membership{"lake", "ana", "", {role::facilitator}, tier::core, true};
  say(w, "ana", "assign @ana \"Lake survey\" in:lake");
  const auto sent = say(w, "ana", "cancel 1 in:river");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "error_task_in_other_collaboration");
  CHECK(sent[0].body.values["collaboration"] == "lake");
  // Someone who is not in that collaboration only learns there is no such task here.
  CHECK(say(w, "dee", "done 1")[0].body.kind == "error_unknown_task");
  CHECK(w.tasks.at(1).status == task_status::open);
}
