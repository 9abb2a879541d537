#include "app/config.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace tandem {
namespace {

template <typename T>
concept streamable = requires(std::ostream& out, const T& value) {
  out << value;
};
static_assert(!streamable<secret>, "a secret must not be printable by accident");
static_assert(!std::is_convertible_v<secret, std::string>, "a secret must not turn into a string by accident");

/// A fresh folder under the system's temporary folder, removed at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tandem-config-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  std::filesystem::path write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name) << content;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> error_texts(const config_result& result) {
  std::vector<std::string> texts;
  for (const config_error& e : result.errors) texts.push_back(to_string(e));
  return texts;
}

/// A valid collaboration (ana facilitates; bob and cy are members), with `more_people` appended
/// to its people and `before` put ahead of it.
std::string config_with(const std::string& more_people, const std::string& before = "") {
  return before +
         "collaborations:\n"
         "  - id: river\n"
         "    name: River\n"
         "    organizations: [{id: backbone, name: Backbone}, {id: city, name: City}, {id: river-trust, name: Trust}]\n"
         "    people:\n"
         "      - {id: ana, name: Ana, org: backbone, roles: [facilitator], tz: Europe/Berlin}\n"
         "      - {id: bob, name: Bob, org: city, roles: [representative]}\n"
         "      - {id: cy, name: Cy, org: river-trust}\n" +
         more_people;
}

config_result parse(const std::string& yaml) { return parse_config(yaml, "/srv/tandem"); }

world demo_seed() {
  auto result = load_config(tandem::testing::source_tree() / "deploy/demo.yaml");
  REQUIRE(result.errors.empty());
  return result.config->seed;
}

constexpr time_point noon = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2} + std::chrono::hours{12};

TEST_CASE("The demo config loads with no errors: three organizations, eight people, one facilitator") {
  const auto result = load_config(tandem::testing::source_tree() / "deploy/demo.yaml");
  CHECK(error_texts(result).empty());
  REQUIRE(result.config);
  const tandem_config& config = *result.config;
  CHECK(config.store.sqlite_file == tandem::testing::source_tree() / "deploy" / "tandem.db");
  CHECK(config.http_address == "127.0.0.1");
  CHECK(config.http_port == 8080);
  CHECK(config.body_limit == std::size_t{1024} * 1024);
  CHECK_FALSE(config.metrics_token);
  CHECK(config.console_enabled);

  const world& seed = config.seed;
  REQUIRE(seed.collaborations.size() == 1);
  const collaboration& river = seed.collaborations.at("river");
  CHECK(river.name == "River Restoration Alliance");
  CHECK(river.rooms == std::vector<room>{{"console", "", "river-room"}});
  CHECK(seed.organizations.size() == 3);
  CHECK(seed.organizations.at({"river", "farmers"}).name == "Valley Farmers Cooperative");
  CHECK(seed.people.size() == 8);
  CHECK(seed.memberships.size() == 8);
  const auto facilitators = std::ranges::count_if(
      seed.memberships, [](const auto& entry) { return entry.second.roles.contains(role::facilitator); });
  CHECK(facilitators == 1);
  CHECK(has_role(seed, "river", "ana", role::facilitator));
  CHECK(seed.people.at("ana").time_zone == "Europe/Berlin");
  CHECK(seed.people.at("ana").quiet == quiet_hours{19 * 60, 8 * 60});
  CHECK(seed.people.at("carla").time_zone == "America/New_York");
  CHECK(has_role(seed, "river", "dev", role::alternate));
  for (const char* org : {"backbone", "city", "farmers"}) {
    const bool represented = std::ranges::any_of(seed.memberships, [&](const auto& entry) {
      return entry.second.organization == org && entry.second.roles.contains(role::representative);
    });
    CHECK(represented);
  }
  CHECK(seed.tiers.size() == 4);
  CHECK(seed.tiers.at(tier::core).silence_after == std::chrono::days{7});
}

