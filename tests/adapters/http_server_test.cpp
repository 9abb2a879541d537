#include "adapters/http/http_server.h"

#include "adapters/metrics/metrics_registry.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using tandem::http_request;
using tandem::http_respond;
using tandem::http_response;
using tandem::text_response;

// Bounds every client operation, so that a broken server fails a test instead of hanging it.
constexpr std::chrono::seconds client_deadline{10};

// Log lines the server wrote, as "level: message".
class log_record {
 public:
  void add(std::string_view level, std::string_view message) {
    const std::lock_guard lock(mutex_);
    lines_.push_back(std::string(level) + ": " + std::string(message));
  }
  std::vector<std::string> lines() const {
    const std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// A server on 127.0.0.1 with a free port, its io_context run by a background thread.
class test_server {
 public:
  explicit test_server(tandem::http_server_options options = {})
      : log_(std::make_shared<log_record>()), server_(io_, with_test_defaults(std::move(options))) {}

  ~test_server() { stop_and_join(); }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;

  tandem::http_server& server() { return server_; }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> log_lines() const { return log_->lines(); }

  void start() {
    port_ = server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }

  // Stops the server and waits until its io_context has nothing left to do.
  void stop_and_join() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  tandem::http_server_options with_test_defaults(tandem::http_server_options options) {
    options.address = "127.0.0.1";
    options.port = 0;
    options.log = [log = log_](std::string_view level, std::string_view message) { log->add(level, message); };
    return options;
  }

  std::shared_ptr<log_record> log_;
  net::io_context io_;
  tandem::http_server server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

// A synchronous-looking client: each call runs one operation to completion or to the deadline.
class test_client {
 public:
  beast::error_code connect(std::uint16_t port) {
    return run(
        [&](auto handler) { stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), handler); });
  }

  void send(bhttp::request<bhttp::string_body> request) {
    request.set(bhttp::field::host, "127.0.0.1");
    request.prepare_payload();
    REQUIRE_FALSE(run([&](auto handler) { bhttp::async_write(stream_, request, handler); }));
  }

  void send_raw(const std::string& bytes) {
    REQUIRE_FALSE(run([&](auto handler) { net::async_write(stream_, net::buffer(bytes), handler); }));
  }

  bhttp::response<bhttp::string_body> receive() {
    bhttp::response<bhttp::string_body> response;
    const auto ec = run([&](auto handler) { bhttp::async_read(stream_, buffer_, response, handler); });
    INFO(ec.message());
    REQUIRE_FALSE(ec);
    return response;
  }

  bhttp::response<bhttp::string_body> request(bhttp::verb method, const std::string& target, std::string body = {}) {
    bhttp::request<bhttp::string_body> message{method, target, 11};
    message.body() = std::move(body);
    send(std::move(message));
    return receive();
  }

  // Reads every byte until the server ends the connection.
  std::string receive_until_end() {
    std::string bytes(buffer_.size(), '\0');
    net::buffer_copy(net::buffer(bytes), buffer_.data());
    buffer_.consume(buffer_.size());
    std::array<char, 1024> chunk{};
    for (;;) {
      std::size_t read = 0;
      const auto ec = run([&](auto handler) {
        stream_.async_read_some(net::buffer(chunk), [&read, handler](beast::error_code e, std::size_t n) {
          read = n;
          handler(e);
        });
      });
      bytes.append(chunk.data(), read);
      if (ec) return bytes;
    }
  }

  // Reads and discards until the server ends the connection; returns how it ended.
  beast::error_code wait_for_end() {
    std::array<char, 1024> discard{};
    beast::error_code ec;
    while (!ec) {
      ec = run([&](auto handler) { stream_.async_read_some(net::buffer(discard), handler); });
    }
    return ec;
  }

 private:
  template <class Start>
  beast::error_code run(Start start) {
    beast::error_code result;
    stream_.expires_after(client_deadline);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  net::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
};

tandem::http_handler answer(unsigned status, std::string body) {
  return [status, body](http_request, http_respond respond) { respond(text_response(status, body)); };
}

bool server_ended(const beast::error_code& ec) { return ec == net::error::eof || ec == net::error::connection_reset; }

}  // namespace

TEST_CASE("a GET to a routed path returns the handler's response") {
  test_server server;
  server.server().route("GET", "/healthz", [](http_request, http_respond respond) {
    auto response = text_response(200, "ok\n");
    response.headers.emplace_back("X-Check", "yes");
    respond(std::move(response));
  });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::get, "/healthz");
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "ok\n");
  CHECK(response[bhttp::field::content_type] == "text/plain; charset=utf-8");
  CHECK(response["X-Check"] == "yes");
}

