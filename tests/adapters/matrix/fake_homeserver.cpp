#include "adapters/matrix/fake_homeserver.h"

#include "adapters/http/http_types.h"

#include <algorithm>

namespace tandem::testing {
namespace {

using nlohmann::json;

constexpr std::string_view api = "/_matrix/client/v3";

scripted_response error(unsigned status, const std::string& errcode, const std::string& message) {
  return scripted_response::json(status, json{{"errcode", errcode}, {"error", message}}.dump());
}

scripted_response ok(const json& body) { return scripted_response::json(200, body.dump()); }

/// "s12" or "t12" -> 12.
std::size_t position_of(const std::string& token) {
  if (token.size() < 2) return 0;
  return static_cast<std::size_t>(std::stoull(token.substr(1)));
}

}  // namespace

fake_homeserver::fake_homeserver() {
  server_.answer_with([this](const recorded_request& request) { return handle(request); });
}

void fake_homeserver::add_token(const std::string& token, const std::string& user_id) {
  std::lock_guard lock(mutex_);
  tokens_[token] = session{user_id, "DEV" + std::to_string(++next_id_)};
}

void fake_homeserver::add_password(const std::string& user_id, const std::string& password) {
  std::lock_guard lock(mutex_);
  passwords_[user_id] = password;
}

void fake_homeserver::revoke_tokens(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  std::erase_if(tokens_, [&](const auto& entry) { return entry.second.user_id == user_id; });
}

void fake_homeserver::join(const std::string& room_id, const std::string& user_id) {
  std::lock_guard lock(mutex_);
  members_[room_id].insert(user_id);
}

void fake_homeserver::invite(const std::string& room_id, const std::string& inviter, const std::string& invitee,
                             bool is_direct) {
  std::lock_guard lock(mutex_);
  invites_[room_id] = pending_invite{++next_id_, inviter, invitee, is_direct};
  members_[room_id].insert(inviter);
}

std::string fake_homeserver::post(const std::string& room_id, const std::string& sender, const std::string& type,
                                  json content) {
  std::lock_guard lock(mutex_);
  return append(room_id, sender, type, std::move(content));
}

std::string fake_homeserver::say(const std::string& room_id, const std::string& sender, const std::string& body) {
  return post(room_id, sender, "m.room.message", json{{"msgtype", "m.text"}, {"body", body}});
}

std::string fake_homeserver::react(const std::string& room_id, const std::string& sender, const std::string& target,
                                   const std::string& key) {
  return post(room_id, sender, "m.reaction",
              json{{"m.relates_to", {{"rel_type", "m.annotation"}, {"event_id", target}, {"key", key}}}});
}

std::string fake_homeserver::append(const std::string& room_id, const std::string& sender, const std::string& type,
                                    json content) {
  const std::size_t pos = ++next_id_;
  const std::string event_id = "$ev" + std::to_string(pos) + ":example.org";
  json event{{"type", type},
             {"event_id", event_id},
             {"sender", sender},
             {"origin_server_ts", std::int64_t{1767225600000} + static_cast<std::int64_t>(pos)},
             {"content", std::move(content)},
             {"unsigned", {{"age", 10}}}};
  stream_.push_back(stream_item{pos, room_id, std::move(event)});
  return event_id;
}

void fake_homeserver::set_timeline_limit(std::size_t limit) {
  std::lock_guard lock(mutex_);
  timeline_limit_ = limit;
}

void fake_homeserver::set_long_poll(std::chrono::milliseconds hold) {
  std::lock_guard lock(mutex_);
  long_poll_ = hold;
}

void fake_homeserver::inject(injected_failure failure) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(failure));
}

void fake_homeserver::refuse_since(const std::string& token, const std::string& errcode) {
  std::lock_guard lock(mutex_);
  refused_since_[token] = errcode;
}

std::vector<sent_event> fake_homeserver::sent(const std::string& type) const {
  std::lock_guard lock(mutex_);
  std::vector<sent_event> out;
  std::copy_if(sent_.begin(), sent_.end(), std::back_inserter(out),
               [&](const sent_event& e) { return e.type == type; });
  return out;
}

