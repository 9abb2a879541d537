// The commands that manage and reach people (issue 19): members, broadcast, welcomes, `approvals`,
// `approval close ... confirm`, and what counts as a response.

#include "core/engine.h"

#include "core/dates.h"
#include "core/engagement.h"
#include "core/reports.h"
#include "core/sample_world.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

bool audited(const world& w, const std::string& action, const std::string& detail_part) {
  return std::ranges::any_of(w.audit, [&](const audit_entry& e) {
    return e.action == action && e.detail.find(detail_part) != std::string::npos;
  });
}

verb parse_command_verb(const std::string& text) {
  return std::get<command>(parse_command(text, local_date(sample_now(), "UTC"))).what;
}

std::vector<std::string> people_reached(const std::vector<send_message>& sent) {
  std::vector<std::string> out;
  for (const send_message& m : sent) {
    if (m.to.conversation.empty()) out.push_back(m.to.person);
  }
  std::ranges::sort(out);
  return out;
}

}  // namespace

TEST_CASE("members lists each member with organization, role, tier, zone and last response") {
  world w = sample_world();
  say(w, "bob", "done 1", sample_now() - 2h);  // an unknown task, but Bob was heard
  const auto sent = say(w, "ana", "members");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "member_list");
  const auto& members = sent[0].body.values["members"];
  REQUIRE(members.size() == 4);
  CHECK(members[0]["name"] == "Ana");  // backbone first, then the City by name
  CHECK(members[0]["facilitator"] == true);
  CHECK(members[1]["name"] == "Bob");
  CHECK(members[1]["org"] == "City of Millbrook");
  CHECK(members[1]["representative"] == true);
  CHECK(members[1]["tier"] == "active");
  CHECK(members[1]["zone"] == "America/New_York");
  CHECK(members[1]["last_response"] == "2026-11-25 09:00");  // in Ana's zone, Berlin
  CHECK(members[2]["name"] == "Cy");
  CHECK(members[2]["last_response"] == "");
  CHECK(sent[0].body.values["count"] == 4);
}

TEST_CASE("members of one organization, and an unknown organization is named") {
  world w = sample_world();
  const auto city = say(w, "ana", "members org:city");
  CHECK(city[0].body.values["count"] == 3);
  CHECK(city[0].body.values["org"] == "City of Millbrook");
  const auto unknown = say(w, "ana", "members org:moon");
  CHECK(unknown[0].body.kind == "error_unknown_organization");
  CHECK(unknown[0].body.values["known"] == "backbone, city");
  CHECK(say(w, "bob", "members")[0].body.kind == "error_not_allowed");
}

TEST_CASE("broadcast without recipients goes to each room of the collaboration") {
  world w = sample_world();
  w.collaborations["river"].rooms.push_back(room{"slack", "T1", "C9"});
  const auto sent = say(w, "ana", "broadcast \"Kick-off moved to 10:00\"");
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].body.kind == "broadcast");
  CHECK(sent[0].to.conversation == "river-room");
  CHECK(sent[0].body.values["text"] == "Kick-off moved to 10:00");
  CHECK(sent[0].body.values["by"] == "Ana");
  CHECK(sent[1].to.conversation == "C9");
  CHECK(sent[1].to.platform == "slack");
  CHECK(sent[2].body.kind == "broadcast_sent");
  CHECK(sent[2].body.values["count"] == 2);
  CHECK(sent[2].body.values["rooms"] == true);
  CHECK(audited(w, "broadcast", "rooms: \"Kick-off moved to 10:00\""));
}

TEST_CASE("broadcast to people is a direct message to each, at each recipient's first allowed moment") {
  world w = sample_world();
  w.people.at("bob").quiet = quiet_hours{0, 23 * 60};  // asleep nearly all day: 23:00 in New York
  const auto to_all = say(w, "ana", "broadcast \"Hello\" to all");
  CHECK(people_reached(to_all) == std::vector<std::string>{"bob", "cy", "dee"});
  for (const send_message& m : to_all) {
    if (m.to.person == "bob") CHECK(m.not_before == sample_now() + std::chrono::hours{18});
    if (m.to.person == "cy" || m.to.person == "dee") CHECK(m.not_before == sample_now());  // 11:00 in Berlin
  }
  CHECK(to_all.back().body.kind == "broadcast_sent");
  CHECK(to_all.back().body.values["count"] == 3);

  CHECK(people_reached(say(w, "ana", "broadcast \"Reps only\" to reps")) == std::vector<std::string>{"bob"});
  CHECK(people_reached(say(w, "ana", "broadcast \"City\" to org:city")) ==
        std::vector<std::string>{"bob", "cy", "dee"});
  CHECK(people_reached(say(w, "ana", "broadcast \"Own\" to org:backbone")).empty());
  CHECK(audited(w, "broadcast", "reps (1): \"Reps only\""));
}

