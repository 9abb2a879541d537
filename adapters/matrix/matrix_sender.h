#pragma once
// Sending Tandem's messages: an m.notice to a room, or to the DM with a person (opened when
// there is none), with a txn id derived from the outbox row, followed by the bot's own reactions
// for the answers it offers. Deliveries offered before the sign-in wait for it.

#include "adapters/adapter_context.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_direct_rooms.h"
#include "adapters/matrix/matrix_reaction_targets.h"
#include "adapters/outbound_adapter.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tandem::matrix {

/// The sending side of the Matrix adapter (see matrix_adapter::deliver). Used on the adapter's
/// thread only.
class notice_sender {
 public:
  /// Called when the homeserver refuses the token (401) during a send.
  using token_refused = std::function<void(const request_failure&)>;

  /// Everything given must outlive it.
  notice_sender(const session_tools& tools, direct_room_book& direct, reaction_targets& targets,
                token_refused on_token_refused);

  /// See matrix_adapter::deliver.
  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done);
  /// Sends the deliveries waiting for the sign-in when signed in; otherwise hands them back as
  /// retries. Called once signed in, and at stop.
  void release_held();

 private:
  struct held_delivery {
    destination to;
    rendered_message message;
    std::string key;
    std::function<void(delivery_result)> done;
  };

  void hold_until_ready(const destination& to, const rendered_message& message, const std::string& key,
                        std::function<void(delivery_result)> done);
  void send_notice(const std::string& room_id, const destination& to, const rendered_message& message,
                   const std::string& key, bool opened_dm, std::function<void(delivery_result)> done);
  /// The bot's reactions `keys` on its message `event_id`, one after the other.
  boost::asio::awaitable<void> react(std::string room_id, std::string event_id, std::string key,
                                     std::vector<std::string> keys);
  delivery_result outcome_of(const request_failure& f, std::string_view doing);

  session_tools tools_;
  direct_room_book& direct_;
  reaction_targets& targets_;
  token_refused on_token_refused_;
  boost::asio::steady_timer held_timer_;
  std::vector<held_delivery> held_;  ///< deliveries waiting for the sign-in
};

}  // namespace tandem::matrix
