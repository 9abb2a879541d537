#pragma once
// What the webhook adapter's tests share: the adapter on a real HTTP server (its io_context on a
// thread of its own), receivers that play incoming webhooks over TLS (the local HTTPS server,
// trusted through the adapter's CA setting), a client for the requests chat systems send to
// Tandem, an in-memory adapter state, and a recording sink that deduplicates like the store.

#include "adapters/http/http_client.h"
#include "adapters/http/http_server.h"
#include "adapters/webhook/webhook_adapter.h"
#include "adapters/webhook/webhook_signing.h"
#include "support/local_https_server.h"
#include "support/outbox_writes.h"
#include "support/recording_sink.h"
#include "support/run_until.h"
#include "support/test_certificates.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace webhook_testing {

using json = nlohmann::json;

constexpr long long now_seconds = 1700000000;
constexpr std::chrono::seconds deadline = tandem::testing::wait_deadline;

using memory_state = tandem::testing::memory_adapter_state;
using tandem::testing::recording_sink;
using tandem::testing::waiter;

/// Tandem's answer to a request.
struct answer {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  ///< the Retry-After field, empty when absent
  std::map<std::string, std::string> headers;  ///< every field, names lowercased
};

/// A channel in one line.
inline tandem::webhook_channel_settings channel(
    std::string name, tandem::webhook::dialect how, std::string url,
    tandem::webhook_channel_kind kind = tandem::webhook_channel_kind::incoming, std::string token = "",
    std::string secret = "") {
  std::vector<std::string> tokens;
  if (!token.empty()) tokens.push_back(std::move(token));
  return {std::move(name), how, std::move(url), kind, std::move(tokens), std::move(secret)};
}

/// `c`, read only by the one person it reaches: its messages may carry one-click links.
inline tandem::webhook_channel_settings personal(tandem::webhook_channel_settings c) {
  c.personal = true;
  return c;
}

/// The adapter on a real HTTP server, a receiver for its posts, and a client for requests.
class webhook_fixture {
 public:
  /// `configure` fills in the channels (the receiver's URLs are known by then) and other options.
  explicit webhook_fixture(const std::function<void(tandem::webhook_adapter_options&, webhook_fixture&)>& configure)
      : server_(io_, server_options()), client_(client_io_, tandem::http_client_options{}) {
    tandem::webhook_adapter_options o;
    o.extra_ca_file = tandem::testing::test_certificates::shared().ca_file();
    o.public_url = "https://tandem.example.org";
    o.link_key = "link-key-for-tests";
    o.channel_interval = std::chrono::milliseconds{0};
    o.clock = [this] { return now(); };
    o.log = [this](std::string_view level, std::string_view message) {
      const std::lock_guard lock(log_mutex_);
      log_.push_back(std::string(level) + ": " + std::string(message));
    };
    configure(o, *this);
    adapter_ = std::make_unique<tandem::webhook_adapter>(io_, std::move(o), sink_.sink(), state_);
    adapter_->add_routes(server_);
    port_ = server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~webhook_fixture() {
    adapter_->stop();
    server_.stop();
    work_.reset();
    thread_.join();
    adapter_.reset();
  }
  webhook_fixture(const webhook_fixture&) = delete;
  webhook_fixture& operator=(const webhook_fixture&) = delete;

  tandem::webhook_adapter& adapter() { return *adapter_; }
  recording_sink& sink() { return sink_; }
  memory_state& state() { return state_; }
  tandem::testing::local_https_server& receiver() { return receiver_; }

  tandem::time_point now() const { return tandem::time_point{std::chrono::seconds{now_seconds + offset_.load()}}; }
  /// Moves the adapter's clock.
  void advance(std::chrono::seconds by) { offset_ += by.count(); }

  std::vector<std::string> log() {
    const std::lock_guard lock(log_mutex_);
    return log_;
  }

  /// Sends a request to Tandem and waits for the answer.
  answer request(const std::string& method, const std::string& path, const std::string& body = "",
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    tandem::client_request request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    request.headers = std::move(headers);
    request.body = body;
    std::optional<tandem::client_result> result;
    client_.send(std::move(request), [&result](tandem::client_result r) { result = std::move(r); });
    REQUIRE(tandem::testing::run_until(client_io_, [&result] { return result.has_value(); }));
    if (const auto* error = std::get_if<tandem::client_error>(&*result)) FAIL("no answer: " << error->message);
    const auto& response = std::get<tandem::client_response>(*result);
    return {response.status, response.body, std::string(response.header("content-type").value_or("")),
            std::string(response.header("retry-after").value_or("")), response.headers};
  }

  answer post(const std::string& path, const std::string& body, const std::string& content_type,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", content_type);
    return request("POST", path, body, std::move(headers));
  }

  /// POSTs `body` to /webhook/`name` signed with `secret` at `timestamp`.
  answer post_signed(const std::string& name, const std::string& body, const std::string& secret,
                     long long timestamp = now_seconds) {
    const std::string ts = std::to_string(timestamp);
    return post(
        "/webhook/" + name, body, "application/json",
        {{"X-Tandem-Timestamp", ts}, {"X-Tandem-Signature", tandem::webhook::request_signature(secret, ts, body)}});
  }

  /// Delivers through the adapter and waits for the result.
  tandem::delivery_result deliver(const tandem::destination& to, const tandem::rendered_message& message,
                                  const std::string& key) {
    std::optional<tandem::delivery_result> result;
    adapter_->deliver(to, message, key, [this, &result](tandem::delivery_result r) {
      delivered_.notify([&] { result = std::move(r); });
    });
    REQUIRE(delivered_.wait([&result] { return result.has_value(); }));
    return *result;
  }

 private:
  static tandem::http_server_options server_options() {
    tandem::http_server_options o;
    o.address = "127.0.0.1";
    o.port = 0;
    return o;
  }

  tandem::testing::local_https_server receiver_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  recording_sink sink_;
  memory_state state_;
  std::atomic<long long> offset_{0};
  tandem::http_server server_;
  std::unique_ptr<tandem::webhook_adapter> adapter_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  boost::asio::io_context client_io_;
  tandem::http_client client_;
  waiter delivered_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

/// A message to a person of channel `workspace` (user `user`).
inline tandem::destination to_person(const std::string& workspace, const std::string& user = "emma") {
  return {"webhook", workspace, "", user, "emma", "en", ""};
}

/// A message to the channel `workspace` as a room (a broadcast, a reply in a conversation).
inline tandem::destination to_room(const std::string& workspace) {
  return {"webhook", workspace, "room", "", "", "en", ""};
}

}  // namespace webhook_testing
