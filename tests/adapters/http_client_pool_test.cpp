// The http_client's keep-alive pool: reuse, the limit per host, stale connections and cancel.
#include "adapters/http_client_fixture.h"

#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

using http_client_testing::client_fixture;
using http_client_testing::error_of;
using http_client_testing::get;
using http_client_testing::response_of;
using http_client_testing::trusting_test_ca;
using tandem::client_error;
using tandem::testing::connection_action;
using tandem::testing::local_https_server;
using tandem::testing::local_server_options;
using tandem::testing::scripted_response;

namespace {

scripted_response answer(std::string body, connection_action then = connection_action::keep_alive) {
  auto response = scripted_response::text(200, std::move(body));
  response.then = then;
  return response;
}

}  // namespace

TEST_CASE("two sequential requests to one host reuse one connection") {
  local_https_server server;
  server.expect(answer("first"));
  server.expect(answer("second"));
  client_fixture fixture;

  CHECK(response_of(fixture.fetch(get(server.url("/a")))).body == "first");
  CHECK(response_of(fixture.fetch(get(server.url("/b")))).body == "second");

  CHECK(server.connections_accepted() == 1);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].connection == 1);
  CHECK(seen[1].connection == 1);
}

TEST_CASE("after the server closed an idle connection the next request goes on a new one") {
  local_https_server server;
  server.expect(answer("first", connection_action::close_after_answer));
  server.expect(answer("second"));
  client_fixture fixture;

  CHECK(response_of(fixture.fetch(get(server.url("/a")))).body == "first");
  CHECK(response_of(fixture.fetch(get(server.url("/b")))).body == "second");

  CHECK(server.connections_accepted() == 2);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("a request whose reused connection closes before any response byte is sent once more") {
  local_https_server server;
  server.expect(answer("first"));
  server.expect(answer("never sent", connection_action::close_without_answer));
  server.expect(answer("second"));
  client_fixture fixture;

  CHECK(response_of(fixture.fetch(get(server.url("/a")))).body == "first");
  CHECK(response_of(fixture.fetch(get(server.url("/b")))).body == "second");

  CHECK(server.connections_accepted() == 2);
  const auto seen = server.requests();
  REQUIRE(seen.size() == 3);
  CHECK(seen[1].target == "/b");
  CHECK(seen[1].connection == 1);
  CHECK(seen[2].target == "/b");
  CHECK(seen[2].connection == 2);
}

TEST_CASE("a request that got part of a response is never sent again") {
  local_https_server server;
  server.expect(answer("first"));
  server.expect(answer("a body cut in half", connection_action::truncate_answer));
  server.expect(answer("must stay unused"));
  client_fixture fixture;

  response_of(fixture.fetch(get(server.url("/a"))));
  const auto error = error_of(fixture.fetch(get(server.url("/b"))));

  CHECK(error.what == client_error::kind::connect);
  CHECK(server.requests().size() == 2);
  CHECK(server.responses_left() == 1);
}

TEST_CASE("a request on a fresh connection that the server closes unanswered is not sent again") {
  local_https_server server;
  server.expect(answer("never sent", connection_action::close_without_answer));
  server.expect(answer("must stay unused"));
  client_fixture fixture;

  const auto error = error_of(fixture.fetch(get(server.url("/a"))));

  CHECK(error.what == client_error::kind::connect);
  CHECK(server.requests().size() == 1);
  CHECK(server.responses_left() == 1);
}

TEST_CASE("requests beyond max_connections_per_host wait for a free connection") {
  local_https_server server;
  for (const auto* body : {"1", "2", "3"}) server.expect(answer(body));
  auto options = trusting_test_ca();
  options.max_connections_per_host = 1;
  client_fixture fixture(options);

  const auto results = fixture.fetch_all({get(server.url("/1")), get(server.url("/2")), get(server.url("/3"))});

  CHECK(response_of(results[0]).body == "1");
  CHECK(response_of(results[1]).body == "2");
  CHECK(response_of(results[2]).body == "3");
  CHECK(server.connections_accepted() == 1);
}

TEST_CASE("concurrent requests open up to max_connections_per_host connections") {
  local_https_server server;
  server.answer_with([](const tandem::testing::recorded_request&) {
    auto response = scripted_response::text(200, "ok");
    response.delay = std::chrono::milliseconds{50};
    return response;
  });
  auto options = trusting_test_ca();
  options.max_connections_per_host = 2;
  client_fixture fixture(options);

  std::vector<tandem::client_request> requests;
  for (int i = 0; i < 4; ++i) requests.push_back(get(server.url("/" + std::to_string(i))));
  for (const auto& result : fixture.fetch_all(requests)) CHECK(response_of(result).status == 200);

  CHECK(server.connections_accepted() == 2);
}

TEST_CASE("cancel_all ends running and waiting requests with kind cancelled") {
  local_https_server server;
  server.expect(answer("held", connection_action::never_answer));
  auto options = trusting_test_ca();
  options.max_connections_per_host = 1;
  client_fixture fixture(options);

  std::vector<std::optional<tandem::client_result>> results(2);
  for (std::size_t i = 0; i < results.size(); ++i) {
    fixture.client().send(get(server.url("/held")),
                          [&results, i](tandem::client_result result) { results[i] = std::move(result); });
  }
  REQUIRE(tandem::testing::run_until(fixture.io(), [&server] { return server.requests().size() == 1; }));
  fixture.client().cancel_all();
  REQUIRE(tandem::testing::run_until(fixture.io(), [&results] { return results[0] && results[1]; }));

  CHECK(error_of(*results[0]).what == client_error::kind::cancelled);
  CHECK(error_of(*results[1]).what == client_error::kind::cancelled);
}

TEST_CASE("a plain http:// POST sends its body with a Content-Length and reads the answer") {
  local_server_options options;
  options.tls = false;
  local_https_server server(options);
  server.expect(scripted_response::json(201, R"({"created":true})"));
  client_fixture fixture;

  tandem::client_request request;
  request.method = "POST";
  request.url = server.url("/hooks/deploy");
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = R"({"text":"hello"})";
  const auto response = response_of(fixture.fetch(request));

  CHECK(response.status == 201);
  CHECK(response.body == R"({"created":true})");
  const auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].body == R"({"text":"hello"})");
  CHECK(seen[0].header("content-length") == "16");
  CHECK(seen[0].header("content-type") == "application/json");
  CHECK(seen[0].header("host") == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("a POST with an empty body still says Content-Length: 0") {
  local_server_options options;
  options.tls = false;
  local_https_server server(options);
  server.expect(scripted_response::text(200, ""));
  client_fixture fixture;

  tandem::client_request request;
  request.method = "POST";
  request.url = server.url("/empty");
  response_of(fixture.fetch(request));

  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].header("content-length") == "0");
}

