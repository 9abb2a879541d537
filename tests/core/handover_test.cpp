// Representative handover: tasks, approval duties and the role move to a successor.

#include "core/approvals.h"
#include "core/engagement.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

/// The sample collaboration, a farm cooperative represented by Fay, and Dina, known to Tandem but
/// not yet a member.
world handover_world() {
  world w = sample_world();
  w.organizations[{"river", "farm"}] = organization{"river", "farm", "Farmers' Cooperative"};
  add_member(w, console_person("fay", "Fay"), "farm", {role::representative});
  w.people["dina"] = console_person("dina", "Dina", "Europe/Paris");
  w.people["dina"].language = "fr";
  w.engine.digest_schedule = "never";
  w.engine.lull_after = std::chrono::seconds{0};
  return w;
}

std::vector<send_message> to_person(const std::vector<send_message>& sent, const std::string& who) {
  std::vector<send_message> out;
  std::ranges::copy_if(sent, std::back_inserter(out), [&](const send_message& m) { return m.to.person == who; });
  return out;
}

}  // namespace

TEST_CASE("a handover moves the old representative's tasks, duties and role to the successor, who is onboarded") {
  world w = handover_world();
  say(w, "ana", "assign @bob \"Map the wetlands\" due 2026-12-04");
  say(w, "ana", "assign @bob \"Old report\"");
  say(w, "ana", "assign org:city \"Count the herons\"");
  say(w, "ana", "assign @dee \"Print flyers\"");
  say(w, "bob", "done 2");
  // A decided round and a pending one.
  say(w, "ana", "approval open \"Charter\" to org:city,org:farm rule no-objection");
  say(w, "bob", "approve A1 fine by us");
  say(w, "ana", "approval close A1 confirm");
  say(w, "ana", "approval open \"2027 budget\" to org:city,org:farm deadline 2026-12-09");
  say(w, "bob", "checking A2 until 2026-12-01");
  // On the shared calendar: one event in the next four weeks, one after.
  say(w, "fay", "event add 2026-12-12 \"Harvest fair\" #fair audience:public");
  say(w, "ana", "event add 2027-02-01 \"Spring newsletter\"");

  auto sent = say(w, "ana", "handover org:city @bob @dina", sample_now() + 1h);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].to.person == "ana");
  CHECK(sent[0].body.kind == "handover_done");
  CHECK(sent[0].body.values["old"] == "Bob");
  CHECK(sent[0].body.values["new"] == "Dina");
  CHECK(sent[0].body.values["tasks"] == 1);
  CHECK(sent[0].body.values["approvals"] == 1);

  // Bob's open task is Dina's now; his finished one and other people's stay as they were.
  CHECK(w.tasks.at(1).assignee_person == "dina");
  CHECK(w.tasks.at(2).assignee_person == "bob");
  CHECK(w.tasks.at(4).assignee_person == "dee");
  // Dina represents the city; Bob is a former representative.
  const membership& dina = w.memberships.at({"river", "dina"});
  CHECK(dina.active);
  CHECK(dina.organization == "city");
  CHECK(dina.roles == std::set<role>{role::representative});
  const membership& bob = w.memberships.at({"river", "bob"});
  CHECK_FALSE(bob.active);
  CHECK(has_role(w, "river", "dina", role::representative));
  CHECK_FALSE(has_role(w, "river", "bob", role::representative));
  CHECK(std::ranges::any_of(w.audit, [](const audit_entry& e) {
    return e.action == "member.handover" && e.detail == "org:city bob -> dina tasks #1";
  }));

  // The onboarding digest, in Dina's DM and language.
  const send_message onboarding = to_person(sent, "dina").at(0);
  CHECK(onboarding.body.kind == "handover_onboarding");
  CHECK(onboarding.to.language == "fr");
  CHECK(onboarding.to.conversation.empty());
  const auto& v = onboarding.body.values;
  CHECK(v["collaboration"] == "River Alliance");
  CHECK(v["org_name"] == "City of Millbrook");
  CHECK(v["predecessor"] == "Bob");
  CHECK(v["alternate"] == false);
  CHECK(v["by"] == "Ana");
  CHECK(v["organizations"] == "Backbone Trust, City of Millbrook, Farmers' Cooperative");
  REQUIRE(v["decisions"].size() == 1);
  CHECK(v["decisions"][0]["number"] == 1);
  CHECK(v["decisions"][0]["approved"] == true);
  REQUIRE(v["tasks"].size() == 2);  // her own (moved) and her organization's
  CHECK(v["tasks"][0]["title"] == "Map the wetlands");
  CHECK(v["tasks"][1]["title"] == "Count the herons");
  REQUIRE(v["approvals"].size() == 1);
  CHECK(v["approvals"][0]["number"] == 2);
  CHECK(v["approvals"][0]["checking"] == true);
  REQUIRE(v["events"].size() == 1);
  CHECK(v["events"][0]["title"] == "Harvest fair");
  CHECK(v["events"][0]["date"] == "2026-12-12");
  CHECK(v["any_events"] == true);

  // The approval duty is hers: she answers for the city; Bob no longer can.
  CHECK(say(w, "dina", "approve A2 confirmed", sample_now() + 2h)[0].body.kind == "approval_answered");
  CHECK(say(w, "bob", "object A2 no", sample_now() + 2h)[0].body.kind == "error_not_member");
  // The grid shows who answered the decided round, marked as former.
  auto grid = say(w, "ana", "approval status A1", sample_now() + 3h)[0].body.values["organizations"];
  CHECK(grid[0]["who"] == "Bob");
  CHECK(grid[0]["former"] == true);
  // Her nudges now carry the task moved to her.
  CHECK(nudge_message(w, "river", w.people.at("dina"), sample_now() + 4h).values["first_title"] == "Map the wetlands");
}

