// The `adapters.slack` section of the config file: what it accepts and every error it reports,
// with its path; and the shipped example deploy/slack/slack.yaml.

#include "app/config.h"
#include "support/config_snippets.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace tandem {
namespace {

config_result parse_with(const std::string& adapters) {
  ::setenv("TANDEM_TEST_SLACK_BOT_TOKEN", "xoxb-1-2-abc", 1);
  ::setenv("TANDEM_TEST_SLACK_SECRET", "8f742231b10e8888abcd99yyyzzz85a5", 1);
  ::setenv("TANDEM_TEST_SLACK_APP_TOKEN", "xapp-1-A1-2-def", 1);
  ::unsetenv("TANDEM_TEST_UNSET");
  return testing::parse_with_adapters(adapters);
}

std::vector<std::string> errors_of(const config_result& result) { return testing::error_texts(result); }

}  // namespace

TEST_CASE("a Slack workspace with its secrets from the environment") {
  const auto result = parse_with(R"(
  slack:
    workspaces:
      - team_id: T0123ABCD
        bot_token: {env: TANDEM_TEST_SLACK_BOT_TOKEN}
        signing_secret: {env: TANDEM_TEST_SLACK_SECRET}
)");
  REQUIRE(errors_of(result).empty());
  REQUIRE(result.config->slack);
  const slack_config& s = *result.config->slack;
  CHECK(s.api_base_url == "https://slack.com/api/");
  CHECK(s.ca_file.empty());
  REQUIRE(s.workspaces.size() == 1);
  const slack_workspace_config& w = s.workspaces[0];
  CHECK(w.team_id == "T0123ABCD");
  CHECK(w.bot_token.reveal() == "xoxb-1-2-abc");
  CHECK(w.bot_token.describe() == "env:TANDEM_TEST_SLACK_BOT_TOKEN");
  REQUIRE(w.signing_secret);
  CHECK(w.signing_secret->reveal() == "8f742231b10e8888abcd99yyyzzz85a5");
  CHECK(w.bot_user_id.empty());
  CHECK_FALSE(w.app_token);
}

TEST_CASE("several Slack workspaces, Socket Mode, a bot user id and another API base URL") {
  const auto result = parse_with(R"(
  slack:
    api_base_url: http://127.0.0.1:9000/api
    workspaces:
      - team_id: T0123ABCD
        bot_token: {env: TANDEM_TEST_SLACK_BOT_TOKEN}
        signing_secret: {env: TANDEM_TEST_SLACK_SECRET}
        bot_user_id: U0BOT1
      - team_id: T0456EFGH
        bot_token: {env: TANDEM_TEST_SLACK_BOT_TOKEN}
        app_token: {env: TANDEM_TEST_SLACK_APP_TOKEN}
)");
  REQUIRE(errors_of(result).empty());
  const slack_config& s = *result.config->slack;
  CHECK(s.api_base_url == "http://127.0.0.1:9000/api/");
  REQUIRE(s.workspaces.size() == 2);
  CHECK(s.workspaces[0].bot_user_id == "U0BOT1");
  CHECK_FALSE(s.workspaces[1].signing_secret);
  REQUIRE(s.workspaces[1].app_token);
  CHECK(s.workspaces[1].app_token->reveal() == "xapp-1-A1-2-def");
}

TEST_CASE("no adapters.slack section means no Slack adapter") {
  const auto result = parse_with("  console: {enabled: true}\n");
  REQUIRE(result.errors.empty());
  CHECK_FALSE(result.config->slack);
}