std::vector<sent_event> fake_homeserver::sent_in(const std::string& room_id, const std::string& type) const {
  auto all = sent(type);
  std::erase_if(all, [&](const sent_event& e) { return e.room_id != room_id; });
  return all;
}

std::vector<std::string> fake_homeserver::joined_by_api() const {
  std::lock_guard lock(mutex_);
  return joined_by_api_;
}

std::vector<std::string> fake_homeserver::left_by_api() const {
  std::lock_guard lock(mutex_);
  return left_by_api_;
}

std::vector<json> fake_homeserver::create_room_requests() const {
  std::lock_guard lock(mutex_);
  return create_requests_;
}

json fake_homeserver::direct_account_data(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  const auto it = account_data_.find(user_id + "/m.direct");
  return it == account_data_.end() ? json() : it->second.second;
}

void fake_homeserver::set_account_data(const std::string& user_id, const std::string& type, json content) {
  std::lock_guard lock(mutex_);
  account_data_[user_id + "/" + type] = {++next_id_, std::move(content)};
}

std::size_t fake_homeserver::count_requests(const std::string& method, const std::string& path_part) const {
  const auto all = server_.requests();
  return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const recorded_request& r) {
    return r.method == method && r.path.find(path_part) != std::string::npos;
  }));
}

std::string fake_homeserver::last_since() const {
  std::lock_guard lock(mutex_);
  return last_since_;
}

std::size_t fake_homeserver::sync_count() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

std::size_t fake_homeserver::stream_position() const {
  std::lock_guard lock(mutex_);
  return next_id_;
}

scripted_response fake_homeserver::handle(const recorded_request& request) {
  std::lock_guard lock(mutex_);
  std::optional<injected_failure> failure;
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if (it->method == request.method && request.path.find(it->path_part) != std::string::npos) {
      failure = std::move(*it);
      failures_.erase(it);
      break;
    }
  }
  if (failure && !failure->take_effect) return failure->response;

  std::map<std::string, std::string> query;
  if (const auto q = request.target.find('?'); q != std::string::npos) {
    for (auto& [k, v] : parse_form(request.target.substr(q + 1)).value_or(decltype(parse_form(""))::value_type{})) {
      query.emplace(k, v);
    }
  }
  if (!request.path.starts_with(api)) return error(404, "M_UNRECOGNIZED", "unknown endpoint");
  const std::string path = request.path.substr(api.size());
  scripted_response answer;
  if (request.method == "POST" && path == "/login") {
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || body.value("type", "") != "m.login.password") {
      answer = error(400, "M_UNKNOWN", "Bad login type.");
    } else {
      const std::string user = body["identifier"].value("user", "");
      const auto known = passwords_.find(user);
      if (known == passwords_.end() || known->second != body.value("password", "")) {
        answer = error(403, "M_FORBIDDEN", "Invalid username or password");
      } else {
        const std::string device = body.value("device_id", "DEV" + std::to_string(++next_id_));
        const std::string token = "tok" + std::to_string(++next_id_);
        tokens_[token] = session{user, device};
        answer = ok({{"user_id", user}, {"access_token", token}, {"device_id", device}});
      }
    }
  } else {
    const auto auth = request.header("authorization");
    if (!auth || !auth->starts_with("Bearer ")) {
      answer = error(401, "M_MISSING_TOKEN", "Missing access token");
    } else if (const auto who = tokens_.find(std::string{auth->substr(7)}); who == tokens_.end()) {
      answer = scripted_response::json(
          401, json{{"errcode", "M_UNKNOWN_TOKEN"}, {"error", "Invalid access token passed."}, {"soft_logout", false}}
                   .dump());
    } else {
      answer = route(request, who->second, path, query);
    }
  }
  if (failure) return failure->response;  // it took effect; the answer is lost
  return answer;
}

