#include "adapters/slack/slack_signature.h"

#include <algorithm>
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
  hmac_sha256 key(signing_secret);
  return "v0=" + key.hex_digest({"v0:", timestamp, ":", body});
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

bool signature_matches(hmac_sha256& signing_key, std::string_view timestamp, std::string_view body,
                       std::string_view signature) {
  const std::string expected = "v0=" + signing_key.hex_digest({"v0:", timestamp, ":", body});
  // The length of a valid signature is public; only the digits must be compared in constant time.
  return equal_in_constant_time(expected, signature);
}

}  // namespace tandem::slack