TEST_CASE("every mistake in the Slack section is reported with its path") {
  struct example {
    std::string what;
    std::string section;
    std::vector<std::string> errors;
  };
  const std::vector<example> examples{
      {"no workspaces", "  slack: {}\n", {"adapters.slack.workspaces: required"}},
      {"an empty list", "  slack: {workspaces: []}\n", {"adapters.slack.workspaces: at least one workspace is needed"}},
      {"a typo in a key",
       "  slack: {workspace: []}\n",
       {"adapters.slack.workspace: unknown key (did you mean \"workspaces\"?)", "adapters.slack.workspaces: required"}},
      {"a token written in the file",
       "  slack:\n    workspaces:\n      - {team_id: T0123ABCD, bot_token: xoxb-1-2-abc, signing_secret: {env: "
       "TANDEM_TEST_SLACK_SECRET}}\n",
       {"adapters.slack.workspaces[0].bot_token: write secrets as {env: NAME} or {file: PATH}, never in the file"}},
      {"a missing bot token and signing secret",
       "  slack:\n    workspaces:\n      - {team_id: T0123ABCD}\n",
       {"adapters.slack.workspaces[0].bot_token: required, e.g. bot_token: {env: SLACK_BOT_TOKEN}",
        "adapters.slack.workspaces[0].signing_secret: required unless app_token is given (Socket Mode), e.g. "
        "signing_secret: {env: SLACK_SIGNING_SECRET}"}},
      {"an unset environment variable",
       "  slack:\n    workspaces:\n      - {team_id: T0123ABCD, bot_token: {env: TANDEM_TEST_UNSET}, signing_secret: "
       "{env: TANDEM_TEST_SLACK_SECRET}}\n",
       {"adapters.slack.workspaces[0].bot_token: environment variable TANDEM_TEST_UNSET is not set"}},
      {"the tokens swapped",
       "  slack:\n    workspaces:\n      - {team_id: T0123ABCD, bot_token: {env: TANDEM_TEST_SLACK_APP_TOKEN}, "
       "app_token: {env: TANDEM_TEST_SLACK_BOT_TOKEN}}\n",
       {"adapters.slack.workspaces[0].bot_token: the value from env:TANDEM_TEST_SLACK_APP_TOKEN does not start with "
        "xoxb- (give the Bot User OAuth Token; an xapp- token goes in app_token)",
        "adapters.slack.workspaces[0].app_token: the value from env:TANDEM_TEST_SLACK_BOT_TOKEN does not start with "
        "xapp- (give an app-level token with the connections:write scope)"}},
      {"bad ids",
       "  slack:\n    workspaces:\n      - {team_id: river, bot_user_id: tandem, bot_token: {env: "
       "TANDEM_TEST_SLACK_BOT_TOKEN}, signing_secret: {env: TANDEM_TEST_SLACK_SECRET}}\n",
       {"adapters.slack.workspaces[0].team_id: bad Slack team id \"river\" (write it as T0123ABCD)",
        "adapters.slack.workspaces[0].bot_user_id: bad Slack user id \"tandem\" (write it as U0123ABCD)"}},
      {"a workspace listed twice",
       "  slack:\n    workspaces:\n      - {team_id: T0123ABCD, bot_token: {env: TANDEM_TEST_SLACK_BOT_TOKEN}, "
       "signing_secret: {env: TANDEM_TEST_SLACK_SECRET}}\n      - {team_id: T0123ABCD, bot_token: {env: "
       "TANDEM_TEST_SLACK_BOT_TOKEN}, signing_secret: {env: TANDEM_TEST_SLACK_SECRET}}\n",
       {"adapters.slack.workspaces[1].team_id: workspace T0123ABCD is listed twice (also at "
        "adapters.slack.workspaces[0])"}},
      {"a bad base URL and a missing CA file",
       "  slack:\n    api_base_url: slack.com/api\n    ca_file: no-such-ca.pem\n    workspaces:\n      - {team_id: "
       "T0123ABCD, bot_token: {env: TANDEM_TEST_SLACK_BOT_TOKEN}, signing_secret: {env: TANDEM_TEST_SLACK_SECRET}}\n",
       {"adapters.slack.api_base_url: bad URL \"slack.com/api\" (write it as https://slack.com/api/)",
        "adapters.slack.ca_file: file \"" + (std::filesystem::temp_directory_path() / "no-such-ca.pem").string() +
            "\" does not exist"}},
  };
  for (const auto& e : examples) {
    INFO(e.what);
    const auto result = parse_with(e.section);
    CHECK_FALSE(result.config);
    CHECK(errors_of(result) == e.errors);
  }
}

TEST_CASE("the example deploy/slack/slack.yaml is a complete, valid config") {
  ::setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc", 1);
  ::setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5", 1);
  const auto result = load_config(tandem::testing::source_tree() / "deploy/slack/slack.yaml");
  REQUIRE(errors_of(result).empty());
  REQUIRE(result.config->slack);
  CHECK(result.config->slack->workspaces.size() == 1);
  CHECK(result.config->slack->workspaces[0].signing_secret);
  CHECK_FALSE(result.config->slack->workspaces[0].app_token);
}

}  // namespace tandem
