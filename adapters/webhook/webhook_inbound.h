#pragma once
// Requests that chat systems send to `POST /webhook/{name}` (PROTOCOLS.md C), parsed into plain
// values: Mattermost outgoing webhooks and slash commands (form or JSON), Rocket.Chat outgoing
// webhooks, and Tandem's generic signed JSON form. Authentication is the caller's. No I/O.

#include "adapters/http/http_types.h"

#include <string>
#include <string_view>
#include <variant>

namespace tandem::webhook {

/// Which sender a request came from; it also decides the shape of the answer.
enum class request_style { mattermost_outgoing, mattermost_command, rocketchat, signed_json };

/// One parsed request.
struct parsed_request {
  request_style style = request_style::signed_json;
  std::string token;         ///< the token the request carries (Mattermost, Rocket.Chat); empty for signed
  std::string user;          ///< the platform's user id of the sender
  std::string conversation;  ///< the platform's channel id, when given
  std::string text;          ///< the command (trigger word or slash command removed) or the message
  bool command = true;       ///< addressed to Tandem (trigger word, slash command, signed form)
  std::string event_id;      ///< the platform's id of the event (post_id, message_id, id); empty: none
  std::string response_url;  ///< Mattermost slash commands: where later replies may go
  bool operator==(const parsed_request&) const = default;
};

/// A request that cannot be read, with the reason for the 400 answer.
struct malformed_request {
  std::string reason;
  bool operator==(const malformed_request&) const = default;
};

using parse_result = std::variant<parsed_request, malformed_request>;

/// A Mattermost outgoing webhook or slash command, as a form body or JSON (by Content-Type), or
/// for a slash command configured with GET, as the query string. A
/// slash command has `command`; an outgoing webhook `post_id`. The token is the body's `token`,
/// or an `Authorization: Token <token>` header. Requires `user_id`. The trigger word is removed
/// from the text of an outgoing webhook; one without a trigger word is a plain message. Pure.
parse_result parse_mattermost(const http_request& request);

/// A Rocket.Chat outgoing webhook: JSON with `token`, `user_id`, `channel_id`, `text`,
/// `trigger_word`, `timestamp` (and `message_id`, which newer servers send). Without
/// `message_id` the event id is derived from user, timestamp and text. Pure.
parse_result parse_rocketchat(const http_request& request);

/// Tandem's generic signed form: a JSON object with `id` (string, unique per event), `user`
/// (string), `text` (string), optional `conversation` (string) and `command` (boolean, default
/// true). The signature is checked before this is called. Pure.
parse_result parse_signed(std::string_view body);

}  // namespace tandem::webhook