TEST_CASE("Defaults fill in what a minimal config leaves out") {
  const auto result = parse(
      "collaborations:\n"
      "  - id: c\n"
      "    name: C\n"
      "    organizations: [{id: o, name: O}]\n"
      "    people: [{id: f, name: F, roles: [facilitator]}, {id: p, name: P, org: o}]\n");
  REQUIRE(error_texts(result).empty());
  const tandem_config& config = *result.config;
  CHECK(config.store.sqlite_file == "/srv/tandem/tandem.db");
  CHECK(config.http_address == "127.0.0.1");
  CHECK(config.http_port == 8080);
  CHECK(config.log_level == "info");
  CHECK(config.log_format == "text");
  CHECK(config.console_enabled);
  CHECK(config.rate_limit.burst == 30);
  CHECK(config.rate_limit.per_minute == 30);
  CHECK(config.rate_limit.max_clients == 10000);
  CHECK(config.rate_limit.trusted_proxies.empty());
  const person& p = config.seed.people.at("p");
  CHECK(p.time_zone == "UTC");
  CHECK(p.language == "en");
  CHECK_FALSE(p.quiet);
  CHECK(p.identities == std::vector<identity>{{"console", "", "p"}});
  const membership& m = config.seed.memberships.at({"c", "p"});
  CHECK(m.roles == std::set<role>{role::participant});
  CHECK(m.tier == tier::active);
  CHECK(m.organization == "o");
  CHECK(config.seed.memberships.at({"c", "f"}).organization.empty());
  CHECK(config.seed.tiers.at(tier::informed) ==
        tier_policy{"monthly first mon 09:00", std::chrono::days{45}, std::chrono::days{14}});
  CHECK(config.seed.tiers.at(tier::observer).silence_after == std::chrono::seconds{0});
  CHECK(config.seed.engine.default_quiet == quiet_hours{20 * 60, 8 * 60});
  CHECK(config.seed.engine.working_days == 0x7fU);
}

TEST_CASE("Quiet hours: the installation's default and working days, a person's own or none") {
  const auto result = parse(config_with("      - {id: dee, name: Dee, org: city, quiet: \"off\"}\n"
                                        "      - {id: eve, name: Eve, org: city, quiet: \"22:30-07:00\"}\n",
                                        "engine: {quiet_hours: \"21:00-07:30\", working_days: \"mon-fri\"}\n"));
  REQUIRE(error_texts(result).empty());
  const tandem_config& config = *result.config;
  CHECK(config.seed.engine.default_quiet == quiet_hours{21 * 60, 7 * 60 + 30});
  CHECK(config.seed.engine.working_days == 0x3eU);
  CHECK(config.seed.people.at("dee").quiet == no_quiet_hours);
  CHECK(config.seed.people.at("eve").quiet == quiet_hours{22 * 60 + 30, 7 * 60});
  CHECK_FALSE(config.seed.people.at("bob").quiet);  // none given: the default holds
  const auto nobody_quiet = parse(config_with("", "engine: {quiet_hours: \"off\"}\n"));
  REQUIRE(error_texts(nobody_quiet).empty());
  CHECK(nobody_quiet.config->seed.engine.default_quiet.empty());
}

TEST_CASE("Explicit settings are read: store, listen address, body limit, log, adapters, tiers") {
  const auto result = parse(config_with("",
                                        "store: data/bot.db\n"
                                        "http: {listen: \"[::1]:0\", body_limit: 512KiB,\n"
                                        "       rate_limit: {burst: 5, per_minute: 12, clients: 100},\n"
                                        "       trusted_proxies: [127.0.0.1, \"10.0.0.0/8\", \"::1\"]}\n"
                                        "log: {level: debug, format: json}\n"
                                        "adapters: {console: {enabled: false}}\n"
                                        "tiers: {core: {schedule: \"daily 09:00\", silence_after: 36h}}\n"));
  REQUIRE(error_texts(result).empty());
  const tandem_config& config = *result.config;
  CHECK(config.store.sqlite_file == "/srv/tandem/data/bot.db");
  CHECK(config.http_address == "::1");
  CHECK(config.http_port == 0);
  CHECK(config.body_limit == std::size_t{512} * 1024);
  CHECK(config.rate_limit.burst == 5);
  CHECK(config.rate_limit.per_minute == 12);
  CHECK(config.rate_limit.max_clients == 100);
  CHECK(config.rate_limit.trusted_proxies == std::vector<std::string>{"127.0.0.1", "10.0.0.0/8", "::1"});
  CHECK(config.log_level == "debug");
  CHECK(config.log_format == "json");
  CHECK_FALSE(config.console_enabled);
  CHECK(config.seed.tiers.at(tier::core) == tier_policy{"daily 09:00", std::chrono::hours{36}, std::chrono::days{2}});
}

