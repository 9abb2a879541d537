#pragma once
// Slack Socket Mode, for a bot without a public URL: apps.connections.open with the app-level
// token gives a WebSocket URL; over that WebSocket (TLS) Slack sends the payloads of the Events
// API, slash commands and interactivity in envelopes, each acknowledged with its envelope_id.

#include "adapters/adapter_log.h"
#include "adapters/slack/slack_inbound.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {
class http_client;
}  // namespace tandem

namespace tandem::slack {

/// One text message from the Socket Mode WebSocket.
struct socket_message {
  enum class kind { hello, disconnect, envelope, other };
  kind what = kind::other;
  std::string type;         ///< as sent: "hello", "disconnect", "events_api", "slash_commands", "interactive"
  std::string reason;       ///< disconnect: "warning", "refresh_requested", "link_disabled"
  std::string envelope_id;  ///< envelopes: what the acknowledgement names
  bool accepts_response_payload = false;
  nlohmann::json payload;  ///< envelopes: the Events API envelope, slash command fields or interaction payload
};

/// Parses a Socket Mode message. An envelope (a message with an `envelope_id`) needs an object
/// `payload`. Pure.
parsed<socket_message> parse_socket_message(std::string_view text);

/// The acknowledgement of an envelope: `{"envelope_id": …}`, with `"payload"` when `payload` is
/// not null (a slash command's answer). Pure.
std::string socket_ack(std::string_view envelope_id, const nlohmann::json& payload);

/// The WebSocket URL's parts: `wss://host[:port]/path?query`; nothing when it is not one.
struct websocket_url {
  std::string host;
  std::string port = "443";
  std::string target = "/";  ///< path and query
  bool operator==(const websocket_url&) const = default;
};
std::optional<websocket_url> parse_websocket_url(std::string_view url);

/// Acknowledges one envelope on the connection it came from (nothing happens when that
/// connection is gone: Slack then delivers the envelope again). `payload` is null for a bare
/// acknowledgement. Callable once, from any thread.
using socket_mode_ack = std::function<void(nlohmann::json payload)>;

/// How one Socket Mode connection runs.
struct socket_mode_options {
  std::string team_id;                                ///< the workspace, for logs and health
  std::string app_token;                              ///< "xapp-…"
  std::string api_base_url;                           ///< where apps.connections.open is, ending in '/'
  std::string extra_ca_file;                          ///< PEM CA certificates trusted besides the system store
  std::chrono::milliseconds reconnect_initial{1000};  ///< the first wait after a failure, doubling
  std::chrono::milliseconds reconnect_max{60000};     ///< the longest wait
  std::chrono::seconds idle_timeout{60};  ///< no data for this long (pings included): the connection is dead
  /// Receives each envelope; the connection never acknowledges by itself. Runs on the io_context.
  std::function<void(socket_message, socket_mode_ack)> on_envelope;
  /// Log lines ("error", "warn", "info", "debug"); never carries a token. May be empty.
  adapter_log log;
};

/// One workspace's Socket Mode connection: opens, reads envelopes, reconnects after Slack's
/// `disconnect` messages at once and after dropped connections or failures with backoff. Work
/// runs on its own strand of the io_context; public methods are thread-safe.
class socket_mode_connection {
 public:
  /// A connection on `io` that opens its URL with `client` (both must outlive it). Throws
  /// std::runtime_error when `options.extra_ca_file` cannot be loaded.
  socket_mode_connection(boost::asio::io_context& io, http_client& client, socket_mode_options options);
  ~socket_mode_connection();
  socket_mode_connection(const socket_mode_connection&) = delete;
  socket_mode_connection& operator=(const socket_mode_connection&) = delete;

  /// Opens the first connection.
  void start();
  /// Closes the connection; no reconnection follows. Unanswered envelopes stay unacknowledged.
  void stop();
  /// True between Slack's `hello` and the connection's end.
  bool connected() const;
  const std::string& team_id() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace tandem::slack
