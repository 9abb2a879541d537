#pragma once
// What the messages people react to are: the bot's own (with the answers they offer) or not.
// Remembered for the latest few thousand; looked up with GET /rooms/{room}/event/{id} when a
// reaction arrives on one not remembered.

#include "adapters/adapter_context.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_translate.h"
#include "adapters/matrix/matrix_wire.h"

#include <boost/asio/awaitable.hpp>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tandem::matrix {

/// The targets of reactions. Used on the adapter's thread only.
class reaction_targets {
 public:
  /// `api` and `context` must outlive it; `user_id` is the bot.
  reaction_targets(api_client& api, const adapter_context& context, std::string user_id);

  /// Remembers what `event_id` is (the oldest of more than 4,096 is forgotten).
  void remember(const std::string& event_id, reaction_target target);
  /// What `event_id` is, when remembered.
  std::optional<reaction_target> find(const std::string& event_id) const;
  /// What a reaction among `events` is on, when it is not the bot's own reaction.
  std::optional<reaction_target> of(const client_event& reaction) const;

  /// Looks up the messages the reactions among `events` are on, when not remembered: true when
  /// every one is now known (a message gone or hidden is known as "not the bot's"), false when a
  /// look-up failed otherwise (the batch is then tried again).
  boost::asio::awaitable<bool> look_up(std::vector<client_event> events);
  /// True when some reaction among `events` is on a message not remembered.
  bool need_looking_up(const std::vector<client_event>& events) const;

 private:
  /// (room, event) of each message a reaction among `events` is on and that is not remembered.
  std::vector<std::pair<std::string, std::string>> unknown_targets(const std::vector<client_event>& events) const;

  api_client& api_;
  const adapter_context& context_;
  std::string user_id_;
  std::map<std::string, reaction_target> targets_;
  std::deque<std::string> order_;  ///< oldest first
};

}  // namespace tandem::matrix
