#include "core/engine.h"
#include "core/task_view.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;

TEST_CASE("a facilitator assigns a task and the assignee is told in a direct message") {
  world w = sample_world();
  auto sent = say(w, "ana", "assign @bob \"Map the wetlands\" due fri");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].body.kind == "task_assigned");
  CHECK(sent[0].to.person == "ana");
  CHECK(sent[0].to.conversation == "dm:ana");
  CHECK(sent[0].body.values["number"] == 1);
  CHECK(sent[0].body.values["due"] == "2026-11-27");
  CHECK(sent[1].body.kind == "task_assigned_notice");
  CHECK(sent[1].to.person == "bob");
  CHECK(sent[1].to.conversation.empty());
  CHECK(sent[1].body.values["by"] == "Ana");

  const task& t = w.tasks.at(1);
  CHECK(t.assignee_person == "bob");
  // The due date is the date given; it ends at the end of Friday in Bob's zone (New York, UTC-5).
  CHECK(t.due == date::sys_days{date::year{2026} / 11 / 27});
  CHECK(due_deadline(w, t) == date::sys_days{date::year{2026} / 11 / 28} + std::chrono::hours{4} +
                                  std::chrono::minutes{59} + std::chrono::seconds{59});
  CHECK(w.audit.back().action == "task.assign");
}

TEST_CASE("a reply is keyed by its event alone, and a notification, a schedule's or an approval's message is no reply") {
  world w = sample_world();
  const auto sent = say(w, "ana", "assign @bob \"Map the wetlands\"");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].key.starts_with("reply:"));
  CHECK(sent[1].key.starts_with("notify:"));
  CHECK(is_reply_key(sent[0].key));
  CHECK_FALSE(is_reply_key(sent[1].key));
  CHECK(reply_key("slack:T1:C1:1.5", 2) == "reply:slack:T1:C1:1.5:2");
  CHECK(notification_key("matrix:$ev1", "bob") == "notify:matrix:$ev1:bob");
  CHECK_FALSE(is_reply_key("nudge:river:ana:1796205600"));
  CHECK_FALSE(is_reply_key("approval:3:ask:ana"));
}

TEST_CASE("task numbers count up and are never reused") {
  world w = sample_world();
  say(w, "ana", "assign @bob \"one\"");
  say(w, "ana", "assign org:city \"two\"");
  CHECK(w.tasks.at(2).assignee_organization == "city");
  CHECK(next_task_number(w) == 3);
}

TEST_CASE("tasks lists my open tasks, including my organization's, due soonest first") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"no date\"");
  say(w, "ana", "assign @dee \"later\" due 2026-12-20");
  say(w, "ana", "assign org:city \"sooner\" due fri");
  say(w, "ana", "assign @bob \"not mine\"");
  auto sent = say(w, "dee", "tasks");
  REQUIRE(sent.size() == 1);
  const auto& tasks = sent[0].body.values["tasks"];
  REQUIRE(tasks.size() == 3);
  CHECK(tasks[0]["title"] == "sooner");
  CHECK(tasks[1]["title"] == "later");
  CHECK(tasks[2]["title"] == "no date");
}

TEST_CASE("an assignee marks a task done and the facilitator who assigned it hears about it") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\"");
  auto sent = say(w, "dee", "done 1 shipped");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].body.kind == "task_updated");
  CHECK(sent[0].body.values["done"] == true);
  CHECK(sent[1].body.kind == "task_update_notice");
  CHECK(sent[1].to.person == "ana");
  CHECK(w.tasks.at(1).status == task_status::done);
  CHECK(w.tasks.at(1).note == "shipped");
  CHECK(say(w, "dee", "tasks")[0].body.values["count"] == 0);
  CHECK(say(w, "dee", "done 1")[0].body.kind == "task_already_done");
}

TEST_CASE("progress and blocked keep the note, and only blocked tells the facilitator") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\"");
  auto progress = say(w, "dee", "progress 1 halfway");
  CHECK(progress.size() == 1);
  CHECK(w.tasks.at(1).status == task_status::in_progress);
  auto blocked = say(w, "dee", "blocked 1 waiting for budget");
  CHECK(blocked.size() == 2);
  CHECK(w.tasks.at(1).note == "waiting for budget");
}

