#pragma once
// The outgoing HTTP/1.1 client every platform adapter uses (Slack Web API, Matrix
// client-server API, webhooks): TLS with peer and host name verification, a keep-alive pool
// per host, a timeout on every step and a limit on every body. No Asio, no Beast here.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

/// "Tandem/<version>", the User-Agent sent unless a request sets its own.
[[nodiscard]] std::string default_user_agent();

/// How an http_client connects, and what it tolerates.
struct http_client_options {
  /// The default time one request may take, from getting a connection (resolve, connect and
  /// TLS handshake when it opens one) to the last byte of the response.
  std::chrono::seconds timeout{30};
  std::size_t body_limit = 8 * 1024 * 1024;  ///< a larger response body fails with body_too_large
  /// A PEM file of CA certificates trusted in addition to the system store (tests use it).
  /// Empty: the system store only.
  std::string extra_ca_file;
  std::size_t max_connections_per_host = 4;  ///< per (scheme, host, port); at least 1 is used
  std::chrono::seconds idle_keepalive{60};   ///< an unused pooled connection is closed after this
  std::string user_agent = default_user_agent();
};

/// One request to send.
struct client_request {
  std::string method = "GET";  ///< e.g. "GET", "POST", "PUT"
  /// "https://host[:port]/path?query" or "http://…"; a host may be a name, an IPv4 address or a
  /// bracketed IPv6 address. No user information; a fragment is dropped. May carry secrets in
  /// the path or query: the client never puts either into an error message.
  std::string url;
  /// Header fields, sent in order. Host, Content-Length, Transfer-Encoding and Connection are
  /// the client's (given ones are dropped); User-Agent is added when absent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  ///< sent with a Content-Length (also when empty, for POST, PUT and PATCH)
  /// Overrides http_client_options::timeout for this request (Matrix /sync long polls).
  std::optional<std::chrono::milliseconds> timeout;
};

/// A complete response, whatever its status: 3xx (redirects are not followed), 4xx and 5xx are
/// responses, not errors.
struct client_response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  ///< keys lowercased; repeated fields joined by ", "
  std::string body;

  /// The value of header `name`, matched case-insensitively, or nothing when absent.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// Why a request got no response. `message` says what failed in words fit for a log: it names
/// the method, scheme, host and port, never the path (webhook URLs hide secrets there), the
/// query, a header or a body.
struct client_error {
  enum class kind {
    bad_url,         ///< the URL, method or a header field is malformed; nothing was sent
    resolve,         ///< the host name could not be resolved
    connect,         ///< no connection could be made, or it broke before the response was complete
    tls,             ///< the TLS handshake failed, e.g. the certificate is not trusted or not for the host
    timeout,         ///< the request's timeout passed
    protocol,        ///< the response is not valid HTTP/1.1 (or its header is over 64 KiB)
    body_too_large,  ///< the response body is over http_client_options::body_limit
    cancelled,       ///< cancel_all() or the client's destruction ended the request
  };
  kind what = kind::connect;
  std::string message;
};

/// The kind's name as written in the enum, e.g. "body_too_large".
[[nodiscard]] std::string_view to_string(client_error::kind what);

/// A response or the reason there is none.
using client_result = std::variant<client_response, client_error>;

/// Receives the result of one request, exactly once, on the io_context. Must not throw.
using client_completion = std::function<void(client_result)>;

/// An HTTP/1.1 client on one io_context (run by any number of threads; its work is serialized
/// on one strand). HTTPS uses OpenSSL with TLS 1.2 at least, verifies the peer against the
/// system's CA store (and http_client_options::extra_ca_file) and its certificate against the
/// URL's host, and sends SNI for host names; verification cannot be turned off.
///
/// Connections are kept alive and reused per (scheme, host, port), at most
/// max_connections_per_host at once; a request beyond that waits for a free connection. A
/// request that fails on a reused connection before any byte of the response arrived (the
/// server closed the idle connection) is sent once more on a new connection; a request that got
/// part of a response is never sent again.
class http_client {
 public:
  /// A client on `io` (which must outlive it). Throws std::runtime_error when
  /// options.extra_ca_file cannot be loaded.
  http_client(boost::asio::io_context& io, http_client_options options);
  /// Cancels every request (see cancel_all()); their completions still run on the io_context.
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends `request` and calls `done` with its result on the io_context, never from within
  /// send(). Thread-safe. A malformed request completes with bad_url.
  void send(client_request request, client_completion done);

  /// Ends every waiting and running request with `cancelled` and closes every connection.
  /// Requests sent afterwards run normally. Thread-safe; returns at once.
  void cancel_all();

 private:
  struct state;
  std::shared_ptr<state> state_;
};

/// The wait a Retry-After header value asks for: delta-seconds ("120") or an HTTP-date
/// ("Wed, 21 Oct 2015 07:28:00 GMT", also the obsolete RFC 850 and asctime forms), relative to
/// `now`. A date in the past gives 0 s; anything else (garbage, a negative number, a number too
/// large for 32 bits) gives nothing. Surrounding spaces are ignored. A pure function.
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                                    std::chrono::sys_seconds now);

}  // namespace tandem