TEST_CASE("Each broken config gives its exact error with its path in the file") {
  const temp_dir dir;
  unsetenv("TANDEM_TEST_UNSET_TOKEN");
  struct broken {
    const char* what;
    std::string yaml;
    std::string error;
  };
  const std::vector<broken> cases{
      {"unknown time zone", config_with("      - {id: dee, name: Dee, org: city, tz: Europe/Berln}\n"),
       R"(collaborations[0].people[3].tz: unknown time zone "Europe/Berln")"},
      {"unknown key with a suggestion", config_with("      - {id: dee, name: Dee, org: city, timezone: UTC}\n"),
       R"(collaborations[0].people[3].timezone: unknown key (did you mean "tz"?))"},
      {"misspelt key", config_with("      - {id: dee, name: Dee, org: city, tier: core, lnag: fr}\n"),
       R"(collaborations[0].people[3].lnag: unknown key (did you mean "lang"?))"},
      {"missing collaboration id",
       "collaborations:\n  - name: River\n    people: [{id: ana, name: Ana, roles: [facilitator]}]\n",
       "collaborations[0].id: required"},
      {"unknown organization", config_with("      - {id: dee, name: Dee, org: nope}\n"),
       R"(collaborations[0].people[3].org: unknown organization "nope" (known: backbone, city, river-trust))"},
      {"missing organization", config_with("      - {id: dee, name: Dee}\n"),
       "collaborations[0].people[3].org: required (only facilitators may have no organization)"},
      {"duplicate person", config_with("      - {id: bob, name: Bob, org: city}\n"),
       R"(collaborations[0].people[3].id: duplicate person "bob" (also at collaborations[0].people[1]))"},
      {"bad tier", config_with("      - {id: dee, name: Dee, org: city, tier: gold}\n"),
       R"(collaborations[0].people[3].tier: unknown tier "gold" (allowed: core, active, informed, observer))"},
      {"bad role", config_with("      - {id: dee, name: Dee, org: city, roles: [participant, boss]}\n"),
       R"(collaborations[0].people[3].roles[1]: unknown role "boss" (allowed: facilitator, representative, alternate, participant))"},
      {"bad duration", config_with("", "tiers:\n  core: {silence_after: 7x}\n"),
       R"(tiers.core.silence_after: bad duration "7x" (write e.g. 30m, 12h, 7d, 2w, or 0))"},
      {"unknown tier in tiers", config_with("", "tiers:\n  cor: {silence_after: 7d}\n"),
       R"(tiers.cor: unknown tier (did you mean "core"?))"},
      {"bad quiet hours", config_with("      - {id: dee, name: Dee, org: city, quiet: \"25:00-08:00\"}\n"),
       R"(collaborations[0].people[3].quiet: bad quiet hours "25:00-08:00" (write e.g. 19:00-08:00, or off))"},
      {"bad default quiet hours", config_with("", "engine: {quiet_hours: \"20:00\"}\n"),
       R"(engine.quiet_hours: bad quiet hours "20:00" (write e.g. 20:00-08:00, or off))"},
      {"bad working days", config_with("", "engine: {working_days: \"mon-sun-fri\"}\n"),
       R"(engine.working_days: bad working days "mon-sun-fri" (write every day, weekdays, or days such as mon-fri or mon,wed,fri))"},
      {"bad listen address", config_with("", "http: {listen: localhost}\n"),
       R"(http.listen: bad listen address "localhost" (write host:port, e.g. 127.0.0.1:8080 or [::1]:8080))"},
      {"port out of range", config_with("", "http: {listen: \"127.0.0.1:70000\"}\n"),
       R"(http.listen: bad listen address "127.0.0.1:70000" (write host:port, e.g. 127.0.0.1:8080 or [::1]:8080))"},
      {"bad body limit", config_with("", "http: {body_limit: 1MB}\n"),
       R"(http.body_limit: bad size "1MB" (write bytes, or e.g. 512KiB, 1MiB))"},
      {"zero burst", config_with("", "http: {rate_limit: {burst: 0}}\n"),
       R"(http.rate_limit.burst: expected a whole number from 1 to 100000, got "0")"},
      {"unknown rate limit key", config_with("", "http: {rate_limit: {brust: 3}}\n"),
       R"(http.rate_limit.brust: unknown key (did you mean "burst"?))"},
      {"proxy by name", config_with("", "http: {trusted_proxies: [proxy.example.org]}\n"),
       R"(http.trusted_proxies[0]: expected an IP address or network (10.0.0.5, 10.0.0.0/8, ::1), got "proxy.example.org")"},
      {"bad log level", config_with("", "log: {level: verbose}\n"),
       R"(log.level: unknown log level "verbose" (allowed: trace, debug, info, warn, error))"},
      {"unknown adapter", config_with("", "adapters: {irc: {enabled: true}}\n"),
       "adapters.irc: unknown adapter (allowed: console, matrix, slack, webhook)"},
      {"literal secret", config_with("", "http: {metrics_token: hunter2}\n"),
       "http.metrics_token: write secrets as {env: NAME} or {file: PATH}, never in the file"},
      {"env secret unset", config_with("", "http: {metrics_token: {env: TANDEM_TEST_UNSET_TOKEN}}\n"),
       "http.metrics_token: environment variable TANDEM_TEST_UNSET_TOKEN is not set"},
      {"file secret missing", config_with("", "http: {metrics_token: {file: no-such-token}}\n"),
       "http.metrics_token: secret file \"" + (dir.path() / "no-such-token").string() + "\" does not exist"},
      {"YAML syntax error", "store: tandem.db\ncollaborations: [\n", "config:3:1: end of sequence flow not found"},
      {"collaboration without facilitator",
       "collaborations:\n  - id: river\n    name: River\n    organizations: [{id: city, name: City}]\n"
       "    people: [{id: bob, name: Bob, org: city, roles: [representative]}]\n",
       "collaborations[0].people: no facilitator (give at least one person roles: [facilitator])"},
      {"identity claimed twice",
       config_with("      - {id: dee, name: Dee, org: city, identities: [{platform: console, user: ana}]}\n"),
       R"(collaborations[0].people[3].identities[0]: identity console:ana is already claimed by person "ana")"},
      {"unknown platform",
       config_with("      - {id: dee, name: Dee, org: city, identities: [{platform: irc, user: dee}]}\n"),
       R"(collaborations[0].people[3].identities[0].platform: unknown platform "irc" (allowed: console, slack, matrix, webhook))"},
      {"duplicate organization",
       "collaborations:\n  - id: river\n    name: River\n    organizations: [{id: city, name: City}, {id: city, name: "
       "Town}]\n"
       "    people: [{id: ana, name: Ana, roles: [facilitator]}]\n",
       R"(collaborations[0].organizations[1].id: duplicate organization "city" (also at collaborations[0].organizations[0]))"},
      {"bad person id", config_with("      - {id: Dee Dee, name: Dee, org: city}\n"),
       R"(collaborations[0].people[3].id: bad id "Dee Dee" (use lowercase letters, digits, ".", "_" and "-"))"},
      {"wrong type", config_with("      - {id: dee, name: [Dee], org: city}\n"),
       "collaborations[0].people[3].name: expected a single value, got a list"},
  };
  for (const broken& c : cases) {
    DYNAMIC_SECTION(c.what) {
      const auto result = parse_config(c.yaml, dir.path());
      CHECK_FALSE(result.config);
      CHECK(error_texts(result) == std::vector<std::string>{c.error});
    }
  }
}