TEST_CASE("a handler sees the method, path, decoded query, lowercased headers, body and peer") {
  test_server server;
  std::promise<http_request> seen;
  server.server().route("POST", "/echo", [&seen](http_request request, http_respond respond) {
    seen.set_value(std::move(request));
    respond(text_response(204, ""));
  });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  bhttp::request<bhttp::string_body> message{bhttp::verb::post, "/echo?name=J%C3%BCrgen&x=a+b", 11};
  message.set("X-Slack-Signature", "v0=abc");
  message.body() = "payload=1";
  client.send(std::move(message));
  CHECK(client.receive().result_int() == 204);

  const auto request = seen.get_future().get();
  CHECK(request.method == "POST");
  CHECK(request.target == "/echo?name=J%C3%BCrgen&x=a+b");
  CHECK(request.path == "/echo");
  CHECK(request.query == std::map<std::string, std::string>{{"name", "J\xC3\xBCrgen"}, {"x", "a b"}});
  CHECK(request.headers.at("x-slack-signature") == "v0=abc");
  CHECK(request.header("X-SLACK-SIGNATURE") == std::optional<std::string_view>("v0=abc"));
  CHECK(request.body == "payload=1");
  CHECK(request.remote.starts_with("127.0.0.1:"));
}

TEST_CASE("an async handler that responds later from another thread still answers") {
  test_server server;
  std::promise<http_respond> handed_over;
  server.server().route("POST", "/slack/events", [&handed_over](http_request, http_respond respond) {
    handed_over.set_value(std::move(respond));
  });
  server.start();
  std::thread core([&handed_over] { handed_over.get_future().get()(text_response(202, "recorded\n")); });

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::post, "/slack/events", "{}");
  core.join();
  CHECK(response.result_int() == 202);
  CHECK(response.body() == "recorded\n");
}

TEST_CASE("an exact route wins over a prefix route, and a longer prefix over a shorter one") {
  test_server server;
  server.server().route("GET", "/webhook/*", answer(200, "prefix"));
  server.server().route("GET", "/webhook/deploys", answer(200, "exact"));
  server.server().route("GET", "/webhook/deploys/*", answer(200, "longer prefix"));
  server.start();

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/webhook/builds", "prefix"},
      {"/webhook/", "prefix"},
      {"/webhook/deploys", "exact"},
      {"/webhook/deploys?x=1", "exact"},
      {"/webhook/deploys/42", "longer prefix"},
  };
  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  for (const auto& [target, handler] : cases) {
    CAPTURE(target);
    CHECK(client.request(bhttp::verb::get, target).body() == handler);
  }
}

TEST_CASE("a path only the leader serves is answered 503 with Retry-After while this process follows") {
  std::atomic<bool> leads = false;
  tandem::http_server_options options;
  options.leader_paths = {"/dashboard"};
  options.leads = [&leads] { return leads.load(); };
  test_server server(std::move(options));
  std::atomic<int> handled = 0;
  for (const char* path : {"/dashboard", "/slack/events"}) {
    server.server().route("GET", path, [&handled](http_request, http_respond respond) {
      ++handled;
      respond(text_response(200, "ok\n"));
    });
  }
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto refused = client.request(bhttp::verb::get, "/dashboard");
  CHECK(refused.result_int() == 503);
  CHECK(refused[bhttp::field::retry_after] == "1");
  CHECK(handled == 0);
  CHECK(client.request(bhttp::verb::get, "/slack/events").result_int() == 200);  // every instance takes these
  CHECK(handled == 1);

  leads = true;  // a follower that took the lead
  CHECK(client.request(bhttp::verb::get, "/dashboard").result_int() == 200);
  CHECK(handled == 2);
}

