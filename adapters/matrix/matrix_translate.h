#pragma once
// Matrix events to `tandem::inbound`: which events Tandem hears, what is a command, what a
// reaction answers. Pure functions over wire structs; no I/O.

#include "adapters/matrix/matrix_wire.h"
#include "core/inbound.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::matrix {

/// The room prefix of a command: `!tandem assign …` in a room (bare commands in a DM).
inline constexpr std::string_view command_prefix = "!tandem";

/// The custom content key under which Tandem's messages carry their answers: reaction key ->
/// command, e.g. {"✅": "done 12"}. Reading it back from the message (only when the bot sent it)
/// tells what a reaction on that message means, across restarts.
inline constexpr std::string_view answers_content_key = "org.tandem.answers";

/// Who the bot is on Matrix.
struct bot_account {
  std::string user_id;    ///< "@tandem:example.org"
  std::string workspace;  ///< the server name of `user_id`: the `workspace` of Matrix identities and rooms
};

/// The server name of a Matrix user id ("@a:example.org:8448" -> "example.org:8448"); empty
/// when `user_id` is not of the form @localpart:server.
std::string server_name_of(std::string_view user_id);

/// The answers a message offers: reaction key (normalized) -> command.
using answer_keys = std::map<std::string, std::string>;

/// What the adapter knows about the message a reaction is on.
struct reaction_target {
  bool sent_by_bot = false;
  answer_keys answers;  ///< empty unless the bot sent the message with answers
};

/// `key` without emoji variation selectors (U+FE0E, U+FE0F), so "✅️" and "✅" are one answer.
std::string normalize_reaction_key(std::string_view key);

/// The answers carried by the content of a message the bot sent (under `answers_content_key`);
/// empty when there are none or they are malformed.
answer_keys answers_in_content(const nlohmann::json& content);

/// `body` without a legacy reply fallback: the leading `> ` quote lines and the empty line
/// after them.
std::string strip_reply_fallback(std::string_view body);

/// The command a message body carries: the text after `!tandem` (any case) when that starts
/// the body, else the whole body in a DM; nothing for a plain room message. A bare `!tandem`
/// is `help`.
std::optional<std::string> command_text(std::string_view body, bool direct);

/// `command` with the display names of pills (matrix.to links in `formatted_body`) replaced by
/// the user ids they link to, so `assign Bob …` written with a pill becomes `assign @bob:hs …`.
std::string with_pills_as_user_ids(std::string command, std::string_view formatted_body);

/// Whether an event of `type` may need the answers of the message it relates to (a reaction).
bool needs_reaction_target(const client_event& event);

/// Translates an `m.room.message` or `m.reaction` event of room `event.room_id` into what the
/// core receives, or nothing when Tandem ignores it: the bot's own events, every `m.notice`,
/// edits (`m.replace`), other types, and reactions that are not annotations. `direct`: the room
/// is a DM with the bot. `target`: for a reaction, what is known about the message it is on
/// (nothing: not known to be the bot's). Dedup key: `matrix:<event_id>`.
std::optional<inbound> translate_event(const client_event& event, const bot_account& bot, bool direct,
                                       const std::optional<reaction_target>& target);

}  // namespace tandem::matrix
