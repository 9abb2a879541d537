#include "core/collaboration_secrets.h"

#include "core/calendar.h"
#include "core/command.h"
#include "core/engine.h"
#include "core/reports.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;

namespace {

world with_tokens() {
  world w = sample_world();
  w.engine.public_url = "https://tandem.example.org";
  w.secrets[{"river", "calendar"}] = "old-feed";
  w.secrets[{"river", "export"}] = "old-export";
  return w;
}

/// What the host does with `text` typed by `who`: the core decides, the new token is "new-<n>".
std::vector<action> rotate(const world& w, const std::string& who, const std::string& text, bool direct = true) {
  auto actions = handle(w, direct ? typed(who, text) : typed_in_room(who, text), sample_now());
  int made = 0;
  complete_rotations(w, actions, [&] { return "new-" + std::to_string(++made); });
  return actions;
}

template <typename T>
std::vector<T> all_of(const std::vector<action>& actions) {
  std::vector<T> out;
  for (const action& a : actions) {
    if (const auto* found = std::get_if<T>(&a)) out.push_back(*found);
  }
  return out;
}

}  // namespace

TEST_CASE("a facilitator's token rotate feed replaces the feed token and sends the new link in the DM") {
  world w = with_tokens();
  const auto actions = rotate(w, "ana", "token rotate feed");
  CHECK(all_of<save_secret>(actions) == std::vector{save_secret{"river", "calendar", "new-1"}});
  CHECK(all_of<rotate_secret>(actions).empty());  // completed: nothing for the store to refuse
  const auto replies = all_of<send_message>(actions);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].to.conversation == "dm:ana");
  CHECK(replies[0].body.kind == "token_rotated");
  CHECK(replies[0].body.values["feed"] == true);
  CHECK(replies[0].body.values["feed_url"] == "https://tandem.example.org/calendar/river.ics?token=new-1");
  const auto audit = all_of<record_audit>(actions);
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].value.actor == "ana");
  CHECK(audit[0].value.action == "token.rotate");
  CHECK(audit[0].value.detail == "calendar feed");  // which token, never the token itself

  apply_to_world(w, actions);
  CHECK(calendar_feed_url(w, "river") == "https://tandem.example.org/calendar/river.ics?token=new-1");
  CHECK(w.secrets.at({"river", "export"}) == "old-export");
}

TEST_CASE("token rotate export replaces the export token and sends both export links") {
  world w = with_tokens();
  const auto actions = rotate(w, "ana", "token rotate export");
  CHECK(all_of<save_secret>(actions) == std::vector{save_secret{"river", "export", "new-1"}});
  const auto replies = all_of<send_message>(actions);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].body.values["feed"] == false);
  CHECK(replies[0].body.values["csv_url"] == "https://tandem.example.org/export/river.csv?token=new-1");
  CHECK(replies[0].body.values["json_url"] == "https://tandem.example.org/export/river.json?token=new-1");
  CHECK(all_of<record_audit>(actions).at(0).value.detail == "export");
  apply_to_world(w, actions);
  CHECK(export_urls(w, "river").first == "https://tandem.example.org/export/river.csv?token=new-1");
  CHECK(w.secrets.at({"river", "calendar"}) == "old-feed");
}

TEST_CASE("token rotate in a room changes nothing and asks for a direct message, so no link is posted there") {
  const world w = with_tokens();
  const auto actions = rotate(w, "ana", "token rotate feed", false);
  CHECK(all_of<save_secret>(actions).empty());
  CHECK(all_of<record_audit>(actions).empty());
  const auto replies = all_of<send_message>(actions);
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].body.kind == "token_only_in_dm");
  CHECK(replies[0].body.values["feed"] == true);
}

TEST_CASE("only facilitators may rotate a token") {
  for (const std::string who : {"bob", "cy", "dee"}) {
    INFO(who);
    const auto actions = rotate(with_tokens(), who, "token rotate export");
    CHECK(all_of<save_secret>(actions).empty());
    const auto replies = all_of<send_message>(actions);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].body.kind == "error_not_allowed");
    CHECK(replies[0].body.values["facilitators"] == true);
  }
}

TEST_CASE("token rotate names feed or export, and says so when it does not") {
  const auto kind = [](const std::string& text) {
    auto parsed = parse_command(text, date::year{2026} / 11 / 25);
    if (auto* error = std::get_if<parse_error>(&parsed)) return error->reply.kind;
    return std::string{"parsed"};
  };
  CHECK(kind("token rotate feed") == "parsed");
  CHECK(kind("token rotate") == "error_missing_argument");
  CHECK(kind("token rotate calendar") == "error_bad_value");
  CHECK(kind("token rotate feed now") == "error_unexpected");
  CHECK(kind("token") == "error_unknown_subcommand");
}

TEST_CASE("completing rotations leaves every other action as it was") {
  const world w = with_tokens();
  std::vector<action> actions{save_secret{"river", "calendar", "kept"}, record_audit{}};
  const auto before = actions;
  complete_rotations(w, actions, [] { return std::string{"unused"}; });
  CHECK(actions == before);
}
