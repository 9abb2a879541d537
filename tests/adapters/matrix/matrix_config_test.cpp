// The `adapters.matrix` section of the config file: what it accepts and every error it reports.

#include "app/config.h"
#include "support/config_snippets.h"
#include "support/source_tree.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace tandem {
namespace {

config_result parse_with(const std::string& adapters) {
  ::setenv("TANDEM_TEST_MATRIX_TOKEN", "syt_secret_token", 1);
  ::setenv("TANDEM_TEST_MATRIX_PASSWORD", "hunter2", 1);
  ::setenv("TANDEM_TEST_AS_TOKEN", "as-secret", 1);
  ::setenv("TANDEM_TEST_HS_TOKEN", "hs-secret", 1);
  ::unsetenv("TANDEM_TEST_UNSET");
  return testing::parse_with_adapters(adapters);
}

std::vector<std::string> errors_of(const config_result& result) { return testing::error_texts(result); }

TEST_CASE("a client-mode Matrix section with a token from the environment") {
  const auto result = parse_with(R"(
  matrix:
    homeserver: https://matrix.example.org/
    user_id: "@tandem:example.org"
    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}
)");
  REQUIRE(result.errors.empty());
  REQUIRE(result.config->matrix);
  const matrix_config& m = *result.config->matrix;
  CHECK_FALSE(m.appservice);
  CHECK(m.homeserver == "https://matrix.example.org");  // the trailing slash is dropped
  CHECK(m.user_id == "@tandem:example.org");
  REQUIRE(m.access_token);
  CHECK(m.access_token->reveal() == "syt_secret_token");
  CHECK(m.access_token->describe() == "env:TANDEM_TEST_MATRIX_TOKEN");
  CHECK_FALSE(m.password);
  CHECK(m.ca_file.empty());
}

TEST_CASE("no adapters.matrix section means no Matrix adapter") {
  const auto result = parse_with("  console: {enabled: true}\n");
  REQUIRE(result.errors.empty());
  CHECK_FALSE(result.config->matrix);
}

TEST_CASE("a client-mode Matrix section with a password, and a CA file for a private homeserver") {
  const auto ca = std::filesystem::temp_directory_path() / "tandem-matrix-config-test-ca.pem";
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  const auto result = parse_with(R"(
  matrix:
    mode: client
    homeserver: http://synapse:8008
    user_id: "@tandem:example.org"
    password: {env: TANDEM_TEST_MATRIX_PASSWORD}
    ca_file: tandem-matrix-config-test-ca.pem
)");
  std::filesystem::remove(ca);
  REQUIRE(result.errors.empty());
  const matrix_config& m = *result.config->matrix;
  CHECK(m.homeserver == "http://synapse:8008");
  REQUIRE(m.password);
  CHECK(m.password->reveal() == "hunter2");
  CHECK(m.ca_file == ca);
}

TEST_CASE("an appservice-mode Matrix section with both tokens") {
  const auto result = parse_with(R"(
  matrix:
    mode: appservice
    homeserver: https://matrix.example.org
    user_id: "@tandem:example.org"
    as_token: {env: TANDEM_TEST_AS_TOKEN}
    hs_token: {env: TANDEM_TEST_HS_TOKEN}
)");
  REQUIRE(result.errors.empty());
  const matrix_config& m = *result.config->matrix;
  CHECK(m.appservice);
  CHECK(m.as_token->reveal() == "as-secret");
  CHECK(m.hs_token->reveal() == "hs-secret");
}

