#include "app/config.h"
#include "app/simulation_report.h"
#include "app/template_catalog.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>
#include <date/date.h>

#include <fstream>
#include <sstream>

using namespace tandem;

namespace {

const std::filesystem::path data = tandem::testing::source_tree() / "tests" / "data";

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

// The expected timeline was reviewed by hand: each line is checked against the config (tiers,
// zones, quiet hours) and the script in tests/data; see the comments in simulation.expected.
TEST_CASE("eight weeks of a collaboration give the expected timeline of nudges, reminders, escalations and silences") {
  auto config = load_config(data / "simulation.yaml");
  REQUIRE(config.errors.empty());
  auto script = parse_response_script(read(data / "simulation.responses"));
  REQUIRE(std::holds_alternative<std::vector<scripted_response>>(script));
  const time_point start = date::sys_days{date::year{2027} / 1 / 4};
  const auto timeline = simulate(config.config->seed, start, 56, std::get<std::vector<scripted_response>>(script));

  std::string expected;
  for (std::istringstream lines{read(data / "simulation.expected")}; !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    if (!line.empty() && !line.starts_with('#')) expected += line + '\n';
  }
  CHECK(compact_timeline(timeline) == expected);

  const template_catalog templates = template_catalog::load(tandem::testing::source_tree() / "prompts");
  const std::string readable = readable_timeline(timeline, config.config->seed, templates);
  CHECK_THAT(readable, Catch::Contains("2027-01-05 10:00 Asia/Kolkata  -> Kim (nudge)\n    Hi Kim, here is where you stand"));
  CHECK_THAT(readable, Catch::Contains("Messages per person:"));
}

TEST_CASE("a response script with a bad line is refused, naming the line") {
  auto script = parse_response_script("# fine\n2027-01-04 08:30 fay tasks\n2027-01-04 fay tasks\n");
  REQUIRE(std::holds_alternative<std::string>(script));
  CHECK(std::get<std::string>(script) ==
        "line 3: write `YYYY-MM-DD HH:MM PERSON TEXT` (UTC), e.g. `2026-12-07 10:30 emma done 1`");
  auto silent = parse_response_script("2027-01-04 08:30 fay\n");
  CHECK(std::get<std::string>(silent) == "line 1: what does fay say? (text missing)");
}