TEST_CASE("A YAML syntax error in a file names the file, line and column") {
  const temp_dir dir;
  const auto file = dir.write("broken.yaml", "store: tandem.db\ncollaborations:\n  - id: x\n   name: y\n");
  CHECK(error_texts(load_config(file)) == std::vector<std::string>{file.string() + ":4:4: end of sequence not found"});
}

TEST_CASE("A missing config file is one error naming the file") {
  CHECK(error_texts(load_config("/nonexistent/tandem.yaml")) ==
        std::vector<std::string>{"/nonexistent/tandem.yaml: cannot read the config file"});
}

TEST_CASE("Several errors in one file are all reported, in file order") {
  const auto result = parse(
      "store: tandem.db\n"
      "http: {listen: nowhere}\n"
      "collaborations:\n"
      "  - name: River\n"
      "    organizations: [{id: city, name: City}]\n"
      "    people:\n"
      "      - {id: ana, name: Ana, roles: [facilitator], tz: Mars/Olympus}\n"
      "      - {id: bob, name: Bob, org: town, timezone: UTC}\n");
  CHECK(error_texts(result) ==
        std::vector<std::string>{
            R"(http.listen: bad listen address "nowhere" (write host:port, e.g. 127.0.0.1:8080 or [::1]:8080))",
            "collaborations[0].id: required",
            R"(collaborations[0].people[0].tz: unknown time zone "Mars/Olympus")",
            R"(collaborations[0].people[1].timezone: unknown key (did you mean "tz"?))",
            R"(collaborations[0].people[1].org: unknown organization "town" (known: city))",
        });
}

