// The approval and handover messages the core decides, rendered by the shipped templates in
// English and French: every kind renders, and the texts say what happened.

#include "app/template_catalog.h"

#include "core/approvals.h"
#include "core/engagement.h"
#include "core/markup.h"
#include "core/sample_world.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

using namespace tandem;
using namespace tandem::testing;
using namespace std::chrono_literals;

namespace {

const template_catalog& shipped_catalog() {
  static const template_catalog catalog = template_catalog::load(tandem::testing::source_tree() / "prompts");
  return catalog;
}

std::string plain(const message& m, const std::string& language) {
  return markup_to_plain(shipped_catalog().render(m, language));
}

/// Every message of a scripted round and handover, by kind (the last of each kind).
std::map<std::string, message> scripted_messages() {
  world w = sample_world();
  w.organizations[{"river", "farm"}] = organization{"river", "farm", "Farmers' Cooperative"};
  add_member(w, console_person("fay", "Fay"), "farm", {role::representative});
  add_member(w, console_person("fred", "Fred"), "farm", {role::alternate});
  w.organizations[{"river", "school"}] = organization{"river", "school", "Millbrook School"};
  add_member(w, console_person("sam", "Sam"), "school", {role::representative});
  w.people["dina"] = console_person("dina", "Dina");
  w.engine.digest_schedule = "never";
  w.engine.lull_after = std::chrono::seconds{0};
  std::map<std::string, message> by_kind;
  const auto keep = [&](const std::vector<send_message>& sent) {
    for (const send_message& m : sent) by_kind[m.body.kind] = m.body;
  };
  const auto ticked = [&](time_point at) {
    auto actions = tick(w, at);
    apply_to_world(w, actions);
    keep(messages_in(actions));
  };
  const time_point t = sample_now();
  keep(say(w, "ana", "approval open \"2027 budget\" deadline 2026-12-09 link https://x.org/b", t));
  keep(say(w, "bob", "ack A1", t));
  keep(say(w, "bob", "ack A1", t));
  keep(say(w, "bob", "checking A1 until 2026-11-30", t));
  keep(say(w, "dee", "approve A1", t));
  keep(say(w, "ana", "approval status A9", t));
  keep(say(w, "fay", "object A1 the fees are too high", t));
  ticked(t + 4 * 24h + 20h);
  keep(say(w, "bob", "approve A1 the council agreed", t + 5 * 24h));
  const time_point deadline = w.approvals.at(1).deadline;
  ticked(deadline - 47h);
  ticked(deadline - 23h);
  keep(say(w, "ana", "approval status A1", deadline - 1h));
  ticked(deadline + 1s);
  keep(say(w, "fay", "approve A1", deadline + 1h));
  keep(say(w, "ana", "approval open \"Logo\" to org:farm", deadline + 1h));
  by_kind["approval_nudge"] = nudge_message(w, "river", w.people.at("fay"), deadline + 1h);
  keep(say(w, "ana", "handover org:city @bob @dina", deadline + 2h));
  keep(say(w, "ana", "handover org:city @dee @dina", deadline + 2h));
  return by_kind;
}

}  // namespace

TEST_CASE("every approval and handover message renders in English and French, differently") {
  const auto messages = scripted_messages();
  for (const char* kind : {"approval_opened", "approval_request", "approval_answered", "approval_already",
                           "error_not_allowed", "error_unknown_approval", "approval_answer_notice", "approval_reminder",
                           "approval_escalation", "approval_status", "approval_result", "error_approval_closed",
                           "approval_nudge", "handover_done", "handover_onboarding", "error_not_representative"}) {
    INFO(kind);
    REQUIRE(messages.contains(kind));
    const std::string english = plain(messages.at(kind), "en");
    const std::string french = plain(messages.at(kind), "fr");
    CHECK_FALSE(english.empty());
    CHECK(english != french);
    CHECK(english.find("{{") == std::string::npos);
  }
}

TEST_CASE("the rendered approval texts say what happened") {
  const auto messages = scripted_messages();
  CHECK(plain(messages.at("approval_result"), "en") ==
        "Approval round A1 \"2027 budget\" is closed at its deadline: not approved (rule all must approve; 1 approve, "
        "0 abstain, 1 object, 1 without an answer).\n"
        "- City of Millbrook: approves (Bob, 2026-11-30 11:00): the council agreed\n"
        "- Farmers' Cooperative: objects (Fay, 2026-11-25 11:00): the fees are too high\n"
        "- Millbrook School: no answer yet");
  CHECK(plain(messages.at("approval_status"), "fr")
            .starts_with("A1 2027 budget (https://x.org/b) : ouvert par Ana le 2026-11-25, règle unanimité, échéance "
                         "le 2026-12-09.\n"
                         "- City of Millbrook : approuve (Bob, 2026-11-30 11:00) : the council agreed\n"));
  const std::string onboarding = plain(messages.at("handover_onboarding"), "en");
  CHECK(onboarding.starts_with(
      "Welcome Dina! Ana made you City of Millbrook's representative in River Alliance, taking "
      "over from Bob.\nThe organizations working together: Backbone Trust, City of Millbrook, "
      "Farmers' Cooperative, Millbrook School.\nDecisions so far\n- A1 2027 budget: not approved (2026-12-10)\n"));
  const std::string request = plain(messages.at("approval_request"), "en");
  CHECK(request.find("Ana asks Farmers' Cooperative to answer approval round A2: Logo.") != std::string::npos);
}
