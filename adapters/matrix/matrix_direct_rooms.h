#pragma once
// The bot's direct chats (m.direct): which rooms are DMs, the DM room of a person (opening one
// with createRoom when there is none), and recording new ones in the account data.

#include "adapters/adapter_context.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_wire.h"

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tandem::matrix {

/// The bot's m.direct as the adapter knows it. Used on the adapter's thread only.
class direct_room_book {
 public:
  /// `api` and `context` must outlive it; `user_id` is the bot.
  direct_room_book(api_client& api, const adapter_context& context, std::string user_id);

  /// Reads m.direct (a missing one is empty); `then` gets the failure when it could not be read.
  void load(std::function<void(std::optional<request_failure>)> then);
  /// Replaces what is known with `rooms` (from /sync's account data).
  void set(direct_rooms rooms);
  /// True when `room_id` is one of the bot's DMs.
  bool is_direct(const std::string& room_id) const { return room_ids_.contains(room_id); }

  /// Adds a DM with `user` and records it in m.direct by read, merge, write (a PUT replaces the
  /// whole map); one write at a time.
  void add(const std::string& user, const std::string& room_id);
  /// Forgets a DM that can no longer be used (the next message opens a new one).
  void forget(const std::string& room_id);

  using room_found = std::function<void(std::optional<std::string> room_id, std::optional<request_failure>)>;
  /// The DM room with `user`: the latest one in m.direct, else a new one (one creation per user at
  /// a time; concurrent callers wait for it).
  void room_for(const std::string& user, room_found done);

 private:
  void write_next();
  void written(const std::string& error);

  api_client& api_;
  const adapter_context& context_;
  std::string user_id_;
  direct_rooms rooms_;
  std::set<std::string> room_ids_;
  std::deque<std::pair<std::string, std::string>> writes_;   ///< (user, room) waiting to be recorded
  std::map<std::string, std::vector<room_found>> creating_;  ///< by user: who waits for the new DM
};

}  // namespace tandem::matrix
