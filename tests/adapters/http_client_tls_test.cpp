// The http_client over TLS: it trusts only verified peers with certificates for the URL's host.
#include "adapters/http_client_fixture.h"

#include <stdexcept>
#include <string>

using http_client_testing::client_fixture;
using http_client_testing::error_of;
using http_client_testing::get;
using http_client_testing::response_of;
using http_client_testing::trusting_test_ca;
using tandem::client_error;
using tandem::testing::local_https_server;
using tandem::testing::local_server_options;
using tandem::testing::scripted_response;
using tandem::testing::test_certificates;

TEST_CASE("a GET over TLS to a server with a certificate from a trusted CA returns its response") {
  local_https_server server;
  server.expect(scripted_response::json(200, R"({"ok":true})").with_header("X-Slack-Req", "abc"));
  client_fixture fixture;

  auto request = get(server.url("/api/auth.test?check=1"));
  request.headers.emplace_back("Authorization", "Bearer xoxb-test");
  const auto response = response_of(fixture.fetch(request));

  CHECK(response.status == 200);
  CHECK(response.body == R"({"ok":true})");
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.headers.at("x-slack-req") == "abc");
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/api/auth.test?check=1");
  CHECK(seen[0].header("host") == "localhost:" + std::to_string(server.port()));
  CHECK(seen[0].header("authorization") == "Bearer xoxb-test");
  CHECK(seen[0].header("user-agent") == tandem::default_user_agent());
  CHECK(tandem::default_user_agent().starts_with("Tandem/"));
}

TEST_CASE("the client sends the URL's host name as TLS server name (SNI)") {
  local_https_server server;
  server.expect(scripted_response::text(200, "ok"));
  client_fixture fixture;

  response_of(fixture.fetch(get(server.url("/"))));

  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].server_name == "localhost");
}

TEST_CASE("a URL with an IP address is verified against the certificate's IP and sends no SNI") {
  local_https_server server;
  server.expect(scripted_response::text(200, "ok"));
  client_fixture fixture;

  const auto response = response_of(fixture.fetch(get("https://127.0.0.1:" + std::to_string(server.port()) + "/")));

  CHECK(response.status == 200);
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].server_name.empty());
}

TEST_CASE("a server whose certificate comes from an untrusted CA is refused with kind tls") {
  local_server_options options;
  options.identity = test_certificates::shared().untrusted_localhost();
  local_https_server server(options);
  client_fixture fixture;

  const auto error = error_of(fixture.fetch(get(server.url("/"))));

  CHECK(error.what == client_error::kind::tls);
  CHECK_THAT(error.message, Catch::Contains("certificate verify failed"));
  CHECK(server.requests().empty());
}

TEST_CASE("a certificate for another host name is refused with kind tls") {
  local_server_options options;
  options.identity = test_certificates::shared().wrong_host();
  local_https_server server(options);
  client_fixture fixture;

  const auto error = error_of(fixture.fetch(get(server.url("/"))));

  CHECK(error.what == client_error::kind::tls);
  CHECK_THAT(error.message, Catch::Contains("hostname mismatch"));
  CHECK(server.requests().empty());
}

TEST_CASE("without the test CA in extra_ca_file the system store alone does not trust the server") {
  local_https_server server;
  client_fixture fixture(tandem::http_client_options{});

  const auto error = error_of(fixture.fetch(get(server.url("/"))));

  CHECK(error.what == client_error::kind::tls);
  CHECK(server.requests().empty());
}

TEST_CASE("a client whose extra CA file cannot be loaded is not created") {
  boost::asio::io_context io;
  auto options = trusting_test_ca();
  options.extra_ca_file = "/nonexistent/tandem-ca.pem";
  CHECK_THROWS_AS(tandem::http_client(io, options), std::runtime_error);
}
