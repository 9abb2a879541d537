#include "adapters/slack/slack_socket_mode.h"

#include "adapters/http/http_client.h"
#include "adapters/json_fields.h"
#include "adapters/slack/slack_outbound.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <stdexcept>

namespace tandem::slack {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using json = nlohmann::json;
using tcp = asio::ip::tcp;

parsed<socket_message> parse_socket_message(std::string_view text) {
  json document = json::parse(text.begin(), text.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) return wire_error{"malformed JSON"};
  socket_message out;
  out.type = string_field(document, "type");
  if (document.contains("envelope_id")) {
    if (!document["envelope_id"].is_string() || document["envelope_id"].get<std::string>().empty()) {
      return wire_error{"envelope_id is not a string"};
    }
    out.what = socket_message::kind::envelope;
    out.envelope_id = document["envelope_id"].get<std::string>();
    out.accepts_response_payload = true_field(document, "accepts_response_payload");
    if (!document.contains("payload") || !document["payload"].is_object()) return wire_error{"payload missing"};
    out.payload = std::move(document["payload"]);
  } else if (out.type == "hello") {
    out.what = socket_message::kind::hello;
  } else if (out.type == "disconnect") {
    out.what = socket_message::kind::disconnect;
    out.reason = string_field(document, "reason");
  }
  return out;
}

std::string socket_ack(std::string_view envelope_id, const json& payload) {
  json ack{{"envelope_id", std::string(envelope_id)}};
  if (!payload.is_null()) ack["payload"] = payload;
  return ack.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<websocket_url> parse_websocket_url(std::string_view url) {
  if (!url.starts_with("wss://")) return std::nullopt;
  std::string_view rest = url.substr(6);
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  websocket_url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.starts_with('?')) out.target.insert(0, "/");
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && !authority.starts_with(':')) return std::nullopt;
    if (!authority.empty()) out.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  if (out.host.empty() || out.port.empty() || out.host.find('@') != std::string::npos ||
      !std::ranges::all_of(out.port, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return out;
}

namespace {

using strand_type = asio::strand<asio::io_context::executor_type>;
// asio::ssl::stream, not beast::ssl_stream: clang cannot choose between the two async_teardown
// overloads Beast 1.81 declares for beast::ssl_stream.
using ws_stream = websocket::stream<asio::ssl::stream<beast::tcp_stream>>;
constexpr std::chrono::seconds connect_timeout{30};

/// One WebSocket connection; replaced by a new one on each reconnection.
struct session {
  session(const strand_type& strand, asio::ssl::context& tls) : resolver(strand), ws(strand, tls) {}
  tcp::resolver resolver;
  ws_stream ws;
  beast::flat_buffer buffer;
  std::deque<std::string> outgoing;
  bool writing = false;
  websocket_url url;
};

asio::ssl::context make_tls_context(const std::string& extra_ca_file) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_default_verify_paths();
  if (!extra_ca_file.empty()) {
    boost::system::error_code ec;
    tls.load_verify_file(extra_ca_file, ec);
    if (ec) throw std::runtime_error("cannot load CA file " + extra_ca_file + ": " + ec.message());
  }
  tls.set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

}  // namespace

struct socket_mode_connection::state : std::enable_shared_from_this<socket_mode_connection::state> {
  state(asio::io_context& io, http_client& http, socket_mode_options o)
      : strand(asio::make_strand(io)),
        client(http),
        options(std::move(o)),
        tls(make_tls_context(options.extra_ca_file)),
        retry_timer(strand),
        backoff(options.reconnect_initial) {}

  void log(std::string_view level, const std::string& message) const {
    if (options.log) options.log(level, "slack: socket mode (" + options.team_id + "): " + message);
  }

  void set_connected(bool value) { connected = value; }

  /// Asks Slack for a WebSocket URL, then connects to it.
  void open() {
    if (stopping) return;
    client_request request;
    request.method = "POST";
    request.url = options.api_base_url + "apps.connections.open";
    request.headers = {{"Authorization", "Bearer " + options.app_token},
                       {"Content-Type", "application/x-www-form-urlencoded"}};
    client.send(std::move(request), [self = shared_from_this()](client_result result) {
      asio::post(self->strand, [self, result = std::move(result)] { self->opened(result); });
    });
  }

  void opened(const client_result& result) {
    if (stopping) return;
    if (const auto* error = std::get_if<client_error>(&result)) {
      log("warn", "apps.connections.open failed: " + error->message);
      schedule_reconnect();
      return;
    }
    const auto& response = std::get<client_response>(result);
    const api_result answer = read_api_response(response.status, std::nullopt, response.body);
    if (const auto* error = std::get_if<api_error>(&answer)) {
      const bool token_refused = is_auth_failure(*error) || error->code == "not_allowed_token_type";
      log(token_refused ? "error" : "warn",
          "apps.connections.open failed: " + error->describe() +
              (token_refused ? " (check the app-level token: it needs the connections:write scope)" : ""));
      if (token_refused) backoff = options.reconnect_max;
      schedule_reconnect();
      return;
    }
    const auto url = parse_websocket_url(string_field(std::get<json>(answer), "url"));
    if (!url) {
      log("warn", "apps.connections.open gave no wss:// URL");
      schedule_reconnect();
      return;
    }
    connect(*url);
  }

  void connect(const websocket_url& url) {
    auto s = std::make_shared<session>(strand, tls);
    s->url = url;
    current = s;
    s->resolver.async_resolve(
        url.host, url.port,
        [self = shared_from_this(), s](const boost::system::error_code& ec, const tcp::resolver::results_type& found) {
          if (ec) return self->end(s, "cannot resolve " + s->url.host + ": " + ec.message());
          beast::get_lowest_layer(s->ws).expires_after(connect_timeout);
          beast::get_lowest_layer(s->ws).async_connect(
              found, [self, s](const boost::system::error_code& connect_error, const tcp::endpoint&) {
                if (connect_error) return self->end(s, "cannot connect: " + connect_error.message());
                self->handshake(s);
              });
        });
  }

  void handshake(const std::shared_ptr<session>& s) {
    boost::system::error_code not_ip;
    (void)asio::ip::make_address(s->url.host, not_ip);
    // SNI carries host names only (RFC 6066, section 3), never an IP address.
    if (not_ip && SSL_ctrl(s->ws.next_layer().native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                           const_cast<char*>(s->url.host.c_str())) != 1) {
      return end(s, "cannot set the TLS server name");
    }
    s->ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(s->url.host));
    s->ws.next_layer().async_handshake(
        asio::ssl::stream_base::client, [self = shared_from_this(), s](const boost::system::error_code& ec) {
          if (ec) return self->end(s, "TLS handshake failed: " + ec.message());
          beast::get_lowest_layer(s->ws).expires_never();
          auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
          timeouts.idle_timeout = self->options.idle_timeout;
          timeouts.keep_alive_pings = true;
          s->ws.set_option(timeouts);
          s->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
            request.set(beast::http::field::user_agent, default_user_agent());
          }));
          const std::string host = s->url.port == "443" ? s->url.host : s->url.host + ":" + s->url.port;
          s->ws.async_handshake(host, s->url.target, [self, s](const boost::system::error_code& handshake_error) {
            if (handshake_error) return self->end(s, "WebSocket handshake failed: " + handshake_error.message());
            self->read(s);
          });
        });
  }

  void read(const std::shared_ptr<session>& s) {
    s->ws.async_read(s->buffer, [self = shared_from_this(), s](const boost::system::error_code& ec, std::size_t) {
      if (ec) return self->end(s, ec == websocket::error::closed ? "closed by Slack" : ec.message());
      const std::string text = beast::buffers_to_string(s->buffer.data());
      s->buffer.consume(s->buffer.size());
      self->receive(s, text);
      if (s == self->current) self->read(s);
    });
  }

  void receive(const std::shared_ptr<session>& s, const std::string& text) {
    auto parsed_message = parse_socket_message(text);
    if (auto* error = std::get_if<wire_error>(&parsed_message)) {
      log("warn", "a message was not understood: " + error->reason);
      return;
    }
    auto& message = std::get<socket_message>(parsed_message);
    switch (message.what) {
      case socket_message::kind::hello:
        backoff = options.reconnect_initial;
        set_connected(true);
        log("info", "connected");
        return;
      case socket_message::kind::disconnect:
        log(message.reason == "link_disabled" ? "error" : "info", "Slack asks to reconnect (" + message.reason + ")");
        close(s);
        set_connected(false);
        if (message.reason == "link_disabled") {
          schedule_reconnect();
        } else {
          open();
        }
        return;
      case socket_message::kind::envelope: {
        if (!options.on_envelope) return;
        std::weak_ptr<session> origin = s;
        socket_mode_ack ack = [self = shared_from_this(), origin, id = message.envelope_id](json payload) {
          asio::post(self->strand, [self, origin, id, payload = std::move(payload)] {
            if (auto live = origin.lock(); live && live == self->current) self->send(live, socket_ack(id, payload));
          });
        };
        options.on_envelope(std::move(message), std::move(ack));
        return;
      }
      case socket_message::kind::other: log("debug", "message of type " + message.type + " ignored"); return;
    }
  }

  void send(const std::shared_ptr<session>& s, std::string text) {
    s->outgoing.push_back(std::move(text));
    if (!s->writing) write_next(s);
  }

  void write_next(const std::shared_ptr<session>& s) {
    if (s->outgoing.empty()) {
      s->writing = false;
      return;
    }
    s->writing = true;
    s->ws.text(true);
    s->ws.async_write(asio::buffer(s->outgoing.front()),
                      [self = shared_from_this(), s](const boost::system::error_code& ec, std::size_t) {
                        s->outgoing.pop_front();
                        if (ec) {
                          s->writing = false;
                          return;  // the read fails too and ends the session
                        }
                        self->write_next(s);
                      });
  }

  /// Closes a session's socket; its pending operations end with operation_aborted. By value:
  /// `s` may be `current`, which this resets.
  void close(std::shared_ptr<session> s) {
    if (s == current) current.reset();
    boost::system::error_code ignored;
    s->resolver.cancel();
    beast::get_lowest_layer(s->ws).socket().close(ignored);
  }

  /// The end of the current session: reconnect after the backoff.
  void end(const std::shared_ptr<session>& s, const std::string& why) {
    if (s != current) return;  // replaced or closed on purpose
    close(s);
    set_connected(false);
    if (stopping) return;
    log("warn", "connection lost (" + why + "); reconnecting in " + std::to_string(backoff.count()) + " ms");
    schedule_reconnect();
  }

  void schedule_reconnect() {
    if (stopping) return;
    retry_timer.expires_after(backoff);
    backoff = std::min(backoff * 2, options.reconnect_max);
    retry_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->open();
    });
  }

  void stop() {
    stopping = true;
    retry_timer.cancel();
    if (current) close(current);
    set_connected(false);
  }

  strand_type strand;
  http_client& client;
  socket_mode_options options;
  asio::ssl::context tls;
  asio::steady_timer retry_timer;
  std::chrono::milliseconds backoff;
  std::shared_ptr<session> current;
  bool stopping = false;
  std::atomic<bool> connected{false};
};

socket_mode_connection::socket_mode_connection(asio::io_context& io, http_client& client, socket_mode_options options)
    : state_(std::make_shared<state>(io, client, std::move(options))) {}

socket_mode_connection::~socket_mode_connection() { stop(); }

void socket_mode_connection::start() {
  asio::post(state_->strand, [self = state_] { self->open(); });
}

void socket_mode_connection::stop() {
  asio::post(state_->strand, [self = state_] { self->stop(); });
}

bool socket_mode_connection::connected() const { return state_->connected; }

const std::string& socket_mode_connection::team_id() const { return state_->options.team_id; }

}  // namespace tandem::slack
