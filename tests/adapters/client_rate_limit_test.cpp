#include "adapters/http/client_rate_limit.h"

#include "adapters/http/http_client.h"
#include "adapters/http/http_server.h"
#include "adapters/metrics/metrics_registry.h"
#include "support/run_until.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

/// A server on 127.0.0.1 whose "/act/" and "/dashboard/sign-in/" paths are rate-limited (its own
/// address trusted as a proxy, so tests name clients with X-Forwarded-For), and a real client, on
/// one io_context run by the test. The limiter's clock is `now`, moved by the test.
class limited_server {
 public:
  explicit limited_server(rate_limit_options limits)
      : limiter_(std::make_shared<client_rate_limiter>(std::move(limits), [this] { return now; })),
        server_(io_, options()),
        client_(io_, http_client_options{}) {
    for (const char* path : {"/act/*", "/dashboard/sign-in/*", "/healthz"}) {
      server_.route("GET", path, [this](http_request, http_respond respond) {
        ++handled;
        respond(text_response(200, "ok\n"));
      });
    }
    port_ = server_.start();
  }
  ~limited_server() {
    server_.stop();
    testing::run_until(io_, [] { return false; }, 100ms);
  }
  limited_server(const limited_server&) = delete;
  limited_server& operator=(const limited_server&) = delete;

  /// GET `target` as `client` (sent as X-Forwarded-For; none when empty).
  client_response get(const std::string& target, const std::string& client = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!client.empty()) headers.emplace_back("X-Forwarded-For", client);
    std::optional<client_result> result;
    client_.send(client_request{"GET", "http://127.0.0.1:" + std::to_string(port_) + target, std::move(headers), "",
                                std::nullopt},
                 [&](client_result r) { result = std::move(r); });
    REQUIRE(testing::run_until(io_, [&] { return result.has_value(); }));
    REQUIRE(std::holds_alternative<client_response>(*result));
    return std::get<client_response>(*result);
  }

  std::chrono::steady_clock::time_point now{};
  int handled = 0;
  metrics_registry metrics;

 private:
  http_server_options options() {
    http_server_options o;
    o.port = 0;
    o.metrics = &metrics;
    o.rate_limited_paths = {"/act/", "/dashboard/sign-in/"};
    o.rate_limiter = limiter_;
    return o;
  }

  boost::asio::io_context io_;
  std::shared_ptr<client_rate_limiter> limiter_;
  http_server server_;
  http_client client_;
  std::uint16_t port_ = 0;
};

rate_limit_options three_then_one_every_ten_seconds(std::vector<std::string> trusted = {"127.0.0.1"}) {
  rate_limit_options o;
  o.burst = 3;
  o.per_minute = 6;
  o.trusted_proxies = std::move(trusted);
  return o;
}

http_request from(std::string remote, std::string forwarded = "") {
  http_request r;
  r.method = "GET";
  r.path = "/act/x";
  r.remote = std::move(remote);
  if (!forwarded.empty()) r.headers["x-forwarded-for"] = std::move(forwarded);
  return r;
}

}  // namespace

TEST_CASE("a burst beyond a client's limit is answered 429 with Retry-After and never reaches the handler") {
  limited_server server(three_then_one_every_ten_seconds());
  for (int i = 0; i < 3; ++i) CHECK(server.get("/act/token-" + std::to_string(i), "198.51.100.7").status == 200);
  const auto refused = server.get("/act/token-3", "198.51.100.7");
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after") == "10");
  CHECK(server.get("/dashboard/sign-in/abc", "198.51.100.7").status == 429);  // one budget for every token path
  CHECK(server.handled == 3);
  CHECK(server.metrics.render().find("tandem_http_rate_limited_total 2") != std::string::npos);
}

TEST_CASE("another client is not limited by one that is") {
  limited_server server(three_then_one_every_ten_seconds());
  for (int i = 0; i < 4; ++i) (void)server.get("/act/t", "198.51.100.7");
  CHECK(server.get("/act/t", "198.51.100.7").status == 429);
  CHECK(server.get("/act/t", "203.0.113.9").status == 200);
  CHECK(server.get("/dashboard/sign-in/t", "2001:db8:1:2::99").status == 200);
}

TEST_CASE("a limited client may ask again once its bucket has refilled, and Retry-After says when") {
  limited_server server(three_then_one_every_ten_seconds());
  for (int i = 0; i < 3; ++i) (void)server.get("/act/t", "198.51.100.7");
  CHECK(server.get("/act/t", "198.51.100.7").header("retry-after") == "10");
  server.now += 4s;
  CHECK(server.get("/act/t", "198.51.100.7").header("retry-after") == "6");
  server.now += 6s;
  CHECK(server.get("/act/t", "198.51.100.7").status == 200);
  CHECK(server.get("/act/t", "198.51.100.7").status == 429);
  server.now += 1h;  // a bucket never holds more than its burst
  for (int i = 0; i < 3; ++i) CHECK(server.get("/act/t", "198.51.100.7").status == 200);
  CHECK(server.get("/act/t", "198.51.100.7").status == 429);
}

TEST_CASE("paths that take no token are not rate-limited") {
  limited_server server(three_then_one_every_ten_seconds());
  for (int i = 0; i < 4; ++i) (void)server.get("/act/t", "198.51.100.7");
  for (int i = 0; i < 5; ++i) CHECK(server.get("/healthz", "198.51.100.7").status == 200);
}

