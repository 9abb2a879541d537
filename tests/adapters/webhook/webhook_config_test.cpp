// The `adapters.webhook` section of the config file: what it accepts, every error it reports
// with its path, an organization bound to a channel, and the adapter created from it.

#include "adapters/metrics/metrics_registry.h"
#include "app/config.h"
#include "app/platform_adapters.h"
#include "support/config_snippets.h"
#include "support/recording_sink.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace tandem {
namespace {

config_result parse_with(const std::string& adapters) {
  ::setenv("TANDEM_TEST_DISCORD_URL", "https://discord.com/api/webhooks/123/abc", 1);
  ::setenv("TANDEM_TEST_MM_URL", "https://mm.example.org/hooks/xyz", 1);
  ::setenv("TANDEM_TEST_MM_TOKEN", "xr3j5x3p4pfk7kk6ck7b4e6ghh", 1);
  ::setenv("TANDEM_TEST_SCRIPT_SECRET", "s3cr3t", 1);
  ::setenv("TANDEM_TEST_NOT_A_URL", "discord.com/api/webhooks/1/x", 1);
  return testing::parse_with_adapters(adapters);
}

std::vector<std::string> errors_of(const config_result& result) { return testing::error_texts(result); }

using memory_state = testing::memory_adapter_state;

}  // namespace

TEST_CASE("webhook channels of every kind, with their secrets from the environment") {
  const auto result = parse_with(R"(
  webhook:
    public_url: https://tandem.example.org/
    link_lifetime: 3d
    channels:
      - {name: city-discord, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL}}
      - {name: acme-mm, dialect: mattermost_form, kind: mattermost, url: {env: TANDEM_TEST_MM_URL},
         token: {env: TANDEM_TEST_MM_TOKEN}}
      - {name: scripts, kind: signed, secret: {env: TANDEM_TEST_SCRIPT_SECRET}}
)");
  REQUIRE(errors_of(result).empty());
  REQUIRE(result.config->webhook);
  const webhook_config& w = *result.config->webhook;
  CHECK(result.config->seed.engine.public_url == "https://tandem.example.org");
  CHECK(w.link_lifetime == std::chrono::days{3});
  CHECK_FALSE(w.link_secret);
  REQUIRE(w.channels.size() == 3);
  CHECK(w.channels[0].name == "city-discord");
  CHECK(w.channels[0].dialect == "discord");
  CHECK(w.channels[0].kind == "incoming");
  CHECK(w.channels[0].url->reveal() == "https://discord.com/api/webhooks/123/abc");
  CHECK(w.channels[0].url->describe() == "env:TANDEM_TEST_DISCORD_URL");
  CHECK(w.channels[1].dialect == "mattermost_form");
  CHECK(w.channels[1].kind == "mattermost");
  REQUIRE(w.channels[1].tokens.size() == 1);
  CHECK(w.channels[1].tokens[0].reveal() == "xr3j5x3p4pfk7kk6ck7b4e6ghh");
  CHECK(w.channels[2].dialect == "slack");
  CHECK_FALSE(w.channels[2].url);
  CHECK(w.channels[2].signing_secret->reveal() == "s3cr3t");
}

TEST_CASE("a Mattermost channel with a slash command and an outgoing webhook takes both tokens") {
  ::setenv("TANDEM_TEST_MM_TOKEN_2", "second-token", 1);
  ::unsetenv("TANDEM_TEST_UNSET_TOKEN");
  const auto result = parse_with(R"(
  webhook:
    channels:
      - {name: acme-mm, kind: mattermost, token: [{env: TANDEM_TEST_MM_TOKEN}, {env: TANDEM_TEST_MM_TOKEN_2}]}
      - {name: none, kind: rocketchat, token: []}
      - {name: bad, kind: rocketchat, token: [{env: TANDEM_TEST_UNSET_TOKEN}]}
)");
  CHECK(errors_of(result) == std::vector<std::string>{
                                 "adapters.webhook.channels[1].token: at least one token is needed",
                                 "adapters.webhook.channels[2].token[0]: environment variable TANDEM_TEST_UNSET_TOKEN "
                                 "is not set",
                             });
  const auto good = parse_with(R"(
  webhook:
    channels:
      - {name: acme-mm, kind: mattermost, token: [{env: TANDEM_TEST_MM_TOKEN}, {env: TANDEM_TEST_MM_TOKEN_2}]}
)");
  REQUIRE(errors_of(good).empty());
  const auto& tokens = good.config->webhook->channels[0].tokens;
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[1].reveal() == "second-token");
}

