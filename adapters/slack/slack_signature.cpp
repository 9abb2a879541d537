#include "adapters/slack/slack_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace tandem::slack {

std::string_view to_string(signature_problem problem) {
  switch (problem) {
    case signature_problem::none: return "ok";
    case signature_problem::missing_timestamp: return "missing X-Slack-Request-Timestamp";
    case signature_problem::missing_signature: return "missing X-Slack-Signature";
    case signature_problem::bad_timestamp: return "bad X-Slack-Request-Timestamp (not a number of seconds)";
    case signature_problem::stale_timestamp: return "stale X-Slack-Request-Timestamp (more than 5 minutes off)";
    case signature_problem::unknown_version: return "unknown signature version (expected v0=)";
  }
  return "bad signature";
}

std::string compute_signature(std::string_view signing_secret, std::string_view timestamp, std::string_view body) {
  std::string basestring;
  basestring.reserve(4 + timestamp.size() + body.size());
  basestring.append("v0:").append(timestamp).append(":").append(body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), signing_secret.data(), static_cast<int>(signing_secret.size()),
       reinterpret_cast<const unsigned char*>(basestring.data()), basestring.size(), digest.data(), &length);
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out = "v0=";
  out.reserve(3 + 2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4U];
    out += hex[digest[i] & 0x0FU];
  }
  return out;
}

signature_problem check_signature_headers(std::optional<std::string_view> timestamp,
                                          std::optional<std::string_view> signature, time_point now) {
  if (!timestamp) return signature_problem::missing_timestamp;
  if (!signature) return signature_problem::missing_signature;
  long long seconds = 0;
  const char* end = timestamp->data() + timestamp->size();
  if (timestamp->empty() || timestamp->size() > 12 ||
      !std::ranges::all_of(*timestamp, [](char c) { return c >= '0' && c <= '9'; }) ||
      std::from_chars(timestamp->data(), end, seconds).ptr != end) {
    return signature_problem::bad_timestamp;
  }
  const auto difference = now.time_since_epoch() - std::chrono::seconds{seconds};
  if (difference > signature_window || difference < -signature_window) return signature_problem::stale_timestamp;
  if (!signature->starts_with("v0=")) return signature_problem::unknown_version;
  return signature_problem::none;
}

bool signature_matches(std::string_view signing_secret, std::string_view timestamp, std::string_view body,
                       std::string_view signature) {
  const std::string expected = compute_signature(signing_secret, timestamp, body);
  // The length of a valid signature is public; only the digits must be compared in constant time.
  return signature.size() == expected.size() && CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace tandem::slack