TEST_CASE("Secrets resolve from environment variables and from files") {
  const temp_dir dir;
  dir.write("token.txt", "file-secret-value\n");
  setenv("TANDEM_TEST_METRICS_TOKEN", "env-secret-value", 1);

  SECTION("from the environment") {
    const auto result =
        parse_config(config_with("", "http: {metrics_token: {env: TANDEM_TEST_METRICS_TOKEN}}\n"), dir.path());
    REQUIRE(error_texts(result).empty());
    REQUIRE(result.config->metrics_token);
    CHECK(result.config->metrics_token->reveal() == "env-secret-value");
    CHECK(result.config->metrics_token->describe() == "env:TANDEM_TEST_METRICS_TOKEN");
  }
  SECTION("from a file relative to the config, without its trailing newline") {
    const auto result = parse_config(config_with("", "http: {metrics_token: {file: token.txt}}\n"), dir.path());
    REQUIRE(error_texts(result).empty());
    REQUIRE(result.config->metrics_token);
    CHECK(result.config->metrics_token->reveal() == "file-secret-value");
    CHECK(result.config->metrics_token->describe() == "file:token.txt");
  }
  SECTION("an empty environment variable is an error naming the variable") {
    setenv("TANDEM_TEST_METRICS_TOKEN", "", 1);
    const auto result =
        parse_config(config_with("", "http: {metrics_token: {env: TANDEM_TEST_METRICS_TOKEN}}\n"), dir.path());
    CHECK(error_texts(result) ==
          std::vector<std::string>{"http.metrics_token: environment variable TANDEM_TEST_METRICS_TOKEN is empty"});
  }
  unsetenv("TANDEM_TEST_METRICS_TOKEN");
}

TEST_CASE("Secret values never appear in error texts") {
  const temp_dir dir;
  dir.write("token.txt", "file-secret-value\n");
  setenv("TANDEM_TEST_METRICS_TOKEN", "env-secret-value", 1);
  const std::vector<std::string> configs{
      config_with("      - {id: dee, name: Dee, org: nope}\n",
                  "http: {listen: bad, metrics_token: {env: TANDEM_TEST_METRICS_TOKEN}}\n"),
      config_with("      - {id: dee, name: Dee, org: nope}\n",
                  "http: {listen: bad, metrics_token: {file: token.txt}}\n"),
      config_with("", "http: {metrics_token: literal-secret-value}\n"),
      config_with("", "http: {metrics_token: {env: TANDEM_TEST_METRICS_TOKEN, file: token.txt}}\n"),
  };
  for (const std::string& yaml : configs) {
    const auto texts = error_texts(parse_config(yaml, dir.path()));
    CHECK_FALSE(texts.empty());
    for (const std::string& text : texts) {
      CHECK(text.find("secret-value") == std::string::npos);
    }
  }
  unsetenv("TANDEM_TEST_METRICS_TOKEN");
}