TEST_CASE("an unknown path gets 404") {
  test_server server;
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.server().route("GET", "/webhook/*", answer(200, "hook\n"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  CHECK(client.request(bhttp::verb::get, "/nope").result_int() == 404);
  CHECK(client.request(bhttp::verb::get, "/healthz/more").result_int() == 404);
  CHECK(client.request(bhttp::verb::get, "/webhook").result_int() == 404);
}

TEST_CASE("a known path with another method gets 405 and an Allow header") {
  test_server server;
  server.server().route("GET", "/thing", answer(200, "got\n"));
  server.server().route("PUT", "/thing", answer(200, "put\n"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::delete_, "/thing");
  CHECK(response.result_int() == 405);
  CHECK(response[bhttp::field::allow] == "GET, PUT");
  CHECK(client.request(bhttp::verb::put, "/thing").body() == "put\n");
}

TEST_CASE("a body over the limit gets 413 and the handler is not called") {
  tandem::http_server_options options;
  options.body_limit = 1024;
  test_server server(options);
  std::atomic<int> calls{0};
  server.server().route("POST", "/upload", [&calls](http_request, http_respond respond) {
    ++calls;
    respond(text_response(200, "stored\n"));
  });
  server.start();

  test_client at_limit;
  REQUIRE_FALSE(at_limit.connect(server.port()));
  CHECK(at_limit.request(bhttp::verb::post, "/upload", std::string(1024, 'x')).result_int() == 200);
  CHECK(calls.load() == 1);

  test_client over_limit;
  REQUIRE_FALSE(over_limit.connect(server.port()));
  const auto response = over_limit.request(bhttp::verb::post, "/upload", std::string(1025, 'x'));
  CHECK(response.result_int() == 413);
  CHECK_FALSE(response.keep_alive());
  CHECK(server_ended(over_limit.wait_for_end()));
  CHECK(calls.load() == 1);
}

TEST_CASE("a malformed request gets 400 and the connection is closed") {
  const auto malformed =
      GENERATE(as<std::string>{}, "NOT A REQUEST\r\n\r\n", "GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
               "GET /healthz HTTP/1.1\r\nContent-Length: many\r\n\r\n", "GET\r\n\r\n");
  CAPTURE(malformed);
  test_server server;
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  client.send_raw(malformed);
  const auto response = client.receive();
  CHECK(response.result_int() == 400);
  CHECK(response.body().starts_with("malformed request"));
  CHECK(server_ended(client.wait_for_end()));
}

TEST_CASE("a malformed query string gets 400") {
  test_server server;
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::get, "/healthz?x=%zz");
  CHECK(response.result_int() == 400);
  CHECK(response.body() == "malformed query string\n");
}

TEST_CASE("a client that sends half a request and stalls is disconnected after the read timeout") {
  tandem::http_server_options options;
  options.read_timeout = std::chrono::seconds(1);
  test_server server(options);
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  const auto began = std::chrono::steady_clock::now();
  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  client.send_raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const auto ended = client.wait_for_end();
  CHECK(server_ended(ended));
  CHECK(std::chrono::steady_clock::now() - began >= options.read_timeout);
}

TEST_CASE("a connection kept busy beyond the read timeout stays open, and closes one timeout after it falls idle") {
  tandem::http_server_options options;
  options.read_timeout = std::chrono::seconds(1);
  test_server server(options);
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto began = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - began < 2500ms) {  // two and a half timeouts, a request every 0.3
    CHECK(client.request(bhttp::verb::get, "/healthz").result_int() == 200);
    std::this_thread::sleep_for(300ms);
  }
  const auto idle_from = std::chrono::steady_clock::now();
  const auto ended = client.wait_for_end();
  const auto idle = std::chrono::steady_clock::now() - idle_from;
  CHECK(server_ended(ended));
  CHECK(idle >= 600ms);  // the last request came at most 0.3 s before idle_from
  CHECK(idle < 3s);
}

TEST_CASE("a handler slower than the read timeout still gets its answer through") {
  tandem::http_server_options options;
  options.read_timeout = std::chrono::seconds(1);
  test_server server(options);
  std::promise<http_respond> handed_over;
  server.server().route("GET", "/slow", [&handed_over](http_request, http_respond respond) {
    handed_over.set_value(std::move(respond));
  });
  server.start();
  std::thread core([&handed_over] {
    http_respond respond = handed_over.get_future().get();
    std::this_thread::sleep_for(1500ms);
    respond(text_response(200, "worth the wait\n"));
  });

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::get, "/slow");
  core.join();
  CHECK(response.result_int() == 200);
  CHECK(response.body() == "worth the wait\n");
}