TEST_CASE("someone else's task cannot be updated, an unknown task is named") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"Print flyers\"");
  CHECK(say(w, "bob", "done 1")[0].body.kind == "error_not_your_task");
  CHECK(say(w, "dee", "done 9")[0].body.kind == "error_unknown_task");
  CHECK(w.tasks.at(1).status == task_status::open);
}

TEST_CASE("assigning to an unknown person or organization is refused with a clear error") {
  world w = sample_world();
  auto person = say(w, "ana", "assign @zed \"x\"");
  CHECK(person[0].body.kind == "error_unknown_person");
  CHECK(person[0].body.values["who"] == "zed");
  auto org = say(w, "ana", "assign org:mars \"x\"");
  CHECK(org[0].body.kind == "error_unknown_organization");
  CHECK(org[0].body.values["known"] == "backbone, city");
  CHECK(say(w, "ana", "assign @bob \"x\" due 2026-11-01")[0].body.kind == "error_date_in_past");
  CHECK(w.tasks.empty());
}

TEST_CASE("people set their own tier, pause, quiet hours, time zone and language") {
  world w = sample_world();
  CHECK(say(w, "dee", "tier informed")[0].body.kind == "tier_set");
  CHECK(w.memberships.at({"river", "dee"}).tier == tier::informed);

  CHECK(say(w, "dee", "pause until 2026-12-01")[0].body.kind == "paused");
  CHECK(w.people.at("dee").paused_until == date::sys_days{date::year{2026} / 11 / 30} + std::chrono::hours{23});
  CHECK(say(w, "dee", "pause until 2026-11-20")[0].body.kind == "error_date_in_past");
  CHECK(say(w, "dee", "resume")[0].body.values["was_paused"] == true);
  CHECK_FALSE(w.people.at("dee").paused_until);

  CHECK(say(w, "dee", "quiet 19:00-08:00")[0].body.kind == "quiet_set");
  CHECK(w.people.at("dee").quiet == quiet_hours{19 * 60, 8 * 60});
  CHECK(say(w, "dee", "quiet off")[0].body.kind == "quiet_off");
  CHECK(w.people.at("dee").quiet == no_quiet_hours);  // off is a choice: not the default hours

  auto tz = say(w, "dee", "tz Asia/Tokyo");
  CHECK(tz[0].body.values["local_time"] == "2026-11-25 19:00");
  CHECK(w.people.at("dee").time_zone == "Asia/Tokyo");
  auto bad_tz = say(w, "dee", "tz Europe/Berln");
  CHECK(bad_tz[0].body.kind == "error_unknown_time_zone");
  CHECK(w.people.at("dee").time_zone == "Asia/Tokyo");

  CHECK(say(w, "dee", "lang xx")[0].body.kind == "error_unknown_language");
  w.languages.insert("fr");
  auto switched = say(w, "dee", "lang fr");
  CHECK(switched[0].body.kind == "lang_set");
  CHECK(switched[0].to.language == "fr");  // confirmed in the new language
  CHECK(w.people.at("dee").language == "fr");
}

TEST_CASE("facilitators manage organizations and members") {
  world w = sample_world();
  CHECK(say(w, "ana", "org add farmers \"Valley Farmers\"")[0].body.kind == "org_added");
  CHECK(say(w, "ana", "org add farmers \"Again\"")[0].body.kind == "error_organization_exists");
  CHECK(say(w, "ana", "org add Bad!Id \"x\"")[0].body.kind == "error_bad_id");

  auto added = say(w, "ana", "member add @fay org:farmers rep tier core");
  CHECK(added[0].body.kind == "member_added");
  CHECK(w.people.at("fay").identities.front() == identity{"console", "", "fay"});
  const membership& m = w.memberships.at({"river", "fay"});
  CHECK(m.roles == std::set{role::representative});
  CHECK(m.tier == tier::core);

  CHECK(say(w, "ana", "member add @dee org:farmers")[0].body.values["updated"] == true);
  CHECK(w.memberships.at({"river", "dee"}).organization == "farmers");

  CHECK(say(w, "ana", "member remove @fay")[0].body.kind == "member_removed");
  CHECK_FALSE(w.memberships.at({"river", "fay"}).active);
  CHECK(say(w, "fay", "tasks")[0].body.kind == "error_not_member");

  CHECK(say(w, "ana", "facilitator add @bob")[0].body.kind == "facilitator_added");
  CHECK(has_role(w, "river", "bob", role::facilitator));
  CHECK(has_role(w, "river", "bob", role::representative));
}