TEST_CASE("broadcast refuses an unknown organization, missing quotes, a stranger and a room-less collaboration") {
  world w = sample_world();
  const auto unknown = say(w, "ana", "broadcast \"Hi\" to org:city,org:moon");
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0].body.kind == "error_unknown_organization");
  CHECK(unknown[0].body.values["org"] == "moon");
  CHECK(say(w, "ana", "broadcast Hi all")[0].body.kind == "error_missing_quotes");
  CHECK(say(w, "ana", "broadcast \"Hi\" to everyone")[0].body.kind == "error_bad_value");
  CHECK(say(w, "bob", "broadcast \"Hi\"")[0].body.kind == "error_not_allowed");
  w.collaborations["river"].rooms.clear();
  CHECK(say(w, "ana", "broadcast \"Hi\"")[0].body.kind == "error_no_rooms");
}

TEST_CASE("a new member gets a name and a welcome that says what Tandem sends, when, and how to answer") {
  world w = sample_world();
  w.tiers[tier::core] = tier_policy{"weekly mon 09:00", std::chrono::days{7}, std::chrono::days{2}};
  const auto sent = say(w, "ana", "member add @gil org:city rep tier core name \"Gil Moreau\"");
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].body.kind == "member_added");
  CHECK(sent[0].body.values["who"] == "Gil Moreau");
  CHECK(sent[0].body.values["representative"] == true);
  CHECK(sent[1].body.kind == "welcome");
  CHECK(sent[1].to.person == "gil");
  CHECK(sent[1].to.conversation.empty());
  CHECK(sent[1].body.values["collaboration"] == "River Alliance");
  CHECK(sent[1].body.values["organizations"] == "Backbone Trust, City of Millbrook");
  CHECK(sent[1].body.values["by"] == "Ana");
  CHECK(sent[1].body.values["schedule"] == "weekly mon 09:00");
  CHECK(sent[1].body.values["zone"] == "Europe/Berlin");
  CHECK(w.people.at("gil").name == "Gil Moreau");
  // Updating a member changes their name and role without welcoming them again.
  const auto again = say(w, "ana", "member add @gil org:city alternate name \"Gil M.\"");
  REQUIRE(again.size() == 1);
  CHECK(again[0].body.values["updated"] == true);
  CHECK(w.people.at("gil").name == "Gil M.");
  CHECK(say(w, "ana", "member add @hal org:city name Hal")[0].body.kind == "error_missing_quotes");
}

TEST_CASE("a new facilitator is told what they can now do, once") {
  world w = sample_world();
  const auto sent = say(w, "ana", "facilitator add @dee");
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].body.kind == "facilitator_welcome");
  CHECK(sent[1].to.person == "dee");
  CHECK(sent[1].body.values["by"] == "Ana");
  CHECK(sent[1].body.values["digest_schedule"] == "weekly fri 15:00");
  CHECK(say(w, "ana", "facilitator add @dee").size() == 1);
}

TEST_CASE("approval close lists the organizations still unanswered and closes only when confirmed") {
  world w = sample_world();
  w.organizations[{"river", "farm"}] = organization{"river", "farm", "Farmers' Cooperative"};
  add_member(w, console_person("fay", "Fay"), "farm", {role::representative});
  say(w, "ana", "approval open \"Budget\"");
  say(w, "bob", "approve A1");
  const auto asked = say(w, "ana", "approval close A1");
  REQUIRE(asked.size() == 1);
  CHECK(asked[0].body.kind == "approval_close_confirm");
  CHECK(asked[0].body.values["waiting"] == "Farmers' Cooperative");
  CHECK(asked[0].body.values["count"] == 1);
  CHECK_FALSE(w.approvals.at(1).closed_at);
  const auto closed = say(w, "ana", "approval close A1 confirm");
  CHECK(closed[0].body.kind == "approval_result");
  CHECK(w.approvals.at(1).closed_at);
  // A round every organization answered closes at once, as before.
  say(w, "ana", "approval open \"Logo\" to org:city");
  say(w, "bob", "approve A2");
  CHECK(say(w, "ana", "approval close A2")[0].body.kind == "approval_result");
  CHECK(say(w, "ana", "approval close A9 confirm")[0].body.kind == "error_unknown_approval");
}

TEST_CASE("approvals shows a representative the open rounds asking their organization and its answer so far") {
  world w = sample_world();
  say(w, "ana", "approval open \"Budget\" deadline 2026-12-20");
  say(w, "ana", "approval open \"Logo\" to org:city deadline 2026-12-10");
  say(w, "ana", "approval open \"Charter\" to org:backbone deadline 2026-12-01");
  say(w, "bob", "object A1 too expensive");
  const auto sent = say(w, "cy", "approvals");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.kind == "approval_list");
  CHECK(sent[0].body.values["org"] == "City of Millbrook");
  const auto& rounds = sent[0].body.values["rounds"];
  REQUIRE(rounds.size() == 2);
  CHECK(rounds[0]["number"] == 2);  // soonest deadline first
  CHECK(rounds[0]["asked"] == true);
  CHECK(rounds[1]["number"] == 1);
  CHECK(rounds[1]["objected"] == true);
  CHECK(rounds[1]["who"] == "Bob");
  CHECK(rounds[1]["note"] == "too expensive");
  CHECK(say(w, "dee", "approvals")[0].body.kind == "error_not_allowed");
}

