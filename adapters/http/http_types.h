#pragma once
// Plain HTTP request and response values shared by the server and the adapters that route
// through it. No Asio, no Beast: adapters translate these, they never touch a socket.

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

/// One complete HTTP request as a handler sees it. A plain value: copy or move it anywhere.
struct http_request {
  std::string method;  ///< e.g. "GET", "POST", as sent
  std::string target;  ///< the request target as sent, e.g. "/calendar/x.ics?token=…" (may hold secrets)
  std::string path;    ///< the target up to '?', not percent-decoded, e.g. "/webhook/deploys"
  std::map<std::string, std::string> query;    ///< the query string, form-decoded; first value wins
  std::map<std::string, std::string> headers;  ///< keys lowercased; repeated fields joined by ", "
  std::string body;    ///< the raw body bytes (verify signatures over these)
  std::string remote;  ///< the peer as "address:port"

  /// The value of header `name`, matched case-insensitively, or nothing when absent.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// What a handler answers. Framing headers (Content-Length, Connection) are the server's.
struct http_response {
  unsigned status = 200;  ///< a final status, 200..599
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra fields, e.g. Retry-After
  std::string body;
};

/// A response with a plain-text body.
[[nodiscard]] http_response text_response(unsigned status, std::string body);

/// Seconds a platform is asked to wait (Retry-After) before it sends again a request that could
/// not be stored: a store that failed (a full disk) is often back within them.
inline constexpr int store_retry_after_seconds = 5;

/// `response` as a 503 with `Retry-After: store_retry_after_seconds`: the answer to a request
/// that was not stored, so not acknowledged.
[[nodiscard]] http_response not_stored_response(http_response response);

/// A response with `body` serialized as JSON (invalid UTF-8 in strings is replaced, not thrown).
[[nodiscard]] http_response json_response(unsigned status, const nlohmann::json& body);

/// Percent-encodes every byte of `text` but the unreserved characters of RFC 3986 (letters,
/// digits, '-', '.', '_', '~'), as %XX with upper-case hex: fit for a path segment, a query
/// value or a form value.
[[nodiscard]] std::string percent_encode(std::string_view text);

/// Decodes %XX escapes in `text` ('+' stays '+', as in a path). Nothing when an escape is
/// malformed (a '%' not followed by two hex digits).
[[nodiscard]] std::optional<std::string> percent_decode(std::string_view text);

/// `path` split at '/' into percent-decoded segments, empty ones skipped ("/a//b%2Fc" gives "a",
/// "b/c"); a segment with a malformed escape is kept as sent.
[[nodiscard]] std::vector<std::string> path_segments(std::string_view path);

/// Decodes an `application/x-www-form-urlencoded` body or query string into its fields, in
/// order, duplicates kept: '&' separates fields, the first '=' separates name from value (a
/// field without '=' has an empty value), '+' is a space, %XX escapes are decoded, empty
/// fields are skipped. Nothing when any escape is malformed.
[[nodiscard]] std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(
    std::string_view text);

}  // namespace tandem