TEST_CASE("keep-alive serves two requests on one connection") {
  test_server server;
  server.server().route("GET", "/whoami", [](http_request request, http_respond respond) {
    respond(text_response(200, request.remote));
  });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto first = client.request(bhttp::verb::get, "/whoami");
  const auto second = client.request(bhttp::verb::get, "/whoami");
  CHECK(first.keep_alive());
  CHECK(second.result_int() == 200);
  CHECK(first.body() == second.body());
}

TEST_CASE("a response is its status line, the server's fields, the handler's, and its framing") {
  test_server server;
  server.server().route("GET", "/made", [](http_request, http_respond respond) {
    auto response = text_response(201, "made");
    response.headers.emplace_back("Retry-After", "5");
    respond(std::move(response));
  });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  client.send_raw("GET /made HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(client.receive_until_end() ==
        "HTTP/1.1 201 Created\r\nServer: tandem\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\n"
        "Content-Length: 4\r\nConnection: close\r\n\r\nmade");
}

TEST_CASE("an HTTP/1.0 client is answered in 1.0, kept alive only when it asks") {
  test_server server;
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client kept;
  REQUIRE_FALSE(kept.connect(server.port()));
  kept.send_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  const auto first = kept.receive();
  CHECK(first.version() == 10);
  CHECK(first[bhttp::field::connection] == "keep-alive");
  kept.send_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(kept.receive().body() == "ok\n");

  test_client closed;
  REQUIRE_FALSE(closed.connect(server.port()));
  closed.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  CHECK(
      closed.receive_until_end() ==
      "HTTP/1.0 200 OK\r\nServer: tandem\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n\r\nok\n");
}