TEST_CASE("a read-only command shows presence and ends a silence but is not counted as a response") {
  world w = sample_world();
  const time_point earlier = sample_now() - std::chrono::days{20};
  say(w, "bob", "done 7", earlier);  // an answer (to an unknown task, but an answer)
  for (const char* look : {"tasks", "help", "events", "approvals", "status"}) say(w, "bob", look);
  CHECK(w.last_response.at("bob") == sample_now());
  CHECK(w.recent_responses.at("bob").size() == 6);  // the rhythm of silence detection hears them all
  CHECK(w.recent_answers.at("bob").size() == 1);
  CHECK(w.monthly_responses.at("bob").at("2026-11") == 1);
  for (const char* look : {"status", "report", "members", "audit", "digest", "silent", "tasks", "help"}) {
    INFO(look);
    CHECK_FALSE(counts_as_response(parse_command_verb(look)));
  }
  for (const char* answer : {"done 1", "pulse 4", "approve A1", "tier core", "event add tomorrow \"x\""}) {
    INFO(answer);
    CHECK(counts_as_response(parse_command_verb(answer)));
  }
  // A facilitator's own status and report calls add nothing to their organization's responses.
  world before = sample_world();
  world after = sample_world();
  for (int i = 0; i < 40; ++i) say(after, "ana", i % 2 == 0 ? "status" : "report");
  const auto rows_before = outcome_report(before, "river", "2026-11", sample_now());
  const auto rows_after = outcome_report(after, "river", "2026-11", sample_now());
  CHECK(rows_after == rows_before);
  const auto digest = digest_values(after, "river", after.people.at("ana"), std::nullopt, sample_now());
  CHECK(digest["organizations"][0]["responses"] == 0);
}

TEST_CASE("a read-only command ends the person's silence") {
  world w = sample_world();
  silence flagged;
  flagged.collaboration = "river";
  flagged.id = "bob";
  flagged.since = sample_now() - 24h;
  flagged.last_heard = sample_now() - std::chrono::days{10};
  w.silences[{"river", silence_subject::person, "bob"}] = flagged;
  say(w, "bob", "tasks");
  CHECK(w.silences.at({"river", silence_subject::person, "bob"}).ended == sample_now());
}

TEST_CASE("a report has no rows for the months before an organization joined") {
  world w = sample_world();
  const time_point january = date::sys_days{date::year{2027} / 1 / 12} + 10h;
  say(w, "ana", "org add school \"Millbrook School\"", january);
  CHECK(organization_start(w, "river", "school") == january);
  CHECK_FALSE(organization_start(w, "river", "city"));  // no audit line: always there
  const auto rows = outcome_report(w, "river", "2026-11", january);
  const auto school_rows = std::ranges::count_if(rows, [](const outcome_row& r) { return r.organization == "school"; });
  CHECK(school_rows == 1);
  CHECK(rows.size() == 3 + 3 + 1);  // backbone and city for three months, the school for January
  // An organization from the config starts at its config.add line.
  w.audit.push_back(audit_entry{january + 24h, "river", "config", "config.add",
                                "organization farm \"Farmers\" in collaboration river"});
  CHECK(organization_start(w, "river", "farm") == january + 24h);
}

TEST_CASE("report since takes a month, audit since every date form pointing back") {
  world w = sample_world();
  const auto report = say(w, "ana", "report since 2026-10");
  CHECK(report[0].body.kind == "report");
  CHECK(report[0].body.values["since"] == "2026-10");
  CHECK(say(w, "ana", "report since 2w ago")[0].body.values["since"] == "2026-11");
  for (const char* since : {"audit since yesterday", "audit since mon", "audit since 3d ago", "audit since 2026-11",
                            "audit since 2026-11-20", "audit since today"}) {
    INFO(since);
    CHECK(say(w, "ana", since)[0].body.kind == "audit_log");
  }
  CHECK(say(w, "ana", "audit since 3d ago")[0].body.values["older_on_dashboard"] == false);
  const auto long_ago = say(w, "ana", "audit since 2025-01-01");
  CHECK(long_ago[0].body.values["older_on_dashboard"] == true);  // the world holds the last weeks only
  CHECK(long_ago[0].body.values["window_days"] == 45);
  const auto bad = say(w, "ana", "audit since someday");
  CHECK(bad[0].body.kind == "error_bad_date");
  CHECK(bad[0].body.values["since"] == true);
  CHECK(say(w, "ana", "report since 2026-13")[0].body.kind == "error_bad_date");
}

TEST_CASE("tz takes a zone in any case and stores its canonical name") {
  world w = sample_world();
  const auto sent = say(w, "bob", "tz europe/paris");
  CHECK(sent[0].body.kind == "tz_set");
  CHECK(sent[0].body.values["zone"] == "Europe/Paris");
  CHECK(w.people.at("bob").time_zone == "Europe/Paris");
  CHECK(say(w, "bob", "tz UTC")[0].body.values["zone"] == "UTC");
  CHECK(say(w, "bob", "tz mars/olympus")[0].body.kind == "error_unknown_time_zone");
}
