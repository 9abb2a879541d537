#include "adapters/http/client_rate_limit.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace tandem {
namespace {

namespace ip = boost::asio::ip;

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

/// An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is the IPv4 address it carries.
ip::address unmapped(const ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

/// An address as written in `X-Forwarded-For` or `http_request::remote`: bare, with a port
/// (`1.2.3.4:80`), or bracketed with or without one (`[::1]:80`).
std::optional<ip::address> parse_address(std::string_view text) {
  text = trimmed(text);
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (std::ranges::count(text, ':') == 1) {
    text = text.substr(0, text.find(':'));
  }
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string{text}, ec);
  if (ec) return std::nullopt;
  return unmapped(address);
}

std::vector<unsigned char> bytes_of(const ip::address& a) {
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  const auto b = a.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

/// Whether the first `prefix` bits of `a` and `b` (of the same length) agree.
bool same_prefix(const std::vector<unsigned char>& a, const std::vector<unsigned char>& b, unsigned prefix) {
  for (std::size_t i = 0; i < a.size() && prefix > 0; ++i, prefix = prefix >= 8 ? prefix - 8 : 0) {
    const unsigned bits = std::min(prefix, 8U);
    const auto mask = static_cast<unsigned char>(0xFFU << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

/// The bucket's name for a client: an IPv4 address, or the /64 network of an IPv6 one.
std::string client_key(const ip::address& a) {
  if (a.is_v4()) return a.to_string();
  auto bytes = a.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
  return ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace

bool is_address_or_network(std::string_view text) {
  const auto slash = text.find('/');
  boost::system::error_code ec;
  const auto address = ip::make_address(std::string{text.substr(0, slash)}, ec);
  if (ec) return false;
  if (slash == std::string_view::npos) return true;
  const std::string_view bits = text.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  return error == std::errc{} && end == bits.data() + bits.size() && !bits.empty() &&
         prefix <= (address.is_v4() ? 32U : 128U);
}

client_rate_limiter::client_rate_limiter(rate_limit_options options, clock_function clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  if (options_.burst < 1) throw std::invalid_argument("rate limit: a burst below one request lets nobody in");
  if (options_.per_minute <= 0) throw std::invalid_argument("rate limit: the bucket must refill (per_minute > 0)");
  for (const std::string& proxy : options_.trusted_proxies) {
    if (!is_address_or_network(proxy)) {
      throw std::invalid_argument("rate limit: trusted proxy \"" + proxy + "\" is not an address or network");
    }
    const auto slash = proxy.find('/');
    const auto address = unmapped(ip::make_address(proxy.substr(0, slash)));
    auto bytes = bytes_of(address);
    const auto width = static_cast<unsigned>(bytes.size() * 8);
    unsigned prefix = width;
    if (slash != std::string::npos) {
      prefix = static_cast<unsigned>(std::stoul(proxy.substr(slash + 1)));
      // A mapped network (::ffff:10.0.0.0/104) is the IPv4 network it carries.
      if (address.is_v4() && proxy.find(':') != std::string::npos) prefix = prefix >= 96 ? prefix - 96 : 0;
    }
    trusted_.push_back(network{std::move(bytes), std::min(prefix, width)});
  }
}

bool client_rate_limiter::is_trusted(std::string_view address) const {
  const auto parsed = parse_address(address);
  if (!parsed) return false;
  const auto bytes = bytes_of(*parsed);
  return std::ranges::any_of(trusted_, [&](const network& n) {
    return n.bytes.size() == bytes.size() && same_prefix(n.bytes, bytes, n.prefix);
  });
}

std::string client_rate_limiter::client_of(const http_request& request) const {
  const auto peer = parse_address(request.remote);
  if (!peer) return request.remote;  // "unknown": all such requests share one bucket
  if (is_trusted(request.remote)) {
    if (auto forwarded = request.header("x-forwarded-for")) {
      // Each proxy appends the address it was called from: the right-most untrusted one is the
      // first a trusted proxy vouches for. Anything left of it the client may have written.
      std::string_view rest = *forwarded;
      while (!rest.empty()) {
        const auto comma = rest.rfind(',');
        const std::string_view hop = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        const auto address = parse_address(hop);
        if (!address) break;  // a hop no proxy of ours would write: believe none of the rest
        if (!is_trusted(hop)) return client_key(*address);
      }
    }
  }
  return client_key(*peer);
}

std::optional<std::chrono::seconds> client_rate_limiter::admit(const http_request& request) {
  const std::string client = client_of(request);
  const auto now = clock_();
  const double per_second = options_.per_minute / 60.0;
  const std::lock_guard lock(mutex_);
  auto found = buckets_.find(client);
  if (found == buckets_.end()) {
    if (buckets_.size() >= std::max<std::size_t>(options_.max_clients, 1)) {
      buckets_.erase(recent_.back());
      recent_.pop_back();
    }
    recent_.push_front(client);
    found = buckets_.emplace(client, bucket{options_.burst, now, recent_.begin()}).first;
  } else {
    recent_.splice(recent_.begin(), recent_, found->second.recent);
  }
  bucket& b = found->second;
  const std::chrono::duration<double> elapsed = now - b.updated;
  b.tokens = std::min(options_.burst, b.tokens + std::max(elapsed.count(), 0.0) * per_second);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  const double wait = std::ceil((1 - b.tokens) / per_second);
  return std::chrono::seconds{std::max(static_cast<std::chrono::seconds::rep>(wait), std::chrono::seconds::rep{1})};
}

std::size_t client_rate_limiter::clients() const {
  const std::lock_guard lock(mutex_);
  return buckets_.size();
}

http_response too_many_requests(std::chrono::seconds retry_after) {
  http_response r = text_response(429, "too many requests from your address: try again in " +
                                           std::to_string(retry_after.count()) + " s\n");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return r;
}

}  // namespace tandem