TEST_CASE("a 204 or 304 answer with a body becomes 500; without one it has no length") {
  test_server server;
  server.server().route("GET", "/empty", answer(204, ""));
  server.server().route("GET", "/not-empty", answer(204, "oops"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  CHECK(client.request(bhttp::verb::get, "/not-empty").result_int() == 500);
  client.send_raw("GET /empty HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(client.receive_until_end() ==
        "HTTP/1.1 204 No Content\r\nServer: tandem\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: "
        "close\r\n\r\n");
}

TEST_CASE("a throwing handler gives 500 and an error log without the query string") {
  test_server server;
  server.server().route("GET", "/explode",
                        [](http_request, http_respond) -> void { throw std::runtime_error("boom"); });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::get, "/explode?token=secret");
  CHECK(response.result_int() == 500);
  CHECK(response.body() == "internal error\n");
  const auto lines = server.log_lines();
  CHECK(std::count(lines.begin(), lines.end(), "error: handler for GET /explode threw: boom") == 1);
  CHECK(std::none_of(lines.begin(), lines.end(),
                     [](const std::string& line) { return line.find("secret") != std::string::npos; }));
}

TEST_CASE("a handler that drops its respond function unanswered gives 500") {
  test_server server;
  server.server().route("GET", "/forgetful", [](http_request, http_respond) {});
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  CHECK(client.request(bhttp::verb::get, "/forgetful").result_int() == 500);
  const auto lines = server.log_lines();
  CHECK(std::count(lines.begin(), lines.end(), "error: handler for GET /forgetful dropped its response") == 1);
}

TEST_CASE("a handler's header with a line break becomes 500, not a split response") {
  test_server server;
  server.server().route("GET", "/split", [](http_request, http_respond respond) {
    auto response = text_response(200, "ok\n");
    response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: x=1");
    respond(std::move(response));
  });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  const auto response = client.request(bhttp::verb::get, "/split");
  CHECK(response.result_int() == 500);
  CHECK(response.find(bhttp::field::set_cookie) == response.end());
}

TEST_CASE("responses are counted by status class in the metrics registry") {
  tandem::metrics_registry metrics;
  tandem::http_server_options options;
  options.metrics = &metrics;
  test_server server(options);
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  CHECK(client.request(bhttp::verb::get, "/healthz").result_int() == 200);
  CHECK(client.request(bhttp::verb::get, "/healthz").result_int() == 200);
  CHECK(client.request(bhttp::verb::get, "/nope").result_int() == 404);

  const auto text = metrics.render();
  CHECK_THAT(text, Catch::Contains("# TYPE tandem_http_requests_total counter\n"
                                   "tandem_http_requests_total{code=\"2xx\"} 2\n"
                                   "tandem_http_requests_total{code=\"3xx\"} 0\n"
                                   "tandem_http_requests_total{code=\"4xx\"} 1\n"
                                   "tandem_http_requests_total{code=\"5xx\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("tandem_http_request_duration_seconds_count 3\n"));
}

TEST_CASE("a connection beyond max_connections is answered 503") {
  tandem::http_server_options options;
  options.max_connections = 1;
  test_server server(options);
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client first;
  REQUIRE_FALSE(first.connect(server.port()));
  CHECK(first.request(bhttp::verb::get, "/healthz").result_int() == 200);

  test_client second;
  REQUIRE_FALSE(second.connect(server.port()));
  const auto response = second.request(bhttp::verb::get, "/healthz");
  CHECK(response.result_int() == 503);
  CHECK_FALSE(response.keep_alive());
}

TEST_CASE("stop() closes the listener and idle connections, and the io_context runs out") {
  test_server server;
  server.server().route("GET", "/healthz", answer(200, "ok\n"));
  server.start();

  test_client idle;
  REQUIRE_FALSE(idle.connect(server.port()));
  CHECK(idle.request(bhttp::verb::get, "/healthz").result_int() == 200);

  server.stop_and_join();
  CHECK(server_ended(idle.wait_for_end()));
  test_client late;
  CHECK(late.connect(server.port()) == net::error::connection_refused);
}

TEST_CASE("stop() lets a request in progress finish with Connection: close") {
  test_server server;
  std::promise<http_respond> handed_over;
  server.server().route("POST", "/slack/events", [&handed_over](http_request, http_respond respond) {
    handed_over.set_value(std::move(respond));
  });
  server.start();

  test_client client;
  REQUIRE_FALSE(client.connect(server.port()));
  client.send(bhttp::request<bhttp::string_body>{bhttp::verb::post, "/slack/events", 11});
  auto respond = handed_over.get_future().get();
  server.server().stop();
  respond(text_response(200, "recorded\n"));

  const auto response = client.receive();
  CHECK(response.result_int() == 200);
  CHECK_FALSE(response.keep_alive());
  CHECK(server_ended(client.wait_for_end()));
  server.stop_and_join();
}