TEST_CASE("The store is a SQLite file by default, or a PostgreSQL database named by its URL") {
  const temp_dir dir;
  dir.write("db-password.txt", "pg-secret-value\n");
  setenv("TANDEM_TEST_STORE_URL", "postgresql://tandem@db.internal/tandem?sslmode=verify-full", 1);

  SECTION("a plain path is a SQLite file beside the config") {
    const auto result = parse_config(config_with("", "store: data/bot.db\n"), dir.path());
    REQUIRE(error_texts(result).empty());
    CHECK_FALSE(result.config->store.postgresql);
    CHECK(result.config->store.sqlite_file == dir.path() / "data" / "bot.db");
  }
  SECTION("a postgresql:// URL is a PostgreSQL database, with libpq's password") {
    const auto result = parse_config(config_with("", "store: postgresql://tandem@db.internal/tandem\n"), dir.path());
    REQUIRE(error_texts(result).empty());
    REQUIRE(result.config->store.postgresql);
    CHECK(result.config->store.postgresql->url.reveal() == "postgresql://tandem@db.internal/tandem");
    CHECK_FALSE(result.config->store.postgresql->password);
    CHECK(result.config->store.describe() == "postgresql://tandem@db.internal/tandem");
  }
  SECTION("the URL and the password as secrets, from the environment and a file") {
    const auto result = parse_config(
        config_with("", "store: {postgresql: {env: TANDEM_TEST_STORE_URL}, password: {file: db-password.txt}}\n"),
        dir.path());
    REQUIRE(error_texts(result).empty());
    REQUIRE(result.config->store.postgresql);
    CHECK(result.config->store.postgresql->url.reveal() ==
          "postgresql://tandem@db.internal/tandem?sslmode=verify-full");
    REQUIRE(result.config->store.postgresql->password);
    CHECK(result.config->store.postgresql->password->reveal() == "pg-secret-value");
  }
  SECTION("a password written into the URL in the config is refused, and not repeated") {
    const auto result =
        parse_config(config_with("", "store: postgresql://tandem:pg-secret-value@db/tandem\n"), dir.path());
    REQUIRE(error_texts(result).size() == 1);
    CHECK_THAT(error_texts(result).front(), Catch::StartsWith("store: the URL holds a password"));
    CHECK(error_texts(result).front().find("pg-secret-value") == std::string::npos);
  }
  SECTION("a password in a URL from a secret is allowed, and left out of the store's description") {
    setenv("TANDEM_TEST_STORE_URL", "postgresql://tandem:pg-secret-value@db.internal:5433/tandem", 1);
    const auto result =
        parse_config(config_with("", "store: {postgresql: {env: TANDEM_TEST_STORE_URL}}\n"), dir.path());
    REQUIRE(error_texts(result).empty());
    CHECK(result.config->store.describe() == "postgresql://tandem@db.internal:5433/tandem");
  }
  SECTION("a mapping without a URL, or with a URL of another kind, or an unknown key, is an error") {
    CHECK(error_texts(parse_config(config_with("", "store: {password: {file: db-password.txt}}\n"), dir.path())) ==
          std::vector<std::string>{
              "store.postgresql: is missing: write a SQLite file (tandem.db), a PostgreSQL URL "
              "(postgresql://tandem@db.internal/tandem), or a mapping {sqlite: FILE} or {postgresql: URL, password: "
              "{env: NAME}}, with keep_text"});
    setenv("TANDEM_TEST_STORE_URL", "mysql://tandem@db/tandem", 1);
    CHECK(
        error_texts(parse_config(config_with("", "store: {postgresql: {env: TANDEM_TEST_STORE_URL}}\n"), dir.path())) ==
        std::vector<std::string>{
            "store.postgresql: the URL from env:TANDEM_TEST_STORE_URL does not start with postgresql://"});
    const auto unknown =
        error_texts(parse_config(config_with("", "store: {postgresql: postgresql://db/t, pasword: x}\n"), dir.path()));
    REQUIRE(unknown.size() == 1);
    CHECK_THAT(unknown.front(), Catch::Contains("pasword") && Catch::Contains("did you mean \"password\""));
  }
  SECTION("text is kept 90 days by default; keep_text says otherwise, or forever") {
    const auto by_default = parse_config(config_with("", "store: data/bot.db\n"), dir.path());
    REQUIRE(error_texts(by_default).empty());
    CHECK(by_default.config->store.keep_text == std::chrono::days{90});
    const auto shorter = parse_config(config_with("", "store: {sqlite: bot.db, keep_text: 30d}\n"), dir.path());
    REQUIRE(error_texts(shorter).empty());
    CHECK(shorter.config->store.keep_text == std::chrono::days{30});
    CHECK(shorter.config->store.sqlite_file == dir.path() / "bot.db");
    const auto forever = parse_config(
        config_with("", "store: {postgresql: postgresql://db/tandem, keep_text: forever}\n"), dir.path());
    REQUIRE(error_texts(forever).empty());
    CHECK_FALSE(forever.config->store.keep_text);
    CHECK(forever.config->store.postgresql);
    CHECK(error_texts(parse_config(config_with("", "store: {keep_text: 0}\n"), dir.path())) ==
          std::vector<std::string>{
              "store.keep_text: 0 would forget every text at once: write a duration such as 90d, or forever"});
    CHECK(error_texts(parse_config(config_with("", "store: {sqlite: a.db, postgresql: postgresql://db/t}\n"), dir.path())) ==
          std::vector<std::string>{"store: give either sqlite or postgresql (with its password), not both"});
  }
  unsetenv("TANDEM_TEST_STORE_URL");
}

TEST_CASE("A person in two collaborations is one person, whose details must agree") {
  const std::string second =
      "  - id: lake\n"
      "    name: Lake\n"
      "    organizations: [{id: town, name: Town}]\n"
      "    people:\n";
  SECTION("a later entry may leave the details out") {
    const auto result =
        parse(config_with("") + second + "      - {id: ana, org: town, roles: [facilitator, representative]}\n");
    REQUIRE(error_texts(result).empty());
    const world& seed = result.config->seed;
    CHECK(seed.people.size() == 3);
    CHECK(seed.people.at("ana").time_zone == "Europe/Berlin");
    CHECK(seed.memberships.at({"lake", "ana"}).organization == "town");
    CHECK(collaborations_of(seed, "ana") == std::vector<std::string>{"lake", "river"});
  }
  SECTION("details that disagree are an error") {
    const auto result =
        parse(config_with("") + second + "      - {id: ana, org: town, roles: [facilitator], tz: UTC}\n");
    CHECK(
        error_texts(result) ==
        std::vector<std::string>{R"(collaborations[1].people[0].tz: person "ana" has time zone "Europe/Berlin" at )"
                                 "collaborations[0].people[0]; a person's details must agree in every collaboration"});
  }
}

