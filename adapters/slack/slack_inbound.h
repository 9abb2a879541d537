#pragma once
// Slack's inbound wire formats (PROTOCOLS.md A1, A3, A4) as plain structs parsed from bodies
// whose signature was already verified, and their translation to tandem::inbound. No I/O.

#include "core/inbound.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem::slack {

/// A body that is not what Slack sends: why, in a few words for a 400 answer.
struct wire_error {
  std::string reason;
};

/// A parsed wire struct, or why the body could not be parsed.
template <typename T>
using parsed = std::variant<T, wire_error>;

/// The fields of an `event_callback`'s inner event that Tandem reads (A1). A string field is
/// empty when the event lacks it or holds something other than a string there; what nests
/// deeper (`blocks`, an edited `message`) is not read.
struct inner_event {
  std::string type;       ///< "message", "app_mention", "reaction_added", ...
  std::string subtype;    ///< e.g. "message_changed", "file_share"
  bool from_bot = false;  ///< it carries a `bot_id` that is not null
  std::string user;
  std::string text;
  std::string channel;
  std::string channel_type;  ///< "channel", "group", "im", "mpim"
  std::string ts;
  std::string thread_ts;
  std::string event_ts;
  std::string reaction;      ///< reaction_added: the emoji's name
  std::string item_user;     ///< reaction_added: who wrote what was reacted to
  std::string item_type;     ///< reaction_added: `item.type`, "message" for a message
  std::string item_channel;  ///< reaction_added: `item.channel`
  bool operator==(const inner_event&) const = default;
};

/// An Events API request body: the envelope around one event (A1).
struct event_envelope {
  std::string type;                 ///< "event_callback", "url_verification", "app_rate_limited", ...
  std::string challenge;            ///< url_verification: what to echo
  std::string team_id;              ///< the workspace the app is installed in; empty for url_verification
  std::string event_id;             ///< "Ev08MFMKH6": the same on every retry
  std::string authorized_bot_user;  ///< the bot's user id from `authorizations[]` (is_bot), when sent
  inner_event event;                ///< event_callback: the inner event
  bool operator==(const event_envelope&) const = default;
};

/// Parses an Events API body (JSON) in one pass, keeping only the fields Tandem reads.
/// `event_callback` needs `team_id`, `event_id` and an object `event` with a string `type`;
/// `url_verification` needs `challenge`. Pure.
parsed<event_envelope> parse_event_envelope(std::string_view body);

/// The same from Socket Mode, where the envelope arrives as a JSON value. Pure.
parsed<event_envelope> event_envelope_from_json(const nlohmann::json& document);

/// An inner event translated: the inbound event, or why Tandem ignores it (a bot's own message,
/// an edit, an event type it does not use). Exactly one of the two is set.
struct translated_event {
  std::optional<inbound> event;
  std::string ignored;
};

/// Translates an `event_callback`'s inner event. `bot_user_id` is Tandem's own bot user in that
/// workspace (empty when not known yet). Messages (channels and DMs) and `app_mention`s share
/// the dedup key `slack:<team>:<channel>:<ts>`, so a retry and the mention's twin count once;
/// other events use `slack:<team>:event:<event_id>`. DMs are direct commands; channel messages
/// are activity unless they mention the bot (then commands, the mention taken out of the text,
/// replied to in the message's thread). Messages with `bot_id`, from the bot's own user, or
/// with a subtype other than file_share, thread_broadcast or me_message are ignored. An event
/// Tandem uses but that lacks a field it needs is a wire_error. Pure.
parsed<translated_event> translate_event(const event_envelope& envelope, std::string_view bot_user_id);

/// Slack's message text as typed: `<@U1|ana>` becomes `<@U1>`, `<#C1|general>` `#general`,
/// `<!here>` `@here`, `<https://x|label>` `https://x`, and `&amp;` `&lt;` `&gt;` are decoded. Pure.
std::string plain_text_from_slack(std::string_view text);

/// A slash command invocation (A3), form-decoded after the signature was checked.
struct slash_command {
  std::string team_id;
  std::string channel_id;
  std::string user_id;
  std::string command;  ///< "/tandem"
  std::string text;     ///< what follows the command, e.g. "done 12"
  std::string response_url;
  std::string trigger_id;
};

