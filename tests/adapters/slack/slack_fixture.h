#pragma once
// What the Slack adapter's tests share: the adapter on a real HTTP server, a fake slack.com over
// TLS (the local HTTPS server trusted through the adapter's CA setting), a client that sends
// requests signed exactly as Slack signs them, and a recording sink that deduplicates like the
// store does.

#include "adapters/http/http_client.h"
#include "adapters/http/http_server.h"
#include "adapters/slack/slack_adapter.h"
#include "adapters/slack/slack_signature.h"
#include "support/local_https_server.h"
#include "support/outbox_writes.h"
#include "support/recording_sink.h"
#include "support/run_until.h"
#include "support/test_certificates.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace slack_testing {

using json = nlohmann::json;

constexpr long long now_seconds = 1700000000;
constexpr std::string_view team = "T0001";
constexpr std::string_view secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::string_view bot_token = "xoxb-test-token";
constexpr std::chrono::seconds deadline = tandem::testing::wait_deadline;

inline tandem::time_point fixed_now() { return tandem::time_point{std::chrono::seconds{now_seconds}}; }

using tandem::testing::recording_sink;
using tandem::testing::waiter;
using tandem::testing::writing_when_ready;

/// The answer Tandem gave to a request sent with `slack_fixture::post`.
struct answer {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  ///< the Retry-After field, empty when absent
};

/// Options for one fixture.
struct fixture_options {
  std::vector<tandem::slack_workspace_settings> workspaces;
  std::chrono::milliseconds channel_interval{0};
  std::chrono::milliseconds command_reply_wait{2000};
  std::chrono::milliseconds reconnect_initial{20};
  tandem::time_zone_learning* time_zones = nullptr;  ///< users.info lookups for it; none: no lookups
  std::chrono::milliseconds lookup_interval{0};
  std::chrono::milliseconds lookup_retry{50};
};

inline tandem::slack_workspace_settings workspace(std::string team_id = std::string(team),
                                                  std::string signing_secret = std::string(secret),
                                                  std::string bot_user = "UBOT", std::string app_token = "") {
  return {std::move(team_id), std::string(bot_token), std::move(signing_secret), std::move(bot_user),
          std::move(app_token)};
}

/// The adapter on a real HTTP server (its io_context on a thread of its own), a fake slack.com,
/// and a client for the test's requests.
class slack_fixture {
 public:
  explicit slack_fixture(fixture_options options = {})
      : server_(io_, server_options()), client_(client_io_, tandem::http_client_options{}) {
    tandem::slack_adapter_options o;
    o.workspaces = options.workspaces.empty() ? std::vector{workspace()} : options.workspaces;
    o.api_base_url = slack_.url("/api/");
    o.extra_ca_file = tandem::testing::test_certificates::shared().ca_file();
    o.channel_interval = options.channel_interval;
    o.command_reply_wait = options.command_reply_wait;
    o.reconnect_initial = options.reconnect_initial;
    o.time_zones = options.time_zones;
    o.lookup_interval = options.lookup_interval;
    o.lookup_retry = options.lookup_retry;
    o.clock = fixed_now;
    o.log = [this](std::string_view level, std::string_view message) {
      logged_.notify([&] { log_.push_back(std::string(level) + ": " + std::string(message)); });
    };
    adapter_ = std::make_unique<tandem::slack_adapter>(io_, std::move(o), sink_.sink());
    adapter_->add_routes(server_);
    port_ = server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }

  /// Stops like the runtime does, and waits until the io_context has nothing left to do.
  ~slack_fixture() {
    adapter_->stop();
    server_.stop();
    work_.reset();
    thread_.join();
    adapter_.reset();
  }
  slack_fixture(const slack_fixture&) = delete;
  slack_fixture& operator=(const slack_fixture&) = delete;

  tandem::slack_adapter& adapter() { return *adapter_; }
  recording_sink& sink() { return sink_; }
  tandem::testing::local_https_server& slack() { return slack_; }

  std::vector<std::string> log() {
    const std::lock_guard lock(logged_.mutex());
    return log_;
  }