TEST_CASE("adapters.webhook.public_url is read as a deprecated alias of http.public_url") {
  const std::string channels = "    channels:\n      - {name: city-discord, url: {env: TANDEM_TEST_DISCORD_URL}}\n";
  const auto with_http = [&](const std::string& http, const std::string& webhook) {
    return testing::parse_with_adapters("  webhook:\n" + webhook + channels, http);
  };
  ::setenv("TANDEM_TEST_DISCORD_URL", "https://discord.com/api/webhooks/123/abc", 1);

  const auto alone = with_http("", "    public_url: https://tandem.example.org/\n");
  REQUIRE(errors_of(alone).empty());
  CHECK(alone.config->seed.engine.public_url == "https://tandem.example.org");
  REQUIRE(alone.warnings.size() == 1);
  CHECK(to_string(alone.warnings[0]) ==
        "adapters.webhook.public_url: deprecated: write it as http.public_url (one setting for every link to Tandem)");

  const auto same = with_http("https://tandem.example.org", "    public_url: https://tandem.example.org\n");
  REQUIRE(errors_of(same).empty());
  REQUIRE(same.warnings.size() == 1);
  CHECK(to_string(same.warnings[0]) ==
        "adapters.webhook.public_url: deprecated and the same as http.public_url: remove it");

  const auto differ = with_http("https://tandem.example.org", "    public_url: https://links.example.org\n");
  CHECK(errors_of(differ) ==
        std::vector<std::string>{
            "adapters.webhook.public_url: differs from http.public_url \"https://tandem.example.org\" "
            "(one setting for every link to Tandem: keep http.public_url, remove this one)"});

  const auto only_http = with_http("https://tandem.example.org", "");
  REQUIRE(errors_of(only_http).empty());
  CHECK(only_http.warnings.empty());
  CHECK(only_http.config->seed.engine.public_url == "https://tandem.example.org");
}

TEST_CASE("every webhook config error is reported with its path") {
  const auto result = parse_with(R"(
  webhook:
    public_url: tandem.example.org
    link_lifetime: 0
    channels:
      - {name: a, dialect: msteams, url: {env: TANDEM_TEST_DISCORD_URL}}
      - {name: b}
      - {name: c, kind: mattermost, url: {env: TANDEM_TEST_MM_URL}}
      - {name: d, url: {env: TANDEM_TEST_DISCORD_URL}, token: {env: TANDEM_TEST_MM_TOKEN}}
      - {name: e, kind: signed}
      - {name: a, url: {env: TANDEM_TEST_DISCORD_URL}}
      - {name: Bad Name, url: {env: TANDEM_TEST_DISCORD_URL}}
      - {name: f, url: {env: TANDEM_TEST_NOT_A_URL}}
      - {name: g, kind: rocketchat, token: {env: TANDEM_TEST_MM_TOKEN}, secret: {env: TANDEM_TEST_SCRIPT_SECRET}}
      - {name: h, url: {env: TANDEM_TEST_DISCORD_URL}, organization: {collaboration: river, id: nowhere}}
      - {name: i, kind: mattermost, url: {env: TANDEM_TEST_MM_URL}, token: {env: TANDEM_TEST_MM_TOKEN}, personal: true}
      - {name: j, url: {env: TANDEM_TEST_DISCORD_URL}, personal: maybe}
)");
  CHECK(
      errors_of(result) ==
      std::vector<std::string>{
          "adapters.webhook.public_url: bad URL \"tandem.example.org\" (write it as https://tandem.example.org)",
          "adapters.webhook.link_lifetime: must be longer than 0",
          "adapters.webhook.channels[0].dialect: unknown dialect \"msteams\" (allowed: slack, mattermost, "
          "mattermost_form, discord, teams)",
          "adapters.webhook.channels[1].url: required for kind incoming, e.g. url: {env: CITY_DISCORD_WEBHOOK_URL}",
          "adapters.webhook.channels[2].token: required for kind mattermost, e.g. token: {env: MATTERMOST_HOOK_TOKEN}",
          "adapters.webhook.channels[3].token: only kinds mattermost and rocketchat use a token",
          "adapters.webhook.channels[4].secret: required for kind signed, e.g. secret: {env: TANDEM_SCRIPT_SECRET}",
          "adapters.webhook.channels[5].name: channel a is listed twice (also at adapters.webhook.channels[0])",
          "adapters.webhook.channels[6].name: bad channel name \"Bad Name\" (lowercase letters, digits, - _ .)",
          "adapters.webhook.channels[7].url: the value from env:TANDEM_TEST_NOT_A_URL is not an http(s):// URL",
          "adapters.webhook.channels[8].secret: only kind signed uses a secret",
          "adapters.webhook.channels[10].personal: only kind incoming posts one-click links; people answer in chat "
          "here",
          "adapters.webhook.channels[11].personal: expected true or false",
          "adapters.webhook.channels[9].organization: no organization \"nowhere\" in collaboration \"river\"",
      });
}

