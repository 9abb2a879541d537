#include "adapters/matrix/matrix_direct_rooms.h"

#include "adapters/http/http_types.h"

#include <algorithm>

namespace tandem::matrix {

using nlohmann::json;

direct_room_book::direct_room_book(api_client& api, const adapter_context& context, std::string user_id)
    : api_(api), context_(context), user_id_(std::move(user_id)) {}

void direct_room_book::load(std::function<void(std::optional<request_failure>)> then) {
  api_.call("GET", "/user/" + percent_encode(user_id_) + "/account_data/m.direct", std::nullopt,
            [this, then = std::move(then)](call_outcome outcome) {
              if (auto* f = std::get_if<request_failure>(&outcome); f != nullptr && !f->is(404)) return then(*f);
              if (auto* content = std::get_if<json>(&outcome)) set(read_direct_rooms(*content));
              then(std::nullopt);
            });
}

void direct_room_book::set(direct_rooms rooms) {
  rooms_ = std::move(rooms);
  room_ids_.clear();
  for (const auto& [user, ids] : rooms_) room_ids_.insert(ids.begin(), ids.end());
}

void direct_room_book::add(const std::string& user, const std::string& room_id) {
  auto& rooms = rooms_[user];
  if (std::find(rooms.begin(), rooms.end(), room_id) == rooms.end()) rooms.push_back(room_id);
  room_ids_.insert(room_id);
  writes_.emplace_back(user, room_id);
  if (writes_.size() == 1) write_next();
}

void direct_room_book::write_next() {
  if (writes_.empty()) return;
  const std::string path = "/user/" + percent_encode(user_id_) + "/account_data/m.direct";
  api_.call("GET", path, std::nullopt, [this, path](call_outcome outcome) {
    auto* f = std::get_if<request_failure>(&outcome);
    if (f != nullptr && !f->is(404)) return written(f->describe());
    json merged = f == nullptr ? std::get<json>(outcome) : json::object();
    if (!merged.is_object()) merged = json::object();
    const auto& [user, room_id] = writes_.front();
    json& list = merged[user];
    if (!list.is_array()) list = json::array();
    if (std::find(list.begin(), list.end(), json(room_id)) == list.end()) list.push_back(room_id);
    api_.call("PUT", path, merged, [this](call_outcome answer) {
      auto* failed = std::get_if<request_failure>(&answer);
      written(failed != nullptr ? failed->describe() : "");
    });
  });
}

void direct_room_book::written(const std::string& error) {
  if (!error.empty()) {
    context_.log("warn", "matrix: cannot record the DM " + writes_.front().second + " with " + writes_.front().first +
                             " in m.direct: " + error);
  }
  writes_.pop_front();
  write_next();
}

void direct_room_book::forget(const std::string& room_id) {
  for (auto& [user, ids] : rooms_) std::erase(ids, room_id);
  room_ids_.erase(room_id);
}

void direct_room_book::room_for(const std::string& user, room_found done) {
  if (auto it = rooms_.find(user); it != rooms_.end() && !it->second.empty()) return done(it->second.back(), {});
  auto& waiting = creating_[user];
  waiting.push_back(std::move(done));
  if (waiting.size() > 1) return;
  api_.call("POST", "/createRoom", json(create_direct_room{user}), [this, user](call_outcome outcome) {
    auto waiters = std::move(creating_[user]);
    creating_.erase(user);
    std::optional<std::string> room_id;
    std::optional<request_failure> failure;
    if (auto* f = std::get_if<request_failure>(&outcome)) {
      failure = *f;
    } else if (const json& j = std::get<json>(outcome); j.contains("room_id") && j["room_id"].is_string()) {
      room_id = j["room_id"].get<std::string>();
      context_.log("info", "matrix: opened a DM " + *room_id + " with " + user);
      add(user, *room_id);
    } else {
      failure = request_failure{200, "M_BAD_JSON", "createRoom answered without room_id", {}, false};
    }
    for (auto& w : waiters) w(room_id, failure);
  });
}

}  // namespace tandem::matrix
