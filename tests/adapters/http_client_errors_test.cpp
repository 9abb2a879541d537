// The http_client's errors: each failure comes back as one client_error of the right kind, and
// status codes such as 429 come back as responses for the adapter to interpret.
#include "adapters/http_client_fixture.h"

#include <boost/asio/ip/tcp.hpp>

#include <string>

using http_client_testing::client_fixture;
using http_client_testing::error_of;
using http_client_testing::get;
using http_client_testing::response_of;
using http_client_testing::trusting_test_ca;
using tandem::client_error;
using tandem::testing::connection_action;
using tandem::testing::local_https_server;
using tandem::testing::scripted_response;

TEST_CASE("a server that never answers times out with kind timeout; the message names no path or query") {
  local_https_server server;
  auto held = scripted_response::text(200, "too late");
  held.then = connection_action::never_answer;
  server.expect(held);
  client_fixture fixture;

  auto request = get(server.url("/_matrix/client/v3/sync?access_token=secret-token"));
  request.timeout = std::chrono::milliseconds{200};
  const auto error = error_of(fixture.fetch(request));

  CHECK(error.what == client_error::kind::timeout);
  CHECK_THAT(error.message, Catch::StartsWith("GET https://localhost:" + std::to_string(server.port())));
  CHECK_THAT(error.message, !Catch::Contains("sync"));
  CHECK_THAT(error.message, !Catch::Contains("secret-token"));
}

TEST_CASE("a response body over body_limit fails with kind body_too_large") {
  local_https_server server;
  server.expect(scripted_response::text(200, std::string(4096, 'x')));
  auto options = trusting_test_ca();
  options.body_limit = 1024;
  client_fixture fixture(options);

  const auto error = error_of(fixture.fetch(get(server.url("/big"))));

  CHECK(error.what == client_error::kind::body_too_large);
}

TEST_CASE("a body exactly at body_limit is accepted") {
  local_https_server server;
  server.expect(scripted_response::text(200, std::string(1024, 'x')));
  auto options = trusting_test_ca();
  options.body_limit = 1024;
  client_fixture fixture(options);

  CHECK(response_of(fixture.fetch(get(server.url("/big")))).body.size() == 1024);
}

TEST_CASE("a malformed URL, method or header field fails with kind bad_url and sends nothing") {
  const auto url =
      GENERATE(as<std::string>{}, "", "slack.com/api/chat.postMessage", "ftp://example.org/", "https://",
               "https:///path", "https://user:password@example.org/", "https://example.org:0/",
               "https://example.org:99999/", "https://example.org:80a/", "https://exa mple.org/", "https://[::1/",
               "https://[nonsense]/", "https://ex\xc3\xa4mple.org/", "https://example.org/\r\nX: y");
  client_fixture fixture;
  const auto error = error_of(fixture.fetch(get(url)));
  INFO(url);
  CHECK(error.what == client_error::kind::bad_url);
}

TEST_CASE("a header field with a line break or a method with a space fails with kind bad_url") {
  local_https_server server;
  client_fixture fixture;

  auto injected = get(server.url("/"));
  injected.headers.emplace_back("X-Note", "a\r\nX-Injected: yes");
  CHECK(error_of(fixture.fetch(injected)).what == client_error::kind::bad_url);

  auto bad_name = get(server.url("/"));
  bad_name.headers.emplace_back("Bad Name", "x");
  CHECK(error_of(fixture.fetch(bad_name)).what == client_error::kind::bad_url);

  auto bad_method = get(server.url("/"));
  bad_method.method = "GET /evil";
  CHECK(error_of(fixture.fetch(bad_method)).what == client_error::kind::bad_url);

  CHECK(server.connections_accepted() == 0);
}

TEST_CASE("429 with Retry-After comes back as a response with its status and header") {
  local_https_server server;
  server.expect(scripted_response::json(429, R"({"ok":false,"error":"ratelimited"})").with_header("Retry-After", "30"));
  client_fixture fixture;

  const auto response = response_of(fixture.fetch(get(server.url("/api/chat.postMessage"))));

  CHECK(response.status == 429);
  REQUIRE(response.header("retry-after"));
  const auto wait = tandem::parse_retry_after(*response.header("Retry-After"), std::chrono::sys_seconds{});
  CHECK(wait == std::chrono::seconds{30});
  CHECK(response.body == R"({"ok":false,"error":"ratelimited"})");
}

TEST_CASE("a 5xx response comes back as a response, not as an error") {
  local_https_server server;
  server.expect(scripted_response::text(503, "maintenance"));
  client_fixture fixture;

  const auto response = response_of(fixture.fetch(get(server.url("/"))));

  CHECK(response.status == 503);
  CHECK(response.body == "maintenance");
}

TEST_CASE("a response that is not HTTP fails with kind protocol") {
  local_https_server server;
  auto garbage = scripted_response{};
  garbage.raw = "SMTP ready\r\n\r\n";
  garbage.then = connection_action::close_after_answer;
  server.expect(garbage);
  client_fixture fixture;

  const auto error = error_of(fixture.fetch(get(server.url("/"))));

  CHECK(error.what == client_error::kind::protocol);
}

TEST_CASE("a port where nothing listens fails with kind connect") {
  std::uint16_t closed_port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io,
                                         boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  client_fixture fixture;

  const auto error = error_of(fixture.fetch(get("http://127.0.0.1:" + std::to_string(closed_port) + "/")));

  CHECK(error.what == client_error::kind::connect);
}

TEST_CASE("a response carries its status, lowercased headers and repeated headers joined") {
  local_https_server server;
  server.expect(scripted_response::text(200, "ok")
                    .with_header("X-Multi", "a")
                    .with_header("x-multi", "b")
                    .with_header("X-RateLimit-Remaining", "7"));
  client_fixture fixture;

  const auto response = response_of(fixture.fetch(get(server.url("/"))));

  CHECK(response.headers.at("x-multi") == "a, b");
  CHECK(response.headers.at("x-ratelimit-remaining") == "7");
  CHECK(response.header("X-RATELIMIT-REMAINING") == "7");
  CHECK_FALSE(response.header("absent"));
}
