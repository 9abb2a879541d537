#pragma once
// Matrix wire structs (Client-Server API v1.19 and the Application Service API), as plain values
// with nlohmann `from_json`/`to_json`, kept apart from any I/O (the mtxclient way). Only the
// fields Tandem reads or writes are modelled; unknown fields are ignored when reading.
//
// Reading is strict about what the spec requires (a client event without `event_id`, `type` or
// `sender` throws nlohmann::json::exception) and lenient about what it leaves optional. Lists of
// events skip malformed entries and count them, so one bad event never hides the others.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::matrix {

/// `m.relates_to` of a message or reaction: `rel_type` m.annotation (reactions), m.replace
/// (edits), m.thread (threads); `in_reply_to` for rich replies.
struct relation {
  std::string rel_type;                    ///< empty for a plain reply
  std::string event_id;                    ///< the event related to (empty for a plain reply)
  std::string key;                         ///< m.annotation: the reaction, e.g. "👍"
  std::optional<std::string> in_reply_to;  ///< `m.in_reply_to.event_id`
  bool is_falling_back = false;            ///< m.thread: the reply is only a fallback
  bool operator==(const relation&) const = default;
};

/// `m.mentions`: who an event intentionally mentions ({} when nobody).
struct mention_set {
  std::vector<std::string> user_ids;
  bool room = false;
  bool operator==(const mention_set&) const = default;
};

/// Content of an `m.room.message` event (`m.text`, `m.notice`, `m.emote`, ...).
struct room_message {
  std::string msgtype;
  std::string body;
  std::string format;  ///< "org.matrix.custom.html" when `formatted_body` is HTML
  std::string formatted_body;
  std::optional<relation> relates_to;
  std::optional<mention_set> mentions;
  bool has_new_content = false;  ///< carries `m.new_content` (an edit)
  bool operator==(const room_message&) const = default;
};

/// Content of an `m.reaction` event.
struct reaction {
  relation relates_to;
  bool operator==(const reaction&) const = default;
};

/// Content of an `m.room.member` event.
struct member {
  std::string membership;  ///< invite, join, leave, ban, knock
  bool is_direct = false;  ///< set on the invite of a room created as a DM
  std::string displayname;
  std::string reason;
  bool operator==(const member&) const = default;
};

/// A client event as /sync, /messages, /event and AS transactions deliver it. `content` stays
/// JSON: its shape depends on `type` (read it with the content structs above).
struct client_event {
  std::string type;
  std::string event_id;
  std::string sender;
  std::string room_id;                   ///< absent in /sync timelines: set from the room's key when read there
  std::optional<std::string> state_key;  ///< present exactly on state events
  std::int64_t origin_server_ts = 0;     ///< milliseconds since the epoch
  nlohmann::json content = nlohmann::json::object();
  bool operator==(const client_event&) const = default;
};

/// A stripped state event (invite state): no event id, no timestamp.
struct stripped_state_event {
  std::string type;
  std::string state_key;
  std::string sender;
  nlohmann::json content = nlohmann::json::object();
  bool operator==(const stripped_state_event&) const = default;
};

/// A list of client events read leniently: what parsed, and how many entries did not.
struct event_list {
  std::vector<client_event> events;
  std::size_t malformed = 0;
  bool operator==(const event_list&) const = default;
};

/// `rooms.join[roomId].timeline`.
struct room_timeline {
  event_list events;
  bool limited = false;    ///< only the latest events came: fill the gap from `prev_batch`
  std::string prev_batch;  ///< token to paginate backwards from the first event
  bool operator==(const room_timeline&) const = default;
};

/// One room in `rooms.join`.
struct joined_room {
  event_list state;  ///< state between `since` and the timeline's start
  room_timeline timeline;
  bool operator==(const joined_room&) const = default;
};

/// One room in `rooms.invite`.
struct invited_room {
  std::vector<stripped_state_event> invite_state;
  bool operator==(const invited_room&) const = default;
};

/// A `/sync` response.
struct sync_response {
  std::string next_batch;  ///< required: the `since` of the next request
  std::map<std::string, joined_room> join;
  std::map<std::string, invited_room> invite;
  std::vector<std::string> leave;          ///< rooms left or banned from
  std::vector<client_event> account_data;  ///< global account data events (type + content only)
  bool operator==(const sync_response&) const = default;
};

/// A `GET /rooms/{roomId}/messages` response.
struct messages_response {
  std::string start;
  std::optional<std::string> end;  ///< absent: no more events in that direction
  event_list chunk;
  bool operator==(const messages_response&) const = default;
};