/// Parses a slash command's form body. Needs team_id, channel_id, user_id, command,
/// response_url and trigger_id; text may be empty. Pure.
parsed<slash_command> parse_slash_command(std::string_view form_body);

/// The same from Socket Mode, where the fields arrive as a JSON object. Pure.
parsed<slash_command> slash_command_from_json(const nlohmann::json& fields);

/// The inbound command a slash command is: addressed, direct in a DM (channel `D…`), deduplicated
/// by `slack:<team>:command:<trigger_id>`, replied to ephemerally through its response_url
/// (reply handle `response_url:<url>`). `at` is when it arrived. Pure.
inbound to_inbound(const slash_command& command, time_point at);

/// One button press inside a block_actions payload (A4).
struct button_press {
  std::string action_id;
  std::string block_id;
  std::string value;  ///< for Tandem's buttons: the command, e.g. "done 12"
  std::string label;  ///< the button's text, e.g. "Done"
  std::string action_ts;
};

/// A `block_actions` payload: someone pressed a button on a message.
struct block_actions {
  std::string team_id;
  std::string user_id;
  std::string channel_id;
  std::string trigger_id;
  std::string response_url;
  std::string message_ts;  ///< container.message_ts: the message the buttons are on
  nlohmann::json message;  ///< that message (text, blocks), when Slack sends it; null otherwise
  std::vector<button_press> actions;
};

/// A `view_submission` payload: someone submitted a modal.
struct view_submission {
  std::string team_id;
  std::string user_id;
  std::string view_id;
  std::string callback_id;
  std::string private_metadata;
  nlohmann::json values;  ///< view.state.values: {block_id: {action_id: {type, value}}}
};

/// An interactivity request: its `type`, and the payload when Tandem uses that type.
struct interaction {
  std::string type;  ///< "block_actions", "view_submission", "shortcut", ...
  std::variant<std::monostate, block_actions, view_submission> payload;
};

/// Parses an interactivity form body: one field `payload` holding JSON. Pure.
parsed<interaction> parse_interaction(std::string_view form_body);

/// The same from Socket Mode, where the payload arrives as a JSON object. Pure.
parsed<interaction> interaction_from_json(const nlohmann::json& payload);

/// Tandem's answer buttons: action ids `tandem_answer_<n>`, or `tandem_reason_<n>` for answers
/// that need a reason before their command is sent.
bool is_answer_button(std::string_view action_id);
bool asks_for_reason(std::string_view action_id);

/// The inbound event a press of one of Tandem's answer buttons is: a button event whose text
/// is the button's value (the command), addressed, deduplicated by
/// `slack:<team>:button:<channel>:<message_ts>:<action_id>:<user>` (a double click counts
/// once). In a DM it is replied to there; in a channel ephemerally through the response_url.
/// `at` is when it arrived. Pure.
inbound to_inbound(const block_actions& actions, const button_press& press, time_point at);

/// What the reason modal carries from the button to its submission, in `private_metadata`.
struct reason_request {
  std::string command;       ///< the button's command, e.g. "blocked 12"
  std::string channel_id;    ///< where the button was
  std::string response_url;  ///< the button's response_url (replies and the message update)
  std::string label;         ///< the button's label, e.g. "Blocked"
  std::string block_id;      ///< the actions block the button was in
  std::string original;      ///< key of the original message kept in memory, to show the answer on it
  bool operator==(const reason_request&) const = default;
};

/// `private_metadata` text for a reason request (compact JSON; under Slack's 3000 characters
/// for any response_url Slack sends). Pure.
std::string to_private_metadata(const reason_request& request);
/// The reason request in a modal's `private_metadata`, or nothing when it is not one. Pure.
std::optional<reason_request> reason_request_from_metadata(std::string_view metadata);

/// The inbound command a submitted reason modal is: the request's command followed by the
/// reason typed (line breaks become spaces; a blank reason leaves the bare command, which the
/// core answers by asking for it), a button event from the submitter, deduplicated by
/// `slack:<team>:view:<view_id>`. Nothing when the submission is not Tandem's reason modal. Pure.
std::optional<inbound> to_inbound(const view_submission& submission, time_point at);

/// The `callback_id`, block id and action id of Tandem's reason modal.
inline constexpr std::string_view reason_callback_id = "tandem_reason";
inline constexpr std::string_view reason_block_id = "reason";
inline constexpr std::string_view reason_action_id = "reason";

}  // namespace tandem::slack
