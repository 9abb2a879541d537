#pragma once
// How often one client may call the endpoints that take a token without any other proof (one-click
// links, dashboard sign-in links, calendar feeds, exports): a token bucket per client address,
// the oldest buckets forgotten when there are too many. The HTTP server asks it before routing.

#include "adapters/http/http_types.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tandem {

/// The budget of one client, and whom to believe about who the client is.
struct rate_limit_options {
  double burst = 30;       ///< requests a client may make at once (the bucket's size), at least 1
  double per_minute = 30;  ///< requests the bucket regains each minute, more than 0
  std::size_t max_clients = 10000;  ///< buckets kept; beyond this the least recently seen is forgotten
  /// Addresses or networks (`10.0.0.0/8`, `::1`) of reverse proxies whose `X-Forwarded-For` is
  /// believed. From anyone else the header is ignored: the peer's address is the client.
  std::vector<std::string> trusted_proxies;
};

/// True when `text` is an IPv4 or IPv6 address, or a network written `address/prefix`: what
/// `rate_limit_options::trusted_proxies` accepts.
bool is_address_or_network(std::string_view text);

/// Token buckets per client. Thread-safe: every member may be called from any thread.
class client_rate_limiter {
 public:
  using clock_function = std::function<std::chrono::steady_clock::time_point()>;

  /// A limiter reading the time from `clock` (the steady clock by default; tests pass their own).
  /// Throws std::invalid_argument when a trusted proxy is not an address or network, or when
  /// `burst` is below 1 or `per_minute` not above 0.
  explicit client_rate_limiter(rate_limit_options options, clock_function clock = {});

  /// Who sent `request`: the peer's address (`request.remote` without its port); when the peer is
  /// a trusted proxy, the right-most address of `X-Forwarded-For` that is not a trusted proxy.
  /// An IPv6 client is its /64 network (one household or server gets one bucket, not 2^64).
  [[nodiscard]] std::string client_of(const http_request& request) const;

  /// Spends one request of the client's bucket: nothing when it may proceed, else how long until
  /// it may try again (whole seconds, at least one; for `Retry-After`). A refused request costs
  /// nothing.
  [[nodiscard]] std::optional<std::chrono::seconds> admit(const http_request& request);

  /// The number of clients whose buckets are kept (at most `max_clients`).
  [[nodiscard]] std::size_t clients() const;

 private:
  struct network {
    std::vector<unsigned char> bytes;  ///< 4 or 16
    unsigned prefix = 0;
  };
  struct bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
    std::list<std::string>::iterator recent;  ///< its place in `recent_`
  };

  [[nodiscard]] bool is_trusted(std::string_view address) const;

  rate_limit_options options_;
  clock_function clock_;
  std::vector<network> trusted_;

  mutable std::mutex mutex_;  // guards what follows
  std::list<std::string> recent_;  ///< clients, the most recently seen first
  std::unordered_map<std::string, bucket> buckets_;
};

/// The 429 a limited client gets, with `Retry-After: <retry_after>`.
[[nodiscard]] http_response too_many_requests(std::chrono::seconds retry_after);

}  // namespace tandem