TEST_CASE("Matrix section errors name their place") {
  using errors = std::vector<std::string>;
  CHECK(errors_of(parse_with(
            "  matrix:\n    user_id: \"@tandem:example.org\"\n    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n")) ==
        errors{"adapters.matrix.homeserver: required"});
  CHECK(errors_of(parse_with("  matrix:\n    homeserver: matrix.example.org\n    user_id: \"@tandem:example.org\"\n"
                             "    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n")) ==
        errors{"adapters.matrix.homeserver: bad URL \"matrix.example.org\" (write the homeserver's base URL, e.g. "
               "https://matrix.example.org)"});
  CHECK(errors_of(parse_with("  matrix:\n    homeserver: https://hs?x=1\n    user_id: tandem\n"
                             "    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n")) ==
        errors{"adapters.matrix.homeserver: bad URL \"https://hs?x=1\" (write the homeserver's base URL, e.g. "
               "https://matrix.example.org)",
               "adapters.matrix.user_id: bad Matrix user id \"tandem\" (write it as @tandem:example.org)"});
  CHECK(
      errors_of(parse_with("  matrix:\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n")) ==
      errors{
          "adapters.matrix: give access_token (preferred) or password, e.g. access_token: {env: MATRIX_ACCESS_TOKEN}"});
  CHECK(errors_of(parse_with(
            "  matrix:\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n    access_token: syt_literal\n")) ==
        errors{"adapters.matrix.access_token: write secrets as {env: NAME} or {file: PATH}, never in the file"});
  CHECK(errors_of(parse_with("  matrix:\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n"
                             "    access_token: {env: TANDEM_TEST_UNSET}\n")) ==
        errors{"adapters.matrix.access_token: environment variable TANDEM_TEST_UNSET is not set"});
  CHECK(errors_of(parse_with(
            "  matrix:\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n"
            "    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n    hs_token: {env: TANDEM_TEST_HS_TOKEN}\n")) ==
        errors{"adapters.matrix.hs_token: only for mode appservice"});
  CHECK(errors_of(parse_with(
            "  matrix:\n    mode: appservice\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n"
            "    password: {env: TANDEM_TEST_MATRIX_PASSWORD}\n    as_token: {env: TANDEM_TEST_AS_TOKEN}\n")) ==
        errors{"adapters.matrix.password: only for mode client (an appservice signs in with as_token)",
               "adapters.matrix.hs_token: required in mode appservice (tandem matrix-registration makes both)"});
  CHECK(errors_of(parse_with("  matrix:\n    mode: bridge\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n"
                             "    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n")) ==
        errors{"adapters.matrix.mode: unknown mode \"bridge\" (allowed: client, appservice)"});
  CHECK(errors_of(parse_with("  matrix:\n    homeserver: https://hs\n    userid: \"@t:hs\"\n"
                             "    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n")) ==
        errors{"adapters.matrix.userid: unknown key (did you mean \"user_id\"?)", "adapters.matrix.user_id: required"});
  CHECK(errors_of(parse_with("  matrix:\n    homeserver: https://hs\n    user_id: \"@t:hs\"\n"
                             "    access_token: {env: TANDEM_TEST_MATRIX_TOKEN}\n    ca_file: missing.pem\n")) ==
        errors{"adapters.matrix.ca_file: file \"" + (std::filesystem::temp_directory_path() / "missing.pem").string() +
               "\" does not exist"});
  CHECK(errors_of(parse_with("  matrix: yes\n")) == errors{"adapters.matrix: expected a mapping, got a single value"});
}

}  // namespace
}  // namespace tandem

namespace tandem {
namespace {

TEST_CASE("deploy/matrix/matrix.yaml is a complete client-mode config reading its token from MATRIX_ACCESS_TOKEN") {
  ::setenv("MATRIX_ACCESS_TOKEN", "syt_from_the_environment", 1);
  const auto result = load_config(tandem::testing::source_tree() / "deploy" / "matrix" / "matrix.yaml");
  ::unsetenv("MATRIX_ACCESS_TOKEN");
  CHECK(errors_of(result).empty());
  REQUIRE(result.config);
  REQUIRE(result.config->matrix);
  const matrix_config& m = *result.config->matrix;
  CHECK_FALSE(m.appservice);
  CHECK(m.homeserver == "http://synapse:8008");
  CHECK(m.access_token->reveal() == "syt_from_the_environment");
  CHECK(m.access_token->describe() == "env:MATRIX_ACCESS_TOKEN");
  CHECK_FALSE(result.config->console_enabled);
  for (const auto& [id, p] : result.config->seed.people) {
    REQUIRE_FALSE(p.identities.empty());
    CHECK(p.identities.front().platform == "matrix");
    CHECK(p.identities.front().workspace == "localhost");  // the server name of user_id
  }
}

}  // namespace
}  // namespace tandem