/// The standard error body; `retry_after_ms` only with M_LIMIT_EXCEEDED (deprecated since v1.10).
struct error_body {
  std::string errcode;
  std::string error;
  std::optional<std::int64_t> retry_after_ms;
  bool soft_logout = false;
  bool operator==(const error_body&) const = default;
};

/// `POST /login` with a password, for a user id or localpart.
struct password_login {
  std::string user;
  std::string password;
  std::optional<std::string> device_id;  ///< reuse the saved device (keeps txn id scope)
  std::string initial_device_display_name = "Tandem";
  bool operator==(const password_login&) const = default;
};

/// The `/login` response (required fields only, plus the optional expiry).
struct login_response {
  std::string user_id;
  std::string access_token;
  std::string device_id;
  bool operator==(const login_response&) const = default;
};

/// The `/account/whoami` response.
struct whoami_response {
  std::string user_id;
  std::optional<std::string> device_id;
  bool operator==(const whoami_response&) const = default;
};

/// `POST /createRoom` for a direct chat: trusted_private_chat, is_direct, no encryption.
struct create_direct_room {
  std::string invitee;
  bool operator==(const create_direct_room&) const = default;
};

/// An application-service transaction body (`PUT /_matrix/app/v1/transactions/{txnId}`).
struct transaction {
  event_list events;
  bool operator==(const transaction&) const = default;
};

/// `m.direct` account data: user id -> DM room ids.
using direct_rooms = std::map<std::string, std::vector<std::string>>;

void from_json(const nlohmann::json& j, relation& r);
void to_json(nlohmann::json& j, const relation& r);
void from_json(const nlohmann::json& j, mention_set& m);
void to_json(nlohmann::json& j, const mention_set& m);
void from_json(const nlohmann::json& j, room_message& m);
void to_json(nlohmann::json& j, const room_message& m);
void from_json(const nlohmann::json& j, reaction& r);
void to_json(nlohmann::json& j, const reaction& r);
void from_json(const nlohmann::json& j, member& m);
void to_json(nlohmann::json& j, const member& m);
void from_json(const nlohmann::json& j, client_event& e);
void to_json(nlohmann::json& j, const client_event& e);
void from_json(const nlohmann::json& j, stripped_state_event& e);
void to_json(nlohmann::json& j, const stripped_state_event& e);
void from_json(const nlohmann::json& j, event_list& l);
void to_json(nlohmann::json& j, const event_list& l);
void from_json(const nlohmann::json& j, room_timeline& t);
void to_json(nlohmann::json& j, const room_timeline& t);
void from_json(const nlohmann::json& j, joined_room& r);
void to_json(nlohmann::json& j, const joined_room& r);
void from_json(const nlohmann::json& j, invited_room& r);
void to_json(nlohmann::json& j, const invited_room& r);
void from_json(const nlohmann::json& j, sync_response& s);
void to_json(nlohmann::json& j, const sync_response& s);
void from_json(const nlohmann::json& j, messages_response& m);
void to_json(nlohmann::json& j, const messages_response& m);
void from_json(const nlohmann::json& j, error_body& e);
void to_json(nlohmann::json& j, const error_body& e);
void to_json(nlohmann::json& j, const password_login& l);
void from_json(const nlohmann::json& j, login_response& l);
void to_json(nlohmann::json& j, const login_response& l);
void from_json(const nlohmann::json& j, whoami_response& w);
void to_json(nlohmann::json& j, const whoami_response& w);
void to_json(nlohmann::json& j, const create_direct_room& c);
void from_json(const nlohmann::json& j, transaction& t);
void to_json(nlohmann::json& j, const transaction& t);

/// Read a /messages response or an AS transaction as `from_json` does, but out of a document the
/// caller gives away: event contents and strings are moved, not copied (the document is left in
/// a valid but unspecified state). Throw what `from_json` throws.
messages_response take_messages_response(nlohmann::json&& j);
transaction take_transaction(nlohmann::json&& j);

/// Reads a /sync body straight from its text (nlohmann's SAX interface: no document is built for
/// the envelope of each event, only for its `content`), with the result and the refusals of
/// from_json over json::parse(text). Throws nlohmann::json::exception for text that is not JSON
/// or a response from_json refuses.
sync_response read_sync_response(std::string_view text);

/// Reads `m.direct` content leniently: entries that are not lists of strings are skipped.
direct_rooms read_direct_rooms(const nlohmann::json& content);

/// The error body of a failed response, when the body is one (nothing for HTML, empty, ...).
std::optional<error_body> read_error_body(std::string_view body);

}  // namespace tandem::matrix