TEST_CASE("the last facilitator cannot be removed") {
  world w = sample_world();
  CHECK(say(w, "ana", "member remove @ana")[0].body.kind == "error_last_facilitator");
  CHECK(w.memberships.at({"river", "ana"}).active);
}

TEST_CASE("status counts tasks per organization and audit shows what happened") {
  world w = sample_world();
  say(w, "ana", "assign @dee \"a\" due today");
  say(w, "ana", "assign org:city \"b\"");
  say(w, "dee", "done 2");
  const time_point later = sample_now() + std::chrono::hours{24 * 2};
  auto status = say(w, "ana", "status", later)[0].body.values;
  CHECK(status["open"] == 1);
  CHECK(status["overdue"] == 1);
  CHECK(status["done"] == 1);
  CHECK(status["organizations"][1]["name"] == "City of Millbrook");
  CHECK(status["organizations"][1]["people"] == 3);

  auto audit = say(w, "ana", "audit since 2026-11-01")[0].body.values;
  REQUIRE(audit["count"] == 3);
  CHECK(audit["entries"][2]["action"] == "task.done");
  CHECK(audit["entries"][2]["actor"] == "Dee");
}

TEST_CASE("a command from a stranger is answered, and chatter from a stranger is ignored") {
  world w = sample_world();
  inbound stranger = typed("zed", "tasks");
  auto actions = handle(w, stranger, sample_now());
  auto sent = messages_in(actions);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "error_unknown_sender");
  stranger.addressed = false;
  CHECK(handle(w, stranger, sample_now()).empty());
}

TEST_CASE("every response counts as activity, addressed or not") {
  world w = sample_world();
  inbound chatter{"console:room:1", identity{"console", "", "dee"}, "river-room", false, false,
                  inbound_kind::message, "hello all", sample_now(), ""};
  auto actions = handle(w, chatter, sample_now());
  REQUIRE(actions.size() == 1);
  apply_to_world(w, actions);
  CHECK(w.last_response.at("dee") == sample_now());
}

TEST_CASE("handling the same event twice produces the same reply keys") {
  world w = sample_world();
  const inbound event = typed("ana", "status");
  CHECK(messages_in(handle(w, event, sample_now()))[0].key == messages_in(handle(w, event, sample_now()))[0].key);
}

TEST_CASE("a member of two collaborations must say which one in a DM") {
  world w = sample_world();
  w.collaborations["lake"] = collaboration{"lake", "Lake", false, {}};
  w.memberships[{"lake", "dee"}] = membership{"lake", "dee", "", {role::participant}, tier::active, true};
  auto sent = say(w, "dee", "tasks");
  CHECK(sent[0].body.kind == "error_which_collaboration");
  CHECK(sent[0].body.values["known"] == "lake, river");
  CHECK(say(w, "dee", "tasks in:river")[0].body.kind == "task_list");
  CHECK(say(w, "dee", "tasks in:sea")[0].body.kind == "error_not_in_collaboration");
}

TEST_CASE("help lists what the sender may run, and explains one command") {
  world w = sample_world();
  auto for_participant = say(w, "dee", "help")[0].body.values["commands"];
  auto for_facilitator = say(w, "ana", "help")[0].body.values["commands"];
  CHECK(for_participant.size() < for_facilitator.size());
  const auto names = [](const nlohmann::json& commands) {
    std::set<std::string> out;
    for (const auto& c : commands) out.insert(c["name"]);
    return out;
  };
  CHECK(names(for_participant).contains("done"));
  CHECK_FALSE(names(for_participant).contains("assign"));
  CHECK(names(for_facilitator).contains("assign"));
  auto one = say(w, "dee", "help member")[0].body;
  CHECK(one.kind == "help_command");
  CHECK(one.values["name"] == "member add");
  CHECK(one.values["allowed"] == false);
  CHECK(say(w, "dee", "help frob")[0].body.kind == "error_unknown_command");
}

TEST_CASE("a task notice offers one-click answers: done, and blocked with a reason") {
  world w = sample_world();
  auto sent = say(w, "ana", "assign @dee \"Print flyers\"");
  const auto answers = answers_of(sent.at(1).body);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0] == answer{"done", "done 1", "\u2705", false});
  CHECK(answers[1] == answer{"blocked", "blocked 1", "\u26d4", true});
  CHECK(answers_of(sent.at(0).body).empty());
}
