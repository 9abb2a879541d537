#pragma once
// What Tandem sends to Slack, as JSON values: messages in mrkdwn with Block Kit buttons for
// one-click answers, the update that shows an answer on its message, the reason modal; and
// how Web API answers map to delivery results (PROTOCOLS.md A4, A5). No I/O.

#include "adapters/outbound_adapter.h"
#include "adapters/slack/slack_inbound.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tandem::slack {

/// `&`, `<` and `>` as Slack needs them in any text it formats (`&amp;`, `&lt;`, `&gt;`). Pure.
std::string escape_text(std::string_view text);

/// Neutral markup (core/markup.h) in Slack's mrkdwn: **bold** → *bold*, [label](url) →
/// <url|label>, "- " items → "• ", backslash escapes resolved, and every literal character of
/// text written by `append_mrkdwn_literal` (markup_literals.h), so that a title never formats,
/// links or mentions. Inside `code` only `&`, `<`, `>` are escaped (Slack formats nothing there,
/// and a command stays as it is typed). Pure.
std::string mrkdwn_from_markup(std::string_view markup);

/// The body of a message (the fields `text` and, with answers, `blocks`, to which the caller
/// adds `channel`, `thread_ts`, `response_type`...). Without answers: `text` in mrkdwn. With
/// answers: `text` is the plain fallback (its
/// characters written as text), the blocks are the text in sections of at most 3000
/// characters, then one actions block per answered item (answers grouped by the command's
/// argument, e.g. "12" of "done 12"; at most 25 buttons a block), each button's `value` its
/// command and `action_id` `tandem_answer_<n>` or, when it needs a reason, `tandem_reason_<n>`.
/// `block_prefix` makes the block ids unique to the message (e.g. a hash of its outbox key). Pure.
nlohmann::json message_body(const rendered_message& message, std::string_view block_prefix);

/// A short, stable hex hash of `text` (FNV-1a, 32 bits), for block ids. Pure.
std::string short_hash(std::string_view text);

/// The response_url body that replaces `original` (a block_actions payload's `message`) so that
/// the actions block `block_id` shows the answer: `*<label>* · <@user>`. Other blocks stay.
/// Nothing when the original has no blocks. Pure.
std::optional<nlohmann::json> answered_message(const nlohmann::json& original, std::string_view block_id,
                                               std::string_view user_id, std::string_view label);

/// The modal (a `views.open` view) asking for the rest of `request`'s command: titled with the
/// answer's label, one multi-line input labelled with the command. Pure.
nlohmann::json reason_modal(const reason_request& request);

/// Everything known about one failed Web API call, at once.
struct api_error {
  std::string network;  ///< why there was no response; empty when there was one
  unsigned status = 0;  ///< the HTTP status; 0 without a response
  std::string code;     ///< Slack's `error` of an `ok:false` answer, e.g. "channel_not_found"
  std::optional<std::chrono::seconds> retry_after;  ///< the Retry-After of a 429

  /// A short reason for logs and the outbox: the code, "HTTP 503", or the network error.
  std::string describe() const;
  bool operator==(const api_error&) const = default;
};

/// A Web API answer: the JSON body of an `ok:true` answer, or the error.
using api_result = std::variant<nlohmann::json, api_error>;

/// Reads a Web API response: 429 and 5xx are errors with their status (429 with
/// `retry_after`), a 200 must be a JSON object whose `ok` is true, else its `error` is the code
/// ("malformed_response" when it is not JSON). Pure.
api_result read_api_response(unsigned status, std::optional<std::chrono::seconds> retry_after, std::string_view body);

/// Reads a response_url answer: any 2xx is success unless its body is JSON with `ok:false`;
/// 4xx means the URL can no longer be used (expired or used five times). Pure.
api_result read_response_url_answer(unsigned status, std::optional<std::chrono::seconds> retry_after,
                                    std::string_view body);

/// True for the errors that mean the bot token no longer works: invalid_auth, not_authed,
/// account_inactive, token_revoked, token_expired. Further sends must stop.
bool is_auth_failure(const api_error& error);

/// What the outbox does with a failed send: retry network errors, 429s (with Retry-After), 5xx,
/// `ratelimited`/`rate_limited`, `internal_error`, `fatal_error`, `service_unavailable`,
/// `request_timeout`; fail everything else with the code as reason. Pure.
delivery_result to_delivery_result(const api_error& error);

}  // namespace tandem::slack