TEST_CASE("New config entries become save actions, each followed by an audit line by config") {
  const world seed = demo_seed();
  const auto result = reconcile_with_store(seed, world{}, noon);
  CHECK(result.conflicts.empty());
  // 1 collaboration, 3 organizations, 8 people, 8 memberships, 4 tier policies: a save and an audit each.
  CHECK(result.additions.size() == std::size_t{2} * (1 + 3 + 8 + 8 + 4));
  CHECK(std::holds_alternative<save_collaboration>(result.additions.front()));
  for (std::size_t i = 1; i < result.additions.size(); i += 2) {
    const auto* audit = std::get_if<record_audit>(&result.additions[i]);
    REQUIRE(audit != nullptr);
    CHECK(audit->value.actor == "config");
    CHECK(audit->value.action == "config.add");
    CHECK(audit->value.at == noon);
  }
  CHECK(std::get<record_audit>(result.additions[1]).value ==
        audit_entry{noon, "river", "config", "config.add", R"(collaboration river "River Restoration Alliance")"});

  world applied;
  apply_to_world(applied, result.additions);
  CHECK(applied.collaborations == seed.collaborations);
  CHECK(applied.organizations == seed.organizations);
  CHECK(applied.people == seed.people);
  CHECK(applied.memberships == seed.memberships);
  CHECK(applied.tiers == seed.tiers);
  CHECK(applied.audit.size() == 24);
}

TEST_CASE("Entries the same in config and store give no action and no conflict") {
  const world seed = demo_seed();
  const auto result = reconcile_with_store(seed, seed, noon);
  CHECK(result.additions.empty());
  CHECK(result.conflicts.empty());
}

TEST_CASE("Entries that differ give a conflict line and no action: the store wins") {
  const world seed = demo_seed();
  world stored = seed;
  stored.people.at("ana").time_zone = "Europe/Paris";
  stored.memberships.at({"river", "ben"}).tier = tier::informed;
  stored.memberships.at({"river", "carla"}).roles = {role::participant};
  stored.organizations.at({"river", "city"}).name = "Millbrook City Council";
  const auto result = reconcile_with_store(seed, stored, noon);
  CHECK(result.additions.empty());
  const std::string command = " (the store wins; change it with a command)";
  const std::string wins = " (the store wins)";
  CHECK(
      result.conflicts ==
      std::vector<std::string>{
          R"(organization river/city: config says name "City of Millbrook", store has "Millbrook City Council")" + wins,
          R"(person ana: config says time zone "Europe/Berlin", store has "Europe/Paris")" + command,
          "membership ben in river: config says tier core, store has informed" + command,
          "membership carla in river: config says roles representative, store has participant" + command,
      });
}

TEST_CASE("A tz written in the config is a given zone; without one the zone is the default UTC") {
  const auto result = parse(config_with(""));
  REQUIRE(result.errors.empty());
  const world& seed = result.config->seed;
  CHECK(seed.people.at("ana").time_zone == "Europe/Berlin");
  CHECK(seed.people.at("ana").time_zone_origin == zone_origin::given);
  CHECK(seed.people.at("bob").time_zone == "UTC");
  CHECK(seed.people.at("bob").time_zone_origin == zone_origin::defaulted);
}

