#pragma once
// From Matrix events to the inbound sink: the bot's own events skipped, its invitations and
// encrypted rooms handed to their parts, reactions resolved to the messages they are on (looked
// up first when not remembered), the rest translated and stored. Shared by the /sync loop and
// the appservice's transactions.

#include "adapters/adapter_context.h"
#include "adapters/matrix/matrix_direct_rooms.h"
#include "adapters/matrix/matrix_encryption_notice.h"
#include "adapters/matrix/matrix_invitations.h"
#include "adapters/matrix/matrix_reaction_targets.h"
#include "adapters/platform_adapter.h"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <vector>

namespace tandem::matrix {

/// Hands events to the sink. Used on the adapter's thread only.
class event_feed {
 public:
  /// Everything given must outlive it.
  event_feed(const adapter_context& context, inbound_sink& sink, const bot_account& bot, reaction_targets& targets,
             invitations& invites, encryption_notices& notices, const direct_room_book& direct);

  /// Looks up the messages reactions are on (when not remembered), then translates and stores
  /// `events`; `done(true)` once every one is stored, `done(false)` when one could not be (a
  /// look-up failed, or the store).
  void process(std::vector<client_event> events, std::function<void(bool stored)> done);
  /// `process` for a coroutine: resumes, on a later turn, with whether every event is stored.
  boost::asio::awaitable<bool> co_process(std::vector<client_event> events);

 private:
  void feed(const std::vector<client_event>& events, std::function<void(bool stored)> done);

  const adapter_context& context_;
  inbound_sink& sink_;
  const bot_account& bot_;
  reaction_targets& targets_;
  invitations& invites_;
  encryption_notices& notices_;
  const direct_room_book& direct_;
};

}  // namespace tandem::matrix