TEST_CASE("X-Forwarded-For from a peer that is not a trusted proxy is ignored: the peer is the client") {
  limited_server server(three_then_one_every_ten_seconds({"10.0.0.1"}));
  for (int i = 0; i < 3; ++i) CHECK(server.get("/act/t", "198.51.100." + std::to_string(i)).status == 200);
  CHECK(server.get("/act/t", "198.51.100.200").status == 429);
}

TEST_CASE("the client is the right-most forwarded address that is not a trusted proxy") {
  const client_rate_limiter limiter(three_then_one_every_ten_seconds({"127.0.0.1", "10.0.0.0/8", "::1"}));
  // What the client wrote itself (198.51.100.1) is left of what our proxies vouch for.
  CHECK(limiter.client_of(from("127.0.0.1:4000", "198.51.100.1, 203.0.113.5, 10.1.2.3")) == "203.0.113.5");
  CHECK(limiter.client_of(from("[::1]:4000", "203.0.113.5")) == "203.0.113.5");
  CHECK(limiter.client_of(from("[::ffff:127.0.0.1]:4000", "203.0.113.5:5555")) == "203.0.113.5");
  CHECK(limiter.client_of(from("127.0.0.1:4000")) == "127.0.0.1");
  CHECK(limiter.client_of(from("127.0.0.1:4000", "10.0.0.7")) == "127.0.0.1");       // only proxies: the peer
  CHECK(limiter.client_of(from("127.0.0.1:4000", "not-an-address")) == "127.0.0.1");  // garbage is not believed
  CHECK(limiter.client_of(from("198.51.100.9:4000", "203.0.113.5")) == "198.51.100.9");  // not a trusted peer
}

TEST_CASE("an IPv6 client is its /64 network, so one host cannot take a fresh bucket per address") {
  const client_rate_limiter limiter(three_then_one_every_ten_seconds({}));
  CHECK(limiter.client_of(from("[2001:db8:1:2::1]:4000")) == "2001:db8:1:2::/64");
  CHECK(limiter.client_of(from("[2001:db8:1:2:ffff::9]:4000")) == "2001:db8:1:2::/64");
  CHECK(limiter.client_of(from("[2001:db8:1:3::1]:4000")) == "2001:db8:1:3::/64");
}

TEST_CASE("the limiter keeps at most max_clients buckets, forgetting the least recently seen") {
  auto options = three_then_one_every_ten_seconds({});
  options.max_clients = 2;
  client_rate_limiter limiter(options, [] { return std::chrono::steady_clock::time_point{}; });
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit(from("198.51.100.1:1")));
  CHECK(limiter.admit(from("198.51.100.1:1")));
  CHECK_FALSE(limiter.admit(from("198.51.100.2:1")));  // .2 keeps two requests
  CHECK(limiter.admit(from("198.51.100.1:1")));        // .1 seen last: .2 is the oldest
  CHECK_FALSE(limiter.admit(from("198.51.100.3:1")));  // forgets .2
  CHECK(limiter.clients() == 2);
  CHECK(limiter.admit(from("198.51.100.1:1")));  // .1 was kept, still limited
  // .2 starts over with a whole bucket: three requests, where the kept bucket had two.
  for (int i = 0; i < 3; ++i) CHECK_FALSE(limiter.admit(from("198.51.100.2:1")));
  CHECK(limiter.clients() == 2);
}

TEST_CASE("trusted proxies are addresses or networks; a limiter refuses anything else and a budget of nothing") {
  CHECK(is_address_or_network("10.0.0.1"));
  CHECK(is_address_or_network("10.0.0.0/8"));
  CHECK(is_address_or_network("::1"));
  CHECK(is_address_or_network("fd00::/8"));
  CHECK_FALSE(is_address_or_network("proxy.example.org"));
  CHECK_FALSE(is_address_or_network("10.0.0.0/33"));
  CHECK_FALSE(is_address_or_network("10.0.0.0/"));
  CHECK_FALSE(is_address_or_network("10.0.0.0/8x"));
  CHECK_THROWS_AS(client_rate_limiter(three_then_one_every_ten_seconds({"proxy.example.org"})), std::invalid_argument);
  auto none = three_then_one_every_ten_seconds();
  none.burst = 0;
  CHECK_THROWS_AS(client_rate_limiter(none), std::invalid_argument);
  auto never_refills = three_then_one_every_ten_seconds();
  never_refills.per_minute = 0;
  CHECK_THROWS_AS(client_rate_limiter(never_refills), std::invalid_argument);
}

TEST_CASE("a trusted network matches its addresses only") {
  const client_rate_limiter limiter(three_then_one_every_ten_seconds({"10.1.0.0/16", "fd00::/8"}));
  CHECK(limiter.client_of(from("10.1.200.3:1", "203.0.113.5")) == "203.0.113.5");
  CHECK(limiter.client_of(from("10.2.0.1:1", "203.0.113.5")) == "10.2.0.1");
  CHECK(limiter.client_of(from("[fd12::1]:1", "203.0.113.5")) == "203.0.113.5");
  CHECK(limiter.client_of(from("[fe80::1]:1", "203.0.113.5")) == "fe80::/64");
}
