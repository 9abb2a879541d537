#pragma once
// A small scripted HTTP/1.1 server (HTTPS by default, plain HTTP on request) that tests use to
// play a platform's server: it listens on 127.0.0.1 with a free port, records every request
// and answers each with the next scripted response. No Asio or Beast in this header.

#include "support/test_certificates.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::testing {

/// One request as the server received it.
struct recorded_request {
  std::string method;                          ///< e.g. "POST"
  std::string target;                          ///< as sent, e.g. "/api/chat.postMessage?x=1"
  std::string path;                            ///< the target up to '?'
  std::map<std::string, std::string> headers;  ///< keys lowercased; repeats joined by ", "
  std::string body;
  std::size_t connection = 0;  ///< which accepted connection it came on: 1, 2, …
  std::string server_name;     ///< the TLS SNI host name the client sent; empty if none or plain

  /// The value of header `name`, matched case-insensitively, or nothing when absent.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// What the server does with the connection around its answer.
enum class connection_action {
  keep_alive,            ///< answer, then wait for the next request on the connection
  close_after_answer,    ///< answer (still advertising keep-alive), then close: a stale pooled connection
  close_without_answer,  ///< close as soon as the request is read, answering nothing
  truncate_answer,       ///< send the head and half of the body, then close
  never_answer,          ///< hold the connection open, answering nothing, until the client leaves
};

/// One scripted answer. Content-Length is set by the server.
struct scripted_response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  connection_action then = connection_action::keep_alive;
  std::chrono::milliseconds delay{0};  ///< waited before answering (or acting)
  /// When not empty, these bytes are sent instead of a response built from the fields above
  /// (to play a malformed response); `then` applies as usual.
  std::string raw;

  /// A response with `Content-Type: application/json` and `body` as is.
  static scripted_response json(unsigned status, std::string body);
  /// A response with `Content-Type: text/plain; charset=utf-8`.
  static scripted_response text(unsigned status, std::string body);
  /// Adds a header field; returns *this for chaining.
  scripted_response& with_header(std::string name, std::string value);
};

/// Chooses the answer to a request when no scripted response is queued. Runs on the server's
/// thread; must not block for long.
using request_handler = std::function<scripted_response(const recorded_request&)>;

/// How the server listens.
struct local_server_options {
  bool tls = true;  ///< false: plain HTTP
  /// The certificate and key served over TLS; nothing: test_certificates::shared().localhost().
  std::optional<pem_identity> identity;
  std::size_t body_limit = 16 * 1024 * 1024;  ///< a larger request body closes the connection
};

/// A scripted server on 127.0.0.1 (port 0) with its own io_context thread. Every method is
/// thread-safe. Answers, in order of preference: the next response queued with expect(), the
/// handler given to answer_with(), else 500 with a body naming the unexpected request.
class local_https_server {
 public:
  /// Listens at once. Throws when the certificate is unusable or nothing can be bound.
  explicit local_https_server(local_server_options options = {});
  /// Stops the thread and closes every connection.
  ~local_https_server();
  local_https_server(const local_https_server&) = delete;
  local_https_server& operator=(const local_https_server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  /// "https://localhost:<port>" (the name the test certificate is for), or
  /// "http://127.0.0.1:<port>" for plain HTTP.
  [[nodiscard]] std::string base_url() const;
  /// base_url() followed by `target`, e.g. url("/api/chat.postMessage").
  [[nodiscard]] std::string url(std::string_view target) const;

  /// Queues `response` as the answer to the next request without one.
  void expect(scripted_response response);
  /// Answers with `handler` whenever the queue is empty.
  void answer_with(request_handler handler);

  /// Every request received so far, in order of arrival.
  [[nodiscard]] std::vector<recorded_request> requests() const;
  /// Waits until at least `count` requests have arrived or `within` passed; true when they have.
  [[nodiscard]] bool wait_for_requests(std::size_t count,
                                       std::chrono::milliseconds within = std::chrono::seconds{10}) const;
  /// How many TCP connections the server has accepted (whether or not their TLS handshake
  /// succeeded).
  [[nodiscard]] std::size_t connections_accepted() const;
  /// How many connections are open now (accepted and not yet closed by either side).
  [[nodiscard]] std::size_t connections_open() const;
  /// Waits until exactly `count` connections are open or `within` passed; true when they are.
  [[nodiscard]] bool wait_for_open_connections(std::size_t count,
                                               std::chrono::milliseconds within = std::chrono::seconds{10}) const;
  /// How many queued responses are still unused.
  [[nodiscard]] std::size_t responses_left() const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace tandem::testing
