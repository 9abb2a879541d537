#pragma once
// Slack request signing (PROTOCOLS.md A2): "v0=" + hex(HMAC-SHA256(signing secret, "v0:" +
// timestamp + ":" + raw body)), checked over the raw bytes before anything parses them.

#include "adapters/http/hmac.h"
#include "core/model.h"

#include <optional>
#include <string>
#include <string_view>

namespace tandem::slack {

/// The replay window: a request whose timestamp is further from now, either way, is refused.
inline constexpr std::chrono::seconds signature_window{300};

/// Why a request's signature headers cannot be accepted, whatever the secret.
enum class signature_problem {
  none,
  missing_timestamp,  ///< no X-Slack-Request-Timestamp
  missing_signature,  ///< no X-Slack-Signature
  bad_timestamp,      ///< not a number of seconds
  stale_timestamp,    ///< more than five minutes off now, past or future
  unknown_version,    ///< the signature does not start with "v0="
};

/// A short reason for a 401 answer, e.g. "stale X-Slack-Request-Timestamp (more than 5 minutes off)".
std::string_view to_string(signature_problem);

/// The signature Slack sends for `body` at `timestamp` (the header's text) with `signing_secret`
/// (its literal bytes): "v0=" and 64 lowercase hex digits. Pure; thread-safe.
std::string compute_signature(std::string_view signing_secret, std::string_view timestamp, std::string_view body);

/// Checks what does not depend on the secret: both headers present, the timestamp a number
/// within `signature_window` of `now`, the version "v0". Pure; thread-safe.
signature_problem check_signature_headers(std::optional<std::string_view> timestamp,
                                          std::optional<std::string_view> signature, time_point now);

/// True when `signature` is the one the signing secret behind `signing_key` gives for
/// `timestamp` and `body`, compared in constant time. Call after check_signature_headers. Uses
/// `signing_key` (one caller at a time).
bool signature_matches(hmac_sha256& signing_key, std::string_view timestamp, std::string_view body,
                       std::string_view signature);

}  // namespace tandem::slack
