#include "core/command.h"
#include "core/engine.h"

#include "core/sample_world.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace tandem;
using namespace tandem::testing;

namespace {

enum class outcome { allowed, refused, only_in_dm, unknown_sender };

std::string_view name_of(outcome o) {
  switch (o) {
    case outcome::allowed: return "allowed";
    case outcome::refused: return "refused with error_not_allowed";
    case outcome::only_in_dm: return "told to ask in a direct message";
    case outcome::unknown_sender: return "told Tandem does not know them";
  }
  return "?";
}

/// Whether a command sent in a shared room is treated as in a direct message, or refused there
/// (it would post a private link).
enum class in_room { same, only_in_dm };

/// What each role gets from a command, written out by hand: facilitator (ana), representative
/// (bob), alternate (cy), participant (dee). Someone Tandem does not know is always told so.
struct expectation {
  std::string_view command;
  outcome facilitator, representative, alternate, participant;
  in_room room = in_room::same;
};

constexpr outcome yes = outcome::allowed;
constexpr outcome no = outcome::refused;

const std::vector<expectation> table{
    {"help", yes, yes, yes, yes},
    {"tasks", yes, yes, yes, yes},
    {"done", yes, yes, yes, yes},
    {"progress", yes, yes, yes, yes},
    {"blocked", yes, yes, yes, yes},
    {"reopen", yes, yes, yes, yes},
    {"tier", yes, yes, yes, yes},
    {"pause", yes, yes, yes, yes},
    {"resume", yes, yes, yes, yes},
    {"quiet", yes, yes, yes, yes},
    {"tz", yes, yes, yes, yes},
    {"lang", yes, yes, yes, yes},
    {"events", yes, yes, yes, yes},
    {"event add", yes, yes, yes, yes},
    {"event move", yes, yes, yes, yes},
    {"event remove", yes, yes, yes, yes},
    {"approvals", no, yes, yes, no},
    {"ack", no, yes, yes, no},
    {"checking", no, yes, yes, no},
    {"approve", no, yes, yes, no},
    {"abstain", no, yes, yes, no},
    {"object", no, yes, yes, no},
    {"pulse", no, yes, yes, no},
    {"assign", yes, no, no, no},
    {"cancel", yes, no, no, no},
    {"reassign", yes, no, no, no},
    {"due", yes, no, no, no},
    {"nudge", yes, no, no, no},
    {"broadcast", yes, no, no, no},
    {"members", yes, no, no, no},
    {"silent", yes, no, no, no},
    {"status", yes, no, no, no},
    {"digest", yes, no, no, no},
    {"audit", yes, no, no, no},
    {"approval open", yes, no, no, no},
    {"approval status", yes, no, no, no},
    {"approval close", yes, no, no, no},
    {"handover", yes, no, no, no},
    {"org add", yes, no, no, no},
    {"member add", yes, no, no, no},
    {"member remove", yes, no, no, no},
    {"facilitator add", yes, no, no, no},
    {"report", yes, no, no, no},
    {"dashboard", yes, yes, yes, no, in_room::only_in_dm},
    {"token rotate", yes, no, no, no, in_room::only_in_dm},
};

/// The outcome of the first reply to `who` saying `text`, in their DM or in the collaboration's room.
outcome try_command(const world& w, const std::string& who, const std::string& text, bool direct,
                    std::vector<action>& actions) {
  actions = handle(w, direct ? typed(who, text) : typed_in_room(who, text), sample_now());
  const auto sent = messages_in(actions);
  REQUIRE_FALSE(sent.empty());
  const std::string& kind = sent[0].body.kind;
  if (kind == "error_not_allowed") return outcome::refused;
  if (kind == "error_unknown_sender") return outcome::unknown_sender;
  if (kind == "dashboard_only_in_dm" || kind == "token_only_in_dm") return outcome::only_in_dm;
  return outcome::allowed;
}

}  // namespace

// Each command's own example, typed by each role in a DM and in the collaboration's room, against
// the table above. A refusal is exactly one reply and changes nothing but the sender's activity.
TEST_CASE("every command against every role, in a DM and in a room, gets the outcome the table says") {
  const world w = sample_world();
  for (const command_spec& spec : command_specs()) {
    const auto row = std::ranges::find_if(table, [&](const expectation& e) { return e.command == spec.name; });
    INFO("command: " << spec.name);
    REQUIRE(row != table.end());  // a new command needs its row
    const std::vector<std::pair<std::string, outcome>> people{{"ana", row->facilitator},
                                                              {"bob", row->representative},
                                                              {"cy", row->alternate},
                                                              {"dee", row->participant},
                                                              {"zed", outcome::unknown_sender}};
    for (const auto& [who, in_dm] : people) {
      for (const bool direct : {true, false}) {
        const outcome expected =
            !direct && in_dm == outcome::allowed && row->room == in_room::only_in_dm ? outcome::only_in_dm : in_dm;
        INFO(who << (direct ? " in a DM" : " in the room") << " expects " << name_of(expected));
        std::vector<action> actions;
        const outcome got = try_command(w, who, std::string{spec.example}, direct, actions);
        CHECK(name_of(got) == name_of(expected));
        if (expected != outcome::refused) continue;
        CHECK(messages_in(actions).size() == 1);
        CHECK(std::ranges::all_of(actions, [](const action& a) {
          return std::holds_alternative<send_message>(a) || std::holds_alternative<note_activity>(a);
        }));
      }
    }
  }
}

TEST_CASE("the permission table names only commands that exist") {
  for (const expectation& e : table) {
    INFO(e.command);
    CHECK(std::ranges::any_of(command_specs(), [&](const command_spec& s) { return s.name == e.command; }));
  }
}