TEST_CASE("a handover is refused with a clear error when it cannot be done") {
  struct row {
    const char* who;
    const char* command;
    const char* reply;
  };
  const std::vector<row> table{
      {"bob", "handover org:city @bob @dina", "error_not_allowed"},  // a representative
      {"ana", "handover org:nowhere @bob @dina", "error_unknown_organization"},
      {"ana", "handover org:city @dee @dina", "error_not_representative"},  // a participant
      {"ana", "handover org:farm @bob @dina", "error_not_representative"},  // not the farm's
      {"ana", "handover org:city @bob @nobody", "error_unknown_person"},
      {"ana", "handover org:city @bob @bob", "error_handover_to_self"},
      {"ana", "handover org:city @bob @fay", "error_member_elsewhere"},  // the farm's representative
      {"ana", "handover org:city @cy @dina", "handover_done"},           // the alternate hands over too
  };
  for (const row& r : table) {
    world w = handover_world();
    const auto before = w.memberships;
    auto sent = say(w, r.who, r.command);
    INFO(r.command);
    REQUIRE_FALSE(sent.empty());
    CHECK(sent[0].body.kind == r.reply);
    if (std::string{r.reply} != "handover_done") CHECK(w.memberships == before);
  }
}

TEST_CASE("the alternate's handover makes the successor the alternate") {
  world w = handover_world();
  auto sent = say(w, "ana", "handover org:city @cy @dina");
  CHECK(w.memberships.at({"river", "dina"}).roles == std::set<role>{role::alternate});
  CHECK(sent.at(1).body.values["alternate"] == true);
  CHECK_FALSE(w.memberships.at({"river", "cy"}).active);
}

TEST_CASE("a facilitator who also represented an organization stays a facilitator after handing over") {
  world w = handover_world();
  w.memberships.at({"river", "ana"}).roles.insert(role::representative);
  w.memberships.at({"river", "ana"}).organization = "backbone";
  add_member(w, console_person("eve", "Eve"), "backbone", {role::participant});
  auto sent = say(w, "ana", "handover org:backbone @ana @eve");
  CHECK(sent[0].body.kind == "handover_done");
  CHECK(w.memberships.at({"river", "ana"}).active);
  CHECK(w.memberships.at({"river", "ana"}).roles == std::set<role>{role::facilitator});
  CHECK(w.memberships.at({"river", "eve"}).roles == std::set<role>{role::representative});
}

TEST_CASE("the facilitator digest suggests a handover for a representative silent past their threshold") {
  world w = handover_world();
  w.tiers[tier::active] = tier_policy{"never", std::chrono::days{14}, std::chrono::days{2}};
  w.last_response["bob"] = sample_now();
  w.last_response["dee"] = sample_now() + 20 * 24h;
  w.last_response["cy"] = sample_now() + 20 * 24h;
  w.last_response["fay"] = sample_now() + 20 * 24h;
  w.last_response["ana"] = sample_now() + 20 * 24h;
  const time_point later = sample_now() + 21 * 24h;
  apply_to_world(w, tick(w, later));
  const auto digest = digest_values(w, "river", w.people.at("ana"), std::nullopt, later);
  CHECK(digest["any_handovers"] == true);
  REQUIRE(digest["handovers"].size() == 1);
  CHECK(digest["handovers"][0]["who"] == "Bob");
  CHECK(digest["handovers"][0]["ref"] == "bob");
  CHECK(digest["handovers"][0]["org"] == "city");
  CHECK(digest["handovers"][0]["days"] == 21);
  // Once handed over, the suggestion is gone.
  say(w, "ana", "handover org:city @bob @dina", later);
  CHECK(digest_values(w, "river", w.people.at("ana"), std::nullopt, later)["any_handovers"] == false);
}

TEST_CASE("after a handover the successor gets the reminders of the organization's pending answers") {
  world w = handover_world();
  say(w, "ana", "approval open \"Budget\" to org:city deadline 2026-12-09");
  const time_point deadline = w.approvals.at(1).deadline;
  auto before = tick(w, deadline - 47h);
  apply_to_world(w, before);
  CHECK(std::ranges::count_if(before, [](const action& a) {
          const auto* m = std::get_if<send_message>(&a);
          return m != nullptr && m->key == "approval:1:city:deadline:bob";
        }) == 1);
  say(w, "ana", "handover org:city @bob @dina", deadline - 46h);
  CHECK_FALSE(w.approvals.at(1).answers.at(0).reminded_deadline);
  auto after = messages_in(tick(w, deadline - 45h));
  CHECK(std::ranges::count_if(after, [](const send_message& m) { return m.key == "approval:1:city:deadline:dina"; }) ==
        1);
  CHECK(std::ranges::none_of(after, [](const send_message& m) { return m.to.person == "bob"; }));
}