TEST_CASE("A tz in the config replaces a stored zone nobody gave, and a stored zone someone gave wins") {
  struct row {
    const char* name;
    zone_origin stored_origin;
    bool replaced;
    const char* was;
  };
  for (const row& r : {row{"the default", zone_origin::defaulted, true, "default"},
                       row{"a learned zone", zone_origin::learned, true, "learned"},
                       row{"a given zone", zone_origin::given, false, ""}}) {
    {
      CAPTURE(r.name);
      const world seed = demo_seed();  // ana: tz Europe/Berlin
      world stored = seed;
      stored.people.at("ana").time_zone = "America/Chicago";
      stored.people.at("ana").time_zone_origin = r.stored_origin;
      stored.engagements[{"river", "ana"}] =
          engagement{"river", "ana", noon + std::chrono::hours{24}, std::nullopt, std::nullopt, std::nullopt};
      const auto result = reconcile_with_store(seed, stored, noon);
      if (!r.replaced) {
        CHECK(result.additions.empty());
        REQUIRE(result.conflicts.size() == 1);
        CHECK(result.conflicts[0] == R"(person ana: config says time zone "Europe/Berlin", store has "America/Chicago")"
                                     " (the store wins; change it with a command)");
        continue;
      }
      CHECK(result.conflicts.empty());
      person expected = stored.people.at("ana");
      expected.time_zone = "Europe/Berlin";
      expected.time_zone_origin = zone_origin::given;
      // The slot planned for 06:00 in Chicago moves to 06:00 in Berlin.
      CHECK(result.additions ==
            std::vector<action>{
                save_person{expected},
                record_audit{{noon, "river", "config", "config.change",
                              std::string(R"(person ana: time zone "America/Chicago" ()") + r.was +
                                  R"() -> "Europe/Berlin" (config))"}},
                save_engagement{engagement{"river", "ana", noon + std::chrono::hours{17}, std::nullopt, std::nullopt,
                                           std::nullopt}},
            });
    }
  }
}

TEST_CASE("A person the config gives no tz is no time zone conflict, whatever zone the store has") {
  world seed = demo_seed();
  seed.people.at("ana").time_zone = "UTC";
  seed.people.at("ana").time_zone_origin = zone_origin::defaulted;
  for (const zone_origin origin : {zone_origin::defaulted, zone_origin::learned, zone_origin::given}) {
    world stored = demo_seed();
    stored.people.at("ana").time_zone = "Asia/Tokyo";
    stored.people.at("ana").time_zone_origin = origin;
    const auto result = reconcile_with_store(seed, stored, noon);
    CHECK(result.additions.empty());
    CHECK(result.conflicts.empty());
  }
}

TEST_CASE("A tier policy edited in the config replaces the stored one: no command can change it") {
  const world seed = demo_seed();
  world stored = seed;
  stored.tiers.at(tier::core).silence_after = std::chrono::days{10};
  stored.tiers.at(tier::core).schedule = "daily 09:00";
  const auto result = reconcile_with_store(seed, stored, noon);
  CHECK(result.conflicts.empty());
  REQUIRE(result.additions.size() == 2);
  CHECK(result.additions[0] == action{save_tier_policy{tier::core, seed.tiers.at(tier::core)}});
  const auto* audit = std::get_if<record_audit>(&result.additions[1]);
  REQUIRE(audit != nullptr);
  CHECK(audit->value.action == "config.change");
  CHECK(audit->value.detail == "tier core: schedule \"daily 09:00\" -> \"" + seed.tiers.at(tier::core).schedule +
                                   "\", silence after 10d -> 7d");
}

TEST_CASE("A new identity or room for an entry the store has is added, the rest stays as stored") {
  world seed = demo_seed();
  seed.people.at("ana").identities.push_back({"matrix", "example.org", "@ana:example.org"});
  seed.collaborations.at("river").rooms.push_back({"matrix", "example.org", "!river:example.org"});
  world stored = demo_seed();
  stored.people.at("ana").time_zone = "Europe/Paris";
  const auto result = reconcile_with_store(seed, stored, noon);

  person expected_ana = stored.people.at("ana");
  expected_ana.identities.push_back({"matrix", "example.org", "@ana:example.org"});
  collaboration expected_river = stored.collaborations.at("river");
  expected_river.rooms.push_back({"matrix", "example.org", "!river:example.org"});
  CHECK(result.additions == std::vector<action>{
                                save_collaboration{expected_river},
                                record_audit{{noon, "river", "config", "config.add",
                                              "room matrix:example.org/!river:example.org in collaboration river"}},
                                save_person{expected_ana},
                                record_audit{{noon, "river", "config", "config.add",
                                              "identity matrix:example.org/@ana:example.org of person ana"}},
                            });
  CHECK(result.conflicts.size() == 1);
}

TEST_CASE("An identity the store gives to someone else is a conflict, not an addition") {
  world seed = demo_seed();
  seed.people.at("ana").identities.push_back({"console", "", "ben"});
  const auto result = reconcile_with_store(seed, demo_seed(), noon);
  CHECK(result.additions.empty());
  CHECK(result.conflicts ==
        std::vector<std::string>{
            "person ana: config lists identity console:ben, store gives it to person ben (the store wins)"});
}

}  // namespace
}  // namespace tandem