TEST_CASE("a channel bound to an organization reaches its people who have no identities of their own") {
  ::setenv("TANDEM_TEST_DISCORD_URL", "https://discord.com/api/webhooks/123/abc", 1);
  const auto result = parse_config(R"(
adapters:
  webhook:
    channels:
      - {name: city-discord, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL},
         organization: {collaboration: river, id: city}}
collaborations:
  - id: river
    name: River
    organizations:
      - {id: city, name: City of Millbrook}
      - {id: backbone, name: Backbone}
    people:
      - {id: ana, name: Ana, org: backbone, roles: [facilitator]}
      - {id: emma, name: Emma, org: city, roles: [representative]}
      - {id: omar, name: Omar, org: city, roles: [participant],
         identities: [{platform: slack, workspace: T0001, user: U0OMAR}]}
)",
                                   std::filesystem::temp_directory_path());
  REQUIRE(testing::error_texts(result).empty());
  const world& seed = result.config->seed;
  CHECK(seed.people.at("emma").identities == std::vector<identity>{{"webhook", "city-discord", "emma"}});
  CHECK(seed.people.at("omar").identities == std::vector<identity>{{"slack", "T0001", "U0OMAR"}});
  CHECK(seed.people.at("ana").identities == std::vector<identity>{{"console", "", "ana"}});
}

TEST_CASE("a channel is shared unless it says it is personal, and a personal one reaches one person only") {
  ::setenv("TANDEM_TEST_DISCORD_URL", "https://discord.com/api/webhooks/123/abc", 1);
  const std::string people = R"(
collaborations:
  - id: river
    name: River
    organizations:
      - {id: city, name: City of Millbrook}
      - {id: farm, name: Farm}
    people:
      - {id: emma, name: Emma, org: city, roles: [representative]}
      - {id: omar, name: Omar, org: city, roles: [participant]}
      - {id: fatou, name: Fatou, org: farm, roles: [representative]}
      - {id: lena, name: Lena, org: farm, roles: [facilitator],
         identities: [{platform: slack, workspace: T0001, user: U0LENA}]}
)";
  const auto fine = parse_config(R"(
adapters:
  webhook:
    channels:
      - {name: city-room, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL}}
      - {name: fatou-dm, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL}, personal: true,
         organization: {collaboration: river, id: farm}}
)" + people,
                                 std::filesystem::temp_directory_path());
  REQUIRE(testing::error_texts(fine).empty());
  CHECK_FALSE(fine.config->webhook->channels[0].personal);
  CHECK(fine.config->webhook->channels[1].personal);

  const auto shared_as_personal = parse_config(R"(
adapters:
  webhook:
    channels:
      - {name: city-room, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL}, personal: true,
         organization: {collaboration: river, id: city}}
)" + people,
                                               std::filesystem::temp_directory_path());
  CHECK(testing::error_texts(shared_as_personal) ==
        std::vector<std::string>{"adapters.webhook.channels[0].personal: a personal channel is read by one person, but "
                                 "Tandem reaches 2 people here (emma, omar): give each a channel of their own, or "
                                 "drop personal"});

  const auto shared_by_identities = parse_config(R"(
adapters:
  webhook:
    channels:
      - {name: farm-room, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL}, personal: true}
collaborations:
  - id: river
    name: River
    organizations:
      - {id: farm, name: Farm}
    people:
      - {id: fatou, name: Fatou, org: farm, roles: [representative],
         identities: [{platform: webhook, workspace: farm-room, user: fatou}]}
      - {id: kwame, name: Kwame, org: farm, roles: [participant],
         identities: [{platform: webhook, workspace: farm-room, user: kwame}]}
      - {id: lena, name: Lena, org: farm, roles: [facilitator],
         identities: [{platform: slack, workspace: T0001, user: U0LENA}]}
)",
                                                 std::filesystem::temp_directory_path());
  CHECK(testing::error_texts(shared_by_identities) ==
        std::vector<std::string>{"adapters.webhook.channels[0].personal: a personal channel is read by one person, but "
                                 "Tandem reaches 2 people here (fatou, kwame): give each a channel of their own, or "
                                 "drop personal"});
}

TEST_CASE("the webhook adapter is created from its config section") {
  const auto result = parse_with(R"(
  webhook:
    channels:
      - {name: city-discord, dialect: discord, url: {env: TANDEM_TEST_DISCORD_URL}}
)");
  REQUIRE(errors_of(result).empty());
  boost::asio::io_context io;
  metrics_registry metrics;
  memory_state state;
  const world empty;
  world_directory directory([&empty]() -> const world& { return empty; });
  const adapter_environment environment{io, [](inbound, std::function<void(bool)>) {}, metrics, state, directory};
  const auto adapters = create_platform_adapters(*result.config, environment);
  REQUIRE(adapters.size() == 1);
  CHECK(adapters[0]->platform() == "webhook");
}

}  // namespace tandem
