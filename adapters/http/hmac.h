#pragma once
// HMAC-SHA256 with a key set up once (OpenSSL's EVP_MAC), for request signatures and signed
// links: the key schedule is computed at construction, so each digest costs only the hashing.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace tandem {

/// HMAC-SHA256 under one key. Not thread-safe: one caller at a time (an adapter's strand).
class hmac_sha256 {
 public:
  using digest_bytes = std::array<unsigned char, 32>;

  /// A MAC keyed with the literal bytes of `key`. Throws std::runtime_error when OpenSSL
  /// cannot set it up (no HMAC or SHA-256 in the provider).
  explicit hmac_sha256(std::string_view key);
  ~hmac_sha256();
  hmac_sha256(hmac_sha256&& other) noexcept;
  hmac_sha256& operator=(hmac_sha256&& other) noexcept;
  hmac_sha256(const hmac_sha256&) = delete;
  hmac_sha256& operator=(const hmac_sha256&) = delete;

  /// The MAC of the concatenation of `parts` (no copy of them is made).
  digest_bytes digest(std::initializer_list<std::string_view> parts);
  /// The same MAC as 64 lowercase hex digits.
  std::string hex_digest(std::initializer_list<std::string_view> parts);

 private:
  struct context;
  context* context_;
};

/// Lowercase hex of `bytes`.
std::string to_hex(std::span<const unsigned char> bytes);

/// `bytes` fresh random bytes (OpenSSL's RAND_bytes) as lowercase hex. Throws std::runtime_error
/// when the random generator fails.
std::string random_hex(std::size_t bytes);

/// The SHA-256 of `text` as 64 lowercase hex digits (how secrets that are looked up, such as
/// dashboard links and sessions, are stored).
std::string sha256_hex(std::string_view text);

/// A fresh secret token (calendar and export links, dashboard links and sessions): 48 hex digits,
/// 192 bits of `random_hex`. Thread-safe.
std::string random_token();

/// True when `a` and `b` are equal, in time that depends only on their lengths (lengths are not
/// secret; the bytes are).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace tandem
