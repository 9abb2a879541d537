#pragma once
// Client mode's /sync long poll: one request at a time with the filter, each batch's events
// stored before its `next_batch` is taken, `limited` timelines back-filled from /messages, the
// token stored durably (at once after a first sync, at most every quarter second after that),
// failures retried with backoff or the server's hint.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_direct_rooms.h"
#include "adapters/matrix/matrix_encryption_notice.h"
#include "adapters/matrix/matrix_event_feed.h"
#include "adapters/matrix/matrix_invitations.h"
#include "adapters/matrix/matrix_wire.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tandem::matrix {

/// The filter Tandem syncs with (PROTOCOLS.md B2, plus encryption): upload it once signed in.
nlohmann::json sync_filter();

/// The parts of the adapter the loop hands a batch's pieces to.
struct sync_loop_parts {
  direct_room_book& direct;
  invitations& invites;
  encryption_notices& notices;
  event_feed& feed;
  /// The homeserver refused the token (401).
  std::function<void(const request_failure&)> token_refused;
};

/// The /sync loop. Used on the adapter's thread only.
class sync_loop {
 public:
  /// Everything given must outlive it. `timer` is the one the sign-in's retries wait on too.
  sync_loop(const session_tools& tools, boost::asio::steady_timer& timer, sync_loop_parts parts);

  /// Reads the stored token and starts polling with `filter_id` (a first sync without a token).
  void begin(std::string filter_id);
  /// Stores the token of the last batch whose events are all stored, when it was not yet; at a
  /// clean stop, so that nothing is offered again at the next start.
  void save_token();
  /// Cancels the token's delayed write.
  void stop() { token_timer_.cancel(); }

 private:
  using gap_events = std::map<std::string, std::vector<client_event>>;  ///< by room id

  void sync_once();
  void sync_failed(const request_failure& f);
  void take_batch(sync_response batch, bool initial);
  void store_batch(sync_response batch, gap_events gaps);
  /// The events in each limited room's gap, or nothing when a page could not be read.
  boost::asio::awaitable<std::optional<gap_events>> backfill(std::vector<std::pair<std::string, std::string>> rooms,
                                                             std::string since);
  void batch_done(const std::string& next_batch, bool initial);
  void batch_failed();
  void save_token_soon();

  session_tools tools_;
  boost::asio::steady_timer& timer_;
  sync_loop_parts parts_;
  boost::asio::steady_timer token_timer_;
  std::string filter_id_;
  std::optional<std::string> since_;        ///< the token of the last batch whose events are all stored
  std::optional<std::string> saved_token_;  ///< the token last written to the store
  std::chrono::steady_clock::time_point last_token_write_{};
  bool token_write_scheduled_ = false;
  int failures_ = 0;
};

}  // namespace tandem::matrix
