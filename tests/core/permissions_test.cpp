#include "core/command.h"
#include "core/engine.h"

#include "sample_world.h"

#include <catch2/catch.hpp>

using namespace tandem;
using namespace tandem::testing;

// Each role against each command: facilitator (ana), representative (bob), alternate (cy),
// participant (dee). A refusal is exactly one `error_not_allowed` reply and no state change.
TEST_CASE("the permission matrix: each role against each command") {
  const std::vector<std::pair<std::string, std::string>> people{
      {"facilitator", "ana"}, {"representative", "bob"}, {"alternate", "cy"}, {"participant", "dee"}};
  for (const command_spec& spec : command_specs()) {
    for (const auto& [role_name, who] : people) {
      INFO(spec.name << " as " << role_name);
      world w = sample_world();
      auto sent = say(w, who, std::string{spec.example});
      REQUIRE_FALSE(sent.empty());
      const bool allowed = spec.who == audience::everyone ||
                           (spec.who == audience::facilitators && who == "ana") ||
                           (spec.who == audience::representatives && (who == "bob" || who == "cy")) ||
                           (spec.who == audience::facilitators_and_representatives && who != "dee");
      if (allowed) {
        CHECK(sent[0].body.kind != "error_not_allowed");
      } else {
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].body.kind == "error_not_allowed");
        CHECK(w == [&] {
          world before = sample_world();
          // A refused command that only reads is presence, like the same command allowed.
          if (counts_as_response(spec.what)) note_response(before, who, sample_now());
          else note_presence(before, who, sample_now());
          return before;
        }());
      }
    }
  }
}