scripted_response fake_homeserver::route(const recorded_request& request, const session& who, const std::string& path,
                                         const std::map<std::string, std::string>& query) {
  const auto parts = path_segments(path);
  const json body = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return error(400, "M_NOT_JSON", "Content not JSON.");
  const std::string& method = request.method;
  if (method == "GET" && path == "/account/whoami") return ok({{"user_id", who.user_id}, {"device_id", who.device_id}});
  if (method == "GET" && path == "/sync") return sync(who, query);
  if (method == "POST" && parts.size() == 3 && parts[0] == "user" && parts[2] == "filter") {
    if (parts[1] != who.user_id) return error(403, "M_FORBIDDEN", "Cannot create filters for other users");
    return ok({{"filter_id", "filter" + std::to_string(++next_id_)}});
  }
  if (parts.size() == 4 && parts[0] == "user" && parts[2] == "account_data") {
    if (parts[1] != who.user_id) return error(403, "M_FORBIDDEN", "Cannot access another user's account data");
    const std::string key = parts[1] + "/" + parts[3];
    if (method == "GET") {
      const auto it = account_data_.find(key);
      if (it == account_data_.end()) return error(404, "M_NOT_FOUND", "Account data not found");
      return ok(it->second.second);
    }
    if (method == "PUT") {
      account_data_[key] = {++next_id_, body};
      return ok(json::object());
    }
  }
  if (method == "POST" && path == "/createRoom") {
    create_requests_.push_back(body);
    const std::string room_id = "!dm" + std::to_string(++next_id_) + ":example.org";
    members_[room_id].insert(who.user_id);
    if (body.contains("invite")) {
      for (const auto& user : body["invite"]) members_[room_id].insert(user.get<std::string>());
    }
    return ok({{"room_id", room_id}});
  }
  if (parts.size() >= 3 && parts[0] == "rooms") {
    const std::string& room_id = parts[1];
    const bool member = members_[room_id].contains(who.user_id);
    if (method == "POST" && parts.size() == 3 && parts[2] == "join") {
      const auto invite = invites_.find(room_id);
      if (!member && (invite == invites_.end() || invite->second.invitee != who.user_id)) {
        return error(403, "M_FORBIDDEN", "You are not invited to this room.");
      }
      invites_.erase(room_id);
      members_[room_id].insert(who.user_id);
      joined_by_api_.push_back(room_id);
      return ok({{"room_id", room_id}});
    }
    if (method == "POST" && parts.size() == 3 && parts[2] == "leave") {
      invites_.erase(room_id);
      members_[room_id].erase(who.user_id);
      left_by_api_.push_back(room_id);
      return ok(json::object());
    }
    if (!member) return error(403, "M_FORBIDDEN", "User " + who.user_id + " not in room " + room_id);
    if (method == "GET" && parts.size() == 3 && parts[2] == "messages") return messages(room_id, query);
    if (method == "GET" && parts.size() == 4 && parts[2] == "event") {
      for (const auto& item : stream_) {
        if (item.room_id == room_id && item.event["event_id"] == parts[3]) {
          json event = item.event;
          event["room_id"] = room_id;
          return ok(event);
        }
      }
      return error(404, "M_NOT_FOUND", "Event not found.");
    }
    if (method == "PUT" && parts.size() == 5 && parts[2] == "send") {
      // Idempotent per device and path, as the spec's transaction identifiers require.
      const std::string key = who.device_id + " " + request.path;
      if (const auto seen = txn_answers_.find(key); seen != txn_answers_.end()) return ok(seen->second);
      if (parts[3] == "m.reaction") {
        const auto& rel = body["m.relates_to"];
        for (const auto& e : sent_) {
          if (e.type == "m.reaction" && e.room_id == room_id && e.content["m.relates_to"] == rel) {
            return error(400, "M_DUPLICATE_ANNOTATION", "Can't send same reaction twice");
          }
        }
      }
      const std::string event_id = append(room_id, who.user_id, parts[3], body);
      sent_.push_back(sent_event{room_id, parts[3], event_id, parts[4], body});
      const json answer{{"event_id", event_id}};
      txn_answers_[key] = answer;
      return ok(answer);
    }
  }
  return error(404, "M_UNRECOGNIZED", "Unrecognized request");
}

