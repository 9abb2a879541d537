#pragma once
// The one HTTP listener of Tandem: reads requests with limits and timeouts, routes them to
// asynchronous handlers, and writes their responses. Handlers see only plain values.

#include "adapters/adapter_log.h"
#include "adapters/http/client_rate_limit.h"
#include "adapters/http/http_types.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

class metrics_registry;

/// Receives a log line (see adapter_log). Called from any thread, concurrently: it must be
/// thread-safe. Lines never carry request bodies or query strings. May be empty (no logging).
using http_log_function = adapter_log;

/// How the server listens and what it tolerates.
struct http_server_options {
  std::string address = "127.0.0.1";  ///< the address to bind
  std::uint16_t port = 8080;          ///< the port to bind; 0 picks a free one
  std::size_t body_limit = 1024 * 1024;  ///< a larger request body is answered 413
  /// A request must arrive completely within this time of the previous response (or of the
  /// connection); an idle keep-alive connection is closed after it; it also bounds each write.
  std::chrono::seconds read_timeout{10};
  std::size_t max_connections = 512;  ///< a connection beyond this is answered 503 and closed
  http_log_function log;  ///< where log lines go; empty: nowhere
  /// When set, every response counts into `tandem_http_requests_total{code="2xx"}` (by status
  /// class), and the time from each complete request to its response into
  /// `tandem_http_request_duration_seconds`. Must outlive the server.
  metrics_registry* metrics = nullptr;
  /// Requests whose path starts with one of these ("/act/") are first admitted by
  /// `rate_limiter` (when set); a refused one is answered 429 with `Retry-After`, counted in
  /// `tandem_http_rate_limited_total`, and never reaches its handler.
  std::vector<std::string> rate_limited_paths;
  std::shared_ptr<client_rate_limiter> rate_limiter;
  /// Paths (prefixes: "/dashboard") that only the leading Tandem serves when several share one
  /// store. While `leads` (called from any thread) says false, a request for one is answered 503
  /// with `Retry-After: 1` and never reaches its handler, so that a reverse proxy tries another
  /// instance. Without `leads`, every path is served.
  std::vector<std::string> leader_paths;
  std::function<bool()> leads;
};

/// Answers a request: call it once, from any thread, at any later time. Later calls are
/// ignored (and logged); if every copy is destroyed uncalled, the client gets a 500. Until it
/// is called or destroyed, the request counts as work of the io_context (run() keeps running).
using http_respond = std::function<void(http_response)>;

/// Handles one request. Runs on the connection's strand; must not block: hand slow work to
/// another strand and call `respond` from there. An exception becomes a 500 (and an error log).
using http_handler = std::function<void(http_request request, http_respond respond)>;

/// An HTTP/1.1 server on one `io_context` (run by any number of threads). Each connection has
/// its own strand, serves keep-alive requests one at a time, and closes on a timeout.
/// Unknown paths get 404, known paths with another method 405 (with Allow), malformed requests
/// 400, oversized bodies 413, oversized headers 431.
class http_server {
 public:
  /// A server that will listen on `io` (which must outlive it). Nothing happens before start().
  http_server(boost::asio::io_context& io, http_server_options options);
  /// Stops the server (see stop()).
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Routes `method` requests for `path` to `handler`. `path` is exact ("/slack/events") or a
  /// prefix ending in '*' ("/webhook/*" matches "/webhook/a/b"); an exact route wins over a
  /// prefix, a longer prefix over a shorter. Registering the same method and path twice
  /// replaces the handler. Call before start(), from one thread; throws std::logic_error after.
  void route(std::string method, std::string path, http_handler handler);

  /// Binds, listens and starts accepting; returns the bound port. Call once, before or while
  /// the io_context runs. Throws boost::system::system_error when the address cannot be bound.
  std::uint16_t start();

  /// Closes the listener, closes idle connections and lets each request in progress finish
  /// with `Connection: close`. Returns at once; io_context::run() returns when the last
  /// connection is gone (so once every handler has answered). Thread-safe and idempotent.
  void stop();

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace tandem
