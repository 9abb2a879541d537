#include "adapters/matrix/matrix_wire.h"

#include "adapters/json_fields.h"

#include <type_traits>

namespace tandem::matrix {
namespace {

using nlohmann::json;

/// The object under `key`, or nothing when absent or not an object.
const json* optional_object(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

void require_object(const json& j, const char* what) {
  if (!j.is_object()) throw json::type_error::create(302, std::string(what) + " must be an object", &j);
}

// The readers of events and what holds them, for a const document (copying, from_json) and for
// a document Tandem owns (moving its strings and contents out, the /sync path: a batch of 1,000
// events is not copied a second time). `J` is `const json` or `json`.

template <typename J>
constexpr bool owned = !std::is_const_v<J>;

/// The string `v` (which must be one), moved out when the document is owned.
template <typename J>
std::string take_string(J& v) {
  if constexpr (owned<J>) {
    return std::move(v.template get_ref<std::string&>());
  } else {
    return v.template get<std::string>();
  }
}

template <typename J>
J* object_in(J& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

template <typename J>
void read_event(J& j, client_event& e) {
  require_object(j, "an event");
  e = client_event{};
  e.type = take_string(j.at("type"));
  e.event_id = take_string(j.at("event_id"));
  e.sender = take_string(j.at("sender"));
  if (const auto it = j.find("room_id"); it != j.end() && it->is_string()) e.room_id = take_string(*it);
  if (const auto it = j.find("state_key"); it != j.end() && it->is_string()) e.state_key = take_string(*it);
  if (const auto it = j.find("origin_server_ts"); it != j.end() && it->is_number_integer()) {
    e.origin_server_ts = it->template get<std::int64_t>();
  }
  if (J* content = object_in(j, "content")) {
    if constexpr (owned<J>) {
      e.content = std::move(*content);
    } else {
      e.content = *content;
    }
  }
}

template <typename J>
void read_events(J& j, event_list& l) {
  l = event_list{};
  if (!j.is_array()) throw json::type_error::create(302, "a list of events must be an array", &j);
  l.events.reserve(j.size());
  for (J& item : j) {
    try {
      client_event e;
      read_event(item, e);
      l.events.push_back(std::move(e));
    } catch (const json::exception&) {
      ++l.malformed;
    }
  }
}

template <typename J>
void read_timeline(J& j, room_timeline& t) {
  require_object(j, "a timeline");
  t = room_timeline{};
  if (const auto it = j.find("events"); it != j.end()) read_events(*it, t.events);
  if (const auto it = j.find("limited"); it != j.end() && it->is_boolean()) t.limited = it->template get<bool>();
  t.prev_batch = string_field(j, "prev_batch");
}

template <typename J>
void read_joined_room(J& j, joined_room& r) {
  require_object(j, "a joined room");
  r = joined_room{};
  if (J* state = object_in(j, "state")) {
    if (const auto it = state->find("events"); it != state->end()) read_events(*it, r.state);
  }
  if (J* tl = object_in(j, "timeline")) read_timeline(*tl, r.timeline);
}

template <typename J>
void read_sync_response(J& j, sync_response& s) {
  require_object(j, "a sync response");
  s = sync_response{};
  s.next_batch = j.at("next_batch").template get<std::string>();
  if (J* rooms = object_in(j, "rooms")) {
    if (J* join = object_in(*rooms, "join")) {
      for (auto it = join->begin(); it != join->end(); ++it) {
        const std::string& room_id = it.key();
        joined_room r;
        read_joined_room(it.value(), r);
        for (auto& e : r.timeline.events.events) {
          if (e.room_id.empty()) e.room_id = room_id;
        }
        for (auto& e : r.state.events) {
          if (e.room_id.empty()) e.room_id = room_id;
        }
        s.join.emplace(room_id, std::move(r));
      }
    }
    if (const json* invite = object_in(std::as_const(*rooms), "invite")) {
      for (const auto& [room_id, value] : invite->items())
        s.invite.emplace(room_id, value.template get<invited_room>());
    }
    if (const json* leave = object_in(std::as_const(*rooms), "leave")) {
      for (const auto& [room_id, value] : leave->items()) s.leave.push_back(room_id);
    }
  }
  if (const json* account = object_in(std::as_const(j), "account_data")) {
    if (const auto it = account->find("events"); it != account->end() && it->is_array()) {
      for (const json& item : *it) {
        if (!item.is_object() || !item.contains("type") || !item["type"].is_string()) continue;
        client_event e;
        e.type = item["type"].get<std::string>();
        if (const json* content = optional_object(item, "content")) e.content = *content;
        s.account_data.push_back(std::move(e));
      }
    }
  }
}

template <typename J>
void read_messages_response(J& j, messages_response& m) {
  require_object(j, "a messages response");
  m = messages_response{};
  m.start = string_field(j, "start");
  if (auto end = string_field(j, "end"); !end.empty()) m.end = std::move(end);
  if (const auto it = j.find("chunk"); it != j.end()) read_events(*it, m.chunk);
}

}  // namespace

void from_json(const json& j, relation& r) {
  require_object(j, "m.relates_to");
  r = relation{};
  r.rel_type = string_field(j, "rel_type");
  r.event_id = string_field(j, "event_id");
  r.key = string_field(j, "key");
  if (const json* reply = optional_object(j, "m.in_reply_to")) {
    if (auto id = string_field(*reply, "event_id"); !id.empty()) r.in_reply_to = std::move(id);
  }
  if (const auto it = j.find("is_falling_back"); it != j.end() && it->is_boolean()) r.is_falling_back = it->get<bool>();
}

void to_json(json& j, const relation& r) {
  j = json::object();
  if (!r.rel_type.empty()) j["rel_type"] = r.rel_type;
  if (!r.event_id.empty()) j["event_id"] = r.event_id;
  if (!r.key.empty()) j["key"] = r.key;
  if (r.in_reply_to) j["m.in_reply_to"] = {{"event_id", *r.in_reply_to}};
  if (r.is_falling_back) j["is_falling_back"] = true;
}

void from_json(const json& j, mention_set& m) {
  require_object(j, "m.mentions");
  m = mention_set{};
  if (const auto it = j.find("user_ids"); it != j.end() && it->is_array()) {
    for (const json& id : *it) {
      if (id.is_string()) m.user_ids.push_back(id.get<std::string>());
    }
  }
  if (const auto it = j.find("room"); it != j.end() && it->is_boolean()) m.room = it->get<bool>();
}

void to_json(json& j, const mention_set& m) {
  j = json::object();
  if (!m.user_ids.empty()) j["user_ids"] = m.user_ids;
  if (m.room) j["room"] = true;
}

void from_json(const json& j, room_message& m) {
  require_object(j, "m.room.message content");
  m = room_message{};
  m.msgtype = string_field(j, "msgtype");
  m.body = string_field(j, "body");
  m.format = string_field(j, "format");
  m.formatted_body = string_field(j, "formatted_body");
  if (const json* rel = optional_object(j, "m.relates_to")) m.relates_to = rel->get<relation>();
  if (const json* men = optional_object(j, "m.mentions")) m.mentions = men->get<mention_set>();
  m.has_new_content = optional_object(j, "m.new_content") != nullptr;
}

void to_json(json& j, const room_message& m) {
  j = json{{"msgtype", m.msgtype}, {"body", m.body}};
  if (!m.format.empty()) j["format"] = m.format;
  if (!m.formatted_body.empty()) j["formatted_body"] = m.formatted_body;
  if (m.relates_to) j["m.relates_to"] = *m.relates_to;
  if (m.mentions) j["m.mentions"] = *m.mentions;
}

void from_json(const json& j, reaction& r) {
  require_object(j, "m.reaction content");
  const json* rel = optional_object(j, "m.relates_to");
  if (rel == nullptr) throw json::out_of_range::create(403, "m.reaction without m.relates_to", &j);
  r.relates_to = rel->get<relation>();
}

void to_json(json& j, const reaction& r) { j = json{{"m.relates_to", r.relates_to}}; }

void from_json(const json& j, member& m) {
  require_object(j, "m.room.member content");
  m = member{};
  m.membership = j.at("membership").get<std::string>();
  if (const auto it = j.find("is_direct"); it != j.end() && it->is_boolean()) m.is_direct = it->get<bool>();
  m.displayname = string_field(j, "displayname");
  m.reason = string_field(j, "reason");
}

void to_json(json& j, const member& m) {
  j = json{{"membership", m.membership}};
  if (m.is_direct) j["is_direct"] = true;
  if (!m.displayname.empty()) j["displayname"] = m.displayname;
  if (!m.reason.empty()) j["reason"] = m.reason;
}

void from_json(const json& j, client_event& e) { read_event(j, e); }

void to_json(json& j, const client_event& e) {
  j = json{{"type", e.type},
           {"event_id", e.event_id},
           {"sender", e.sender},
           {"origin_server_ts", e.origin_server_ts},
           {"content", e.content}};
  if (!e.room_id.empty()) j["room_id"] = e.room_id;
  if (e.state_key) j["state_key"] = *e.state_key;
}

void from_json(const json& j, stripped_state_event& e) {
  require_object(j, "a stripped state event");
  e = stripped_state_event{};
  e.type = j.at("type").get<std::string>();
  e.state_key = j.at("state_key").get<std::string>();
  e.sender = j.at("sender").get<std::string>();
  if (const json* content = optional_object(j, "content")) e.content = *content;
}

void to_json(json& j, const stripped_state_event& e) {
  j = json{{"type", e.type}, {"state_key", e.state_key}, {"sender", e.sender}, {"content", e.content}};
}

void from_json(const json& j, event_list& l) { read_events(j, l); }

void to_json(json& j, const event_list& l) { j = l.events; }

void from_json(const json& j, room_timeline& t) { read_timeline(j, t); }

void to_json(json& j, const room_timeline& t) {
  j = json{{"events", t.events}, {"limited", t.limited}};
  if (!t.prev_batch.empty()) j["prev_batch"] = t.prev_batch;
}

void from_json(const json& j, joined_room& r) { read_joined_room(j, r); }

void to_json(json& j, const joined_room& r) { j = json{{"state", {{"events", r.state}}}, {"timeline", r.timeline}}; }

void from_json(const json& j, invited_room& r) {
  require_object(j, "an invited room");
  r = invited_room{};
  const json* state = optional_object(j, "invite_state");
  if (state == nullptr) return;
  const auto events = state->find("events");
  if (events == state->end() || !events->is_array()) return;
  for (const json& item : *events) {
    try {
      r.invite_state.push_back(item.get<stripped_state_event>());
    } catch (const json::exception&) {
      // A stripped event without type or state key says nothing usable about the invite.
    }
  }
}

void to_json(json& j, const invited_room& r) { j = json{{"invite_state", {{"events", r.invite_state}}}}; }

void from_json(const json& j, sync_response& s) { read_sync_response(j, s); }

void to_json(json& j, const sync_response& s) {
  json join = json::object();
  for (const auto& [id, r] : s.join) join[id] = r;
  json invite = json::object();
  for (const auto& [id, r] : s.invite) invite[id] = r;
  json leave = json::object();
  for (const auto& id : s.leave) leave[id] = json::object();
  json account = json::array();
  for (const auto& e : s.account_data) account.push_back({{"type", e.type}, {"content", e.content}});
  j = json{{"next_batch", s.next_batch},
           {"rooms", {{"join", join}, {"invite", invite}, {"leave", leave}}},
           {"account_data", {{"events", account}}}};
}

void from_json(const json& j, messages_response& m) { read_messages_response(j, m); }

void to_json(json& j, const messages_response& m) {
  j = json{{"start", m.start}, {"chunk", m.chunk}};
  if (m.end) j["end"] = *m.end;
}

void from_json(const json& j, error_body& e) {
  require_object(j, "an error body");
  e = error_body{};
  e.errcode = j.at("errcode").get<std::string>();
  e.error = string_field(j, "error");
  if (const auto it = j.find("retry_after_ms"); it != j.end() && it->is_number_integer()) {
    e.retry_after_ms = it->get<std::int64_t>();
  }
  if (const auto it = j.find("soft_logout"); it != j.end() && it->is_boolean()) e.soft_logout = it->get<bool>();
}

void to_json(json& j, const error_body& e) {
  j = json{{"errcode", e.errcode}, {"error", e.error}};
  if (e.retry_after_ms) j["retry_after_ms"] = *e.retry_after_ms;
  if (e.soft_logout) j["soft_logout"] = true;
}

void to_json(json& j, const password_login& l) {
  j = json{{"type", "m.login.password"},
           {"identifier", {{"type", "m.id.user"}, {"user", l.user}}},
           {"password", l.password},
           {"initial_device_display_name", l.initial_device_display_name}};
  if (l.device_id) j["device_id"] = *l.device_id;
}

void from_json(const json& j, login_response& l) {
  require_object(j, "a login response");
  l.user_id = j.at("user_id").get<std::string>();
  l.access_token = j.at("access_token").get<std::string>();
  l.device_id = j.at("device_id").get<std::string>();
}

void to_json(json& j, const login_response& l) {
  j = json{{"user_id", l.user_id}, {"access_token", l.access_token}, {"device_id", l.device_id}};
}

void from_json(const json& j, whoami_response& w) {
  require_object(j, "a whoami response");
  w = whoami_response{};
  w.user_id = j.at("user_id").get<std::string>();
  if (auto device = string_field(j, "device_id"); !device.empty()) w.device_id = std::move(device);
}

void to_json(json& j, const whoami_response& w) {
  j = json{{"user_id", w.user_id}};
  if (w.device_id) j["device_id"] = *w.device_id;
}

void to_json(json& j, const create_direct_room& c) {
  // No `initial_state` with m.room.encryption: Tandem cannot read end-to-end encrypted rooms.
  j = json{{"preset", "trusted_private_chat"}, {"is_direct", true}, {"invite", json::array({c.invitee})}};
}

void from_json(const json& j, transaction& t) {
  require_object(j, "a transaction");
  t = transaction{};
  read_events(j.at("events"), t.events);
}

messages_response take_messages_response(json&& j) {
  messages_response m;
  read_messages_response(j, m);
  return m;
}

transaction take_transaction(json&& j) {
  require_object(j, "a transaction");
  transaction t;
  read_events(j.at("events"), t.events);
  return t;
}

void to_json(json& j, const transaction& t) { j = json{{"events", t.events}}; }

direct_rooms read_direct_rooms(const json& content) {
  direct_rooms rooms;
  if (!content.is_object()) return rooms;
  for (const auto& [user, list] : content.items()) {
    if (!list.is_array()) continue;
    std::vector<std::string> ids;
    for (const json& id : list) {
      if (id.is_string()) ids.push_back(id.get<std::string>());
    }
    rooms.emplace(user, std::move(ids));
  }
  return rooms;
}

std::optional<error_body> read_error_body(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    return j.get<error_body>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace tandem::matrix