scripted_response fake_homeserver::sync(const session& who, const std::map<std::string, std::string>& query) {
  ++syncs_;
  const auto since_it = query.find("since");
  const bool initial = since_it == query.end();
  const std::size_t since = initial ? 0 : position_of(since_it->second);
  if (!initial) last_since_ = since_it->second;
  if (const auto refused = initial ? refused_since_.end() : refused_since_.find(since_it->second);
      refused != refused_since_.end()) {
    return error(400, refused->second, "Unknown position " + refused->first);
  }
  const std::size_t now = next_id_;
  json join = json::object();
  for (const auto& [room_id, users] : members_) {
    if (!users.contains(who.user_id)) continue;
    std::vector<const stream_item*> fresh;
    for (const auto& item : stream_) {
      if (item.room_id == room_id && item.pos > since) fresh.push_back(&item);
    }
    if (fresh.empty()) continue;
    const bool limited = fresh.size() > timeline_limit_;
    if (limited) fresh.erase(fresh.begin(), fresh.end() - static_cast<std::ptrdiff_t>(timeline_limit_));
    json events = json::array();
    for (const auto* item : fresh) events.push_back(item->event);
    join[room_id] = {
        {"timeline",
         {{"events", events}, {"limited", limited}, {"prev_batch", "t" + std::to_string(fresh.front()->pos - 1)}}},
        {"state", {{"events", json::array()}}}};
  }
  json invite = json::object();
  for (const auto& [room_id, inv] : invites_) {
    if (inv.invitee != who.user_id || inv.pos <= since) continue;
    json member_content{{"membership", "invite"}};
    if (inv.is_direct) member_content["is_direct"] = true;
    const json state_event{
        {"type", "m.room.member"}, {"state_key", inv.invitee}, {"sender", inv.inviter}, {"content", member_content}};
    invite[room_id] = {{"invite_state", {{"events", json::array({state_event})}}}};
  }
  json account = json::array();
  for (const auto& [key, value] : account_data_) {
    if (key.starts_with(who.user_id + "/") && value.first > since) {
      account.push_back({{"type", key.substr(who.user_id.size() + 1)}, {"content", value.second}});
    }
  }
  json body{{"next_batch", "s" + std::to_string(now)},
            {"rooms", {{"join", join}, {"invite", invite}, {"leave", json::object()}}},
            {"account_data", {{"events", account}}}};
  scripted_response answer = ok(body);
  const bool empty = join.empty() && invite.empty() && account.empty();
  if (!initial && empty) {
    const auto timeout = query.find("timeout");
    const auto asked = std::chrono::milliseconds{timeout == query.end() ? 0 : std::stoll(timeout->second)};
    answer.delay = std::min(asked, long_poll_);
  }
  return answer;
}

scripted_response fake_homeserver::messages(const std::string& room_id,
                                            const std::map<std::string, std::string>& query) {
  const auto from = query.find("from");
  const auto dir = query.find("dir");
  if (from == query.end() || dir == query.end() || (dir->second != "f" && dir->second != "b")) {
    return error(400, "M_INVALID_PARAM", "this test server pages from a token only");
  }
  // A token "t<N>"/"s<N>" stands between event N and event N+1 of the stream.
  const std::size_t start = position_of(from->second);
  const auto to = query.find("to");
  const auto limit_it = query.find("limit");
  const std::size_t limit = limit_it == query.end() ? 10 : std::stoul(limit_it->second);
  json chunk = json::array();
  json body{{"start", from->second}};
  if (dir->second == "f") {
    const std::size_t stop = to == query.end() ? next_id_ : position_of(to->second);
    std::size_t last = start;
    for (const auto& item : stream_) {
      if (item.room_id != room_id || item.pos <= start || item.pos > stop) continue;
      if (chunk.size() == limit) break;
      json event = item.event;
      event["room_id"] = room_id;
      chunk.push_back(event);
      last = item.pos;
    }
    if (!chunk.empty()) body["end"] = "t" + std::to_string(last);
  } else {
    const std::size_t stop = to == query.end() ? 0 : position_of(to->second);
    std::size_t oldest = start;
    bool more = false;  // the spec omits `end` once nothing is left: at the start of the room
    for (auto item = stream_.rbegin(); item != stream_.rend(); ++item) {
      if (item->room_id != room_id || item->pos > start || item->pos <= stop) continue;
      if (chunk.size() == limit) {
        more = true;
        break;
      }
      json event = item->event;
      event["room_id"] = room_id;
      chunk.push_back(event);
      oldest = item->pos;
    }
    if (more) body["end"] = "t" + std::to_string(oldest - 1);
  }
  body["chunk"] = chunk;
  return ok(body);
}

}  // namespace tandem::testing
