#pragma once
// A small Matrix homeserver for tests, on 127.0.0.1 over TLS (the test CA): the subset of the
// Client-Server API Tandem uses, answered as the spec says. Login with a password (reusing a
// given device), whoami, filter upload, /sync over one event stream with long-poll, `limited`
// timelines and /messages paging (forwards, and backwards without `end` at the start of a
// room), sync tokens it refuses (400, as after losing its positions), send with txn-id
// idempotency per device and path, event
// lookup, createRoom, join, leave, m.direct account data. Failures are injected per request:
// any status (429 with Retry-After, 5xx), a dropped connection, or a lost response (the
// request takes effect, the answer never arrives).

#include "support/local_https_server.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tandem::testing {

/// A failure the next matching request gets instead of its normal answer.
struct injected_failure {
  std::string method;     ///< "PUT"
  std::string path_part;  ///< matched anywhere in the path, e.g. "/send/m.room.message/"
  scripted_response response;
  bool take_effect = false;  ///< handle the request first, then answer `response` (a lost response)
};

/// One event the bot sent with PUT /send.
struct sent_event {
  std::string room_id;
  std::string type;
  std::string event_id;
  std::string txn_id;
  nlohmann::json content;
};

/// Thread-safe: the server answers on its own thread, the test inspects and scripts on its own.
class fake_homeserver {
 public:
  fake_homeserver();

  /// "https://localhost:<port>".
  std::string base_url() const { return server_.base_url(); }
  local_https_server& server() { return server_; }

  /// An access token that acts as `user_id` on a device of its own.
  void add_token(const std::string& token, const std::string& user_id);
  /// A password account; each login returns a new token, on the device given or a new one.
  void add_password(const std::string& user_id, const std::string& password);
  /// Revokes every token of the user (the next call answers 401 M_UNKNOWN_TOKEN).
  void revoke_tokens(const std::string& user_id);

  /// Makes `user_id` a member of `room_id` (the bot's rooms appear in its /sync).
  void join(const std::string& room_id, const std::string& user_id);
  /// Invites the bot (`invitee`) to `room_id`; `is_direct` marks a DM invitation.
  void invite(const std::string& room_id, const std::string& inviter, const std::string& invitee, bool is_direct);
  /// Appends an event from `sender` to the room's timeline; returns its event id.
  std::string post(const std::string& room_id, const std::string& sender, const std::string& type,
                   nlohmann::json content);
  /// `post` of an m.text message.
  std::string say(const std::string& room_id, const std::string& sender, const std::string& body);
  /// `post` of an m.reaction with `key` on `target`.
  std::string react(const std::string& room_id, const std::string& sender, const std::string& target,
                    const std::string& key);

  /// At most this many events per room in one /sync timeline (more: `limited`, Synapse-like).
  void set_timeline_limit(std::size_t limit);
  /// How long an empty /sync is held (the real server holds it up to the `timeout` asked).
  void set_long_poll(std::chrono::milliseconds hold);
  /// Queues a failure for the next request matching it.
  void inject(injected_failure failure);
  /// From now on a /sync with `since` = `token` is answered 400 with `errcode` (M_UNKNOWN_POS,
  /// M_INVALID_PARAM), as a homeserver that no longer knows the position.
  void refuse_since(const std::string& token, const std::string& errcode);

  /// Events the bot sent, in order (a retransmitted txn id appears once).
  std::vector<sent_event> sent(const std::string& type = "m.room.message") const;
  /// Sent events of `type` in `room_id`.
  std::vector<sent_event> sent_in(const std::string& room_id, const std::string& type = "m.room.message") const;
  /// Rooms the bot joined and left (declined) through the API, in order.
  std::vector<std::string> joined_by_api() const;
  std::vector<std::string> left_by_api() const;
  /// Bodies of createRoom requests, and the room ids they created.
  std::vector<nlohmann::json> create_room_requests() const;
  /// The bot's m.direct account data as last written (null when never written).
  nlohmann::json direct_account_data(const std::string& user_id) const;
  /// Sets account data directly, as another client of the bot's account would.
  void set_account_data(const std::string& user_id, const std::string& type, nlohmann::json content);
  /// Requests whose path contains `path_part` (all when empty).
  std::size_t count_requests(const std::string& method, const std::string& path_part) const;
  /// The latest `since` the bot asked /sync with (empty for none yet).
  std::string last_since() const;
  /// How many /sync requests arrived.
  std::size_t sync_count() const;
  /// The position of the latest event in the stream ("s<N>" is its token).
  std::size_t stream_position() const;

 private:
  struct stream_item {
    std::size_t pos = 0;
    std::string room_id;
    nlohmann::json event;
  };
  struct pending_invite {
    std::size_t pos = 0;
    std::string inviter;
    std::string invitee;
    bool is_direct = false;
  };
  struct session {
    std::string user_id;
    std::string device_id;
  };

  scripted_response handle(const recorded_request& request);
  scripted_response route(const recorded_request& request, const session& who, const std::string& path,
                          const std::map<std::string, std::string>& query);
  scripted_response sync(const session& who, const std::map<std::string, std::string>& query);
  scripted_response messages(const std::string& room_id, const std::map<std::string, std::string>& query);
  std::string append(const std::string& room_id, const std::string& sender, const std::string& type,
                     nlohmann::json content);

  mutable std::mutex mutex_;
  local_https_server server_;
  std::map<std::string, session> tokens_;
  std::map<std::string, std::string> passwords_;
  std::size_t next_id_ = 0;
  std::vector<stream_item> stream_;
  std::map<std::string, std::set<std::string>> members_;                        ///< room -> users
  std::map<std::string, pending_invite> invites_;                               ///< room -> invite of the bot
  std::map<std::string, std::pair<std::size_t, nlohmann::json>> account_data_;  ///< user/type -> (pos, content)
  std::map<std::string, nlohmann::json> txn_answers_;                           ///< device + path -> answer body
  std::vector<sent_event> sent_;
  std::vector<std::string> joined_by_api_;
  std::vector<std::string> left_by_api_;
  std::vector<nlohmann::json> create_requests_;
  std::deque<injected_failure> failures_;
  std::map<std::string, std::string> refused_since_;  ///< token -> errcode
  std::size_t timeline_limit_ = 50;
  std::chrono::milliseconds long_poll_{100};
  std::string last_since_;
  std::size_t syncs_ = 0;
};

}  // namespace tandem::testing