  /// Waits until `count` log lines start with `start`.
  bool wait_for_log(const std::string& start, std::size_t count = 1) {
    return logged_.wait([&] {
      return static_cast<std::size_t>(std::ranges::count_if(
                 log_, [&](const std::string& line) { return line.starts_with(start); })) >= count;
    });
  }

  /// How many log lines so far contain `text`.
  std::size_t logged(const std::string& text) {
    const std::lock_guard lock(logged_.mutex());
    return static_cast<std::size_t>(
        std::ranges::count_if(log_, [&](const std::string& line) { return line.find(text) != std::string::npos; }));
  }

  /// POSTs `body` to `path` with `headers`, waiting for the answer.
  answer post(const std::string& path, const std::string& body,
              std::vector<std::pair<std::string, std::string>> headers,
              const std::string& content_type = "application/json") {
    tandem::client_request request;
    request.method = "POST";
    request.url = "http://127.0.0.1:" + std::to_string(port_) + path;
    request.headers = std::move(headers);
    request.headers.emplace_back("Content-Type", content_type);
    request.body = body;
    std::optional<tandem::client_result> result;
    client_.send(std::move(request), [&result](tandem::client_result r) { result = std::move(r); });
    REQUIRE(tandem::testing::run_until(client_io_, [&result] { return result.has_value(); }));
    if (const auto* error = std::get_if<tandem::client_error>(&*result)) FAIL("no answer: " << error->message);
    const auto& response = std::get<tandem::client_response>(*result);
    return {response.status, response.body, std::string(response.header("content-type").value_or("")),
            std::string(response.header("retry-after").value_or(""))};
  }

  /// POSTs `body` signed as Slack signs it at `timestamp` with `signing_secret`.
  answer post_signed(const std::string& path, const std::string& body,
                     const std::string& content_type = "application/json", long long timestamp = now_seconds,
                     std::string_view signing_secret = secret,
                     std::vector<std::pair<std::string, std::string>> extra = {}) {
    const std::string ts = std::to_string(timestamp);
    extra.emplace_back("X-Slack-Request-Timestamp", ts);
    extra.emplace_back("X-Slack-Signature", tandem::slack::compute_signature(signing_secret, ts, body));
    return post(path, body, std::move(extra), content_type);
  }

  answer post_event(const json& envelope, std::vector<std::pair<std::string, std::string>> extra = {}) {
    return post_signed("/slack/events", envelope.dump(), "application/json", now_seconds, secret, std::move(extra));
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

  tandem::testing::local_https_server slack_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  recording_sink sink_;
  tandem::http_server server_;
  std::unique_ptr<tandem::slack_adapter> adapter_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  boost::asio::io_context client_io_;
  tandem::http_client client_;
  waiter logged_;
  std::vector<std::string> log_;
  waiter delivered_;
};

/// An Events API envelope around `event`.
inline json envelope(json event, const std::string& event_id = "Ev0001",
                     const std::string& team_id = std::string(team)) {
  return {{"token", "XXYYZZ"},        {"team_id", team_id},   {"api_app_id", "A0001"},    {"event", std::move(event)},
          {"type", "event_callback"}, {"event_id", event_id}, {"event_time", now_seconds}};
}

/// A message event in channel C0001 (or the DM when `channel` starts with D).
inline json message_event(const std::string& text, const std::string& ts = "1700000000.000100",
                          const std::string& channel = "C0001", const std::string& user = "U0001") {
  return {{"type", "message"},
          {"channel", channel},
          {"user", user},
          {"text", text},
          {"ts", ts},
          {"event_ts", ts},
          {"channel_type", channel.starts_with('D') ? "im" : "channel"}};
}

/// `payload=` and the JSON, form-encoded as Slack sends interactivity.
inline std::string form_encode(std::string_view text) {
  std::string encoded;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '*') {
      encoded += ch;
    } else if (c == ' ') {
      encoded += '+';
    } else {
      constexpr std::string_view hex = "0123456789ABCDEF";
      encoded += '%';
      encoded += hex[c >> 4U];
      encoded += hex[c & 15U];
    }
  }
  return encoded;
}

}  // namespace slack_testing