TEST_CASE("send may be called from several threads at once; every completion runs on the io_context") {
  local_https_server server;
  server.answer_with(
      [](const tandem::testing::recorded_request& request) { return scripted_response::text(200, request.path); });
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  const auto io_thread_id = io_thread.get_id();
  constexpr int threads = 4;
  constexpr int per_thread = 5;
  std::atomic<int> completed{0};
  std::atomic<int> answered{0};
  std::atomic<int> off_io_thread{0};
  std::promise<void> all_completed;
  {
    tandem::http_client client(io, trusting_test_ca());
    std::vector<std::thread> senders;
    for (int t = 0; t < threads; ++t) {
      senders.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          const auto path = "/" + std::to_string(t) + "/" + std::to_string(i);
          client.send(get(server.url(path)), [&, path](tandem::client_result result) {
            const auto* response = std::get_if<tandem::client_response>(&result);
            if (response != nullptr && response->body == path) ++answered;
            if (std::this_thread::get_id() != io_thread_id) ++off_io_thread;
            if (++completed == threads * per_thread) all_completed.set_value();
          });
        }
      });
    }
    for (auto& sender : senders) sender.join();
    CHECK(all_completed.get_future().wait_for(std::chrono::seconds{10}) == std::future_status::ready);
  }
  work.reset();
  io_thread.join();
  CHECK(answered == threads * per_thread);
  CHECK(off_io_thread == 0);
  CHECK(server.connections_accepted() <= 4);
}

TEST_CASE("an idle pooled connection is closed after idle_keepalive") {
  local_https_server server;
  server.expect(answer("ok"));
  auto options = trusting_test_ca();
  options.idle_keepalive = std::chrono::seconds{1};
  client_fixture fixture(options);

  response_of(fixture.fetch(get(server.url("/"))));
  CHECK(server.connections_open() == 1);

  CHECK(tandem::testing::run_until(
      fixture.io(), [&server] { return server.connections_open() == 0; }, std::chrono::seconds{5}));
}

TEST_CASE("cancel_all closes idle connections; the next request opens a new one") {
  local_https_server server;
  server.expect(answer("first"));
  server.expect(answer("second"));
  client_fixture fixture;

  response_of(fixture.fetch(get(server.url("/a"))));
  fixture.client().cancel_all();
  CHECK(tandem::testing::run_until(fixture.io(), [&server] { return server.connections_open() == 0; }));
  CHECK(response_of(fixture.fetch(get(server.url("/b")))).body == "second");

  CHECK(server.connections_accepted() == 2);
}
