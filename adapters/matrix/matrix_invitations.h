#pragma once
// Invitations to rooms: remembered durably until answered; joined when the room belongs to a
// collaboration or a known person invites the bot to a DM, declined otherwise, tried again
// after a failure.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_translate.h"
#include "adapters/matrix/matrix_wire.h"

#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <set>
#include <string>

namespace tandem::matrix {

/// The invitations waiting for an answer. Used on the adapter's thread only.
class invitations {
 public:
  /// Called after joining a DM `room_id` that `inviter` invited the bot to.
  using joined_direct = std::function<void(const std::string& inviter, const std::string& room_id)>;

  /// Everything given must outlive it.
  invitations(const session_tools& tools, const installation_directory& directory, const bot_account& bot,
              joined_direct on_joined_direct);

  /// Remembers an invitation in memory (save() makes it durable).
  void note(const std::string& room_id, const std::string& inviter, bool direct);
  /// Remembers the invitation in an m.room.member event of the bot's own membership (appservice
  /// mode sees these as events) durably; false when it could not be stored.
  bool note_membership(const client_event& e);
  /// Reads the invitations stored before.
  void load();
  /// Stores the invitations waiting; false when they could not be stored.
  bool save();
  /// Answers every invitation not being answered yet, when signed in.
  void answer();
  /// Cancels the wait before the next attempt.
  void stop() { timer_.cancel(); }

 private:
  struct pending_invite {
    std::string inviter;
    bool direct = false;
  };

  void answered(const std::string& room_id, const pending_invite& invite, bool join, const call_outcome& outcome);

  session_tools tools_;
  const installation_directory& directory_;
  const bot_account& bot_;
  joined_direct on_joined_direct_;
  boost::asio::steady_timer timer_;
  std::map<std::string, pending_invite> pending_;  ///< by room id
  std::set<std::string> answering_;                ///< room ids with an answer under way
  int failures_ = 0;
};

}  // namespace tandem::matrix
