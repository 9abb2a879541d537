#pragma once
// The webhook adapter's cryptography: the HMAC-SHA256 signature of the generic signed JSON form,
// constant-time token checks, and the signed one-click links `GET /act/{token}`. No I/O.

#include "core/model.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tandem::webhook {

/// The header carrying the request's Unix time in seconds, e.g. "1700000000".
inline constexpr std::string_view timestamp_header = "X-Tandem-Timestamp";
/// The header carrying `v1=` and the lowercase hex HMAC-SHA256 of the string to sign.
inline constexpr std::string_view signature_header = "X-Tandem-Signature";
/// A signed request older or newer than this is refused (replay protection).
inline constexpr std::chrono::seconds signature_window{300};

/// Lowercase hex of HMAC-SHA256(key, data); the key is used as its literal bytes. Pure.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// "v1=" + hex(HMAC-SHA256(secret, "v1:" + timestamp + ":" + body)): the signature a sender puts
/// in X-Tandem-Signature. Pure.
std::string request_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

/// Checks a generic signed request: both headers present, the timestamp a whole number of
/// seconds within `signature_window` of `now` (either way), the signature equal (in constant
/// time) to request_signature over the raw body. Nothing when it holds; else the reason, fit
/// for the response ("missing X-Tandem-Signature", "timestamp too old or too new: replay
/// refused", "bad signature"). Pure.
std::optional<std::string> check_request_signature(std::string_view secret, std::optional<std::string_view> timestamp,
                                                   std::optional<std::string_view> signature, std::string_view body,
                                                   time_point now);

/// What one one-click link does: send `command` as the person with identity (webhook,
/// `channel`, `user`), before `expires`, once (`nonce` names the single use).
struct action_link {
  std::string channel;        ///< the webhook channel's name
  std::string user;           ///< the person's user id on that channel
  std::string command;        ///< e.g. "done 12"
  std::string label;          ///< the answer's label in the person's language, for the page
  bool needs_reason = false;  ///< the page asks for the rest of the command first
  time_point expires{};
  std::string nonce;  ///< unique to the link; the same for every delivery of one outbox row
  bool operator==(const action_link&) const = default;
};

/// A link's nonce: derived from the outbox row's idempotency key and the answer's position, so
/// a retried delivery carries the same nonces. Pure.
std::string link_nonce(std::string_view idempotency_key, std::size_t answer_index);

/// The URL-safe token for `link`: base64url(JSON of the link) "." base64url(HMAC-SHA256(key,
/// "tandem-link-v1." + the first part)). Pure.
std::string sign_link(const action_link& link, std::string_view key);

/// Why a link is refused.
enum class link_problem {
  forged,   ///< not a token of ours: malformed, or its signature does not match
  expired,  ///< past its expiry
};

/// The link a token stands for, once its signature checks out and it has not expired at `now`.
/// Pure.
std::variant<action_link, link_problem> open_link(std::string_view token, std::string_view key, time_point now);

}  // namespace tandem::webhook
