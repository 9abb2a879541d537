#pragma once
// Client mode's /sync long poll: one request at a time with the filter, each batch's events
// stored before its `next_batch` is taken, `limited` timelines back-filled from /messages page by
// page (each page stored as it arrives, the position of the back-fill kept durably), the token
// stored durably (at once after a first sync, at most every quarter second after that), a token
// the homeserver refuses replaced by a fresh sync whose gaps are closed from the last event
// stored in each room, failures retried with backoff or the server's hint.

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

  /// Reads the stored token (and where a back-fill stands) and starts polling with `filter_id`
  /// (a first sync without a token).
  void begin(std::string filter_id);
  /// Stores the token of the last batch whose events are all stored, and the last event handled
  /// in each room, when they were not yet; at a clean stop, so that nothing is offered again at
  /// the next start.
  void save_token();
  /// Cancels the token's delayed write.
  void stop() { token_timer_.cancel(); }

 private:
  /// What a /sync answers: a new store's first sync (history not acted on), the next batch
  /// after the stored token, or a fresh sync replacing a token the homeserver refused.
  enum class sync_kind { first, next, resync };

  void sync_once();
  void sync_failed(const request_failure& f);
  void take_batch(sync_response batch, sync_kind kind);
  /// Stores the events each room of `batch` misses before its timeline (see the .cpp), and
  /// trims, in a resync, what its timeline repeats; false when a page could not be read or stored.
  boost::asio::awaitable<bool> close_gaps(sync_response& batch, sync_kind kind);
  /// Pages /messages forwards in `room_id` from `from` to `to`, storing each page before asking
  /// for the next and keeping durably how far it got; false when a page could not be read or
  /// stored. With `skip_through`, the first page's events up to that event are not stored again.
  boost::asio::awaitable<bool> fill_gap(const std::string& room_id, std::string from, const std::string& to,
                                        std::optional<std::string> skip_through = std::nullopt);
  /// Resync: pages /messages backwards from `from` to the page holding `last_handled`; the
  /// token to page forwards from, or nothing when a page could not be read or stored. At the
  /// start of the room (a page without `end`), stores that page's events after `last_handled`.
  boost::asio::awaitable<std::optional<std::string>> find_last_handled(const std::string& room_id, std::string from,
                                                                       const std::string& last_handled);
  void store_batch(sync_response batch, sync_kind kind);
  void batch_done(const std::string& next_batch, sync_kind kind);
  void batch_failed();
  void save_token_soon();
  /// Writes the last handled events (when changed) and `token` durably; throws what the store throws.
  void write_position(const std::string& token);
  /// Notes each of `events` as the last event handled in its room (later ones win).
  void note_handled(const std::vector<client_event>& events);
  void save_gap_position();

  session_tools tools_;
  boost::asio::steady_timer& timer_;
  sync_loop_parts parts_;
  boost::asio::steady_timer token_timer_;
  std::string filter_id_;
  std::optional<std::string> since_;        ///< the token of the last batch whose events are all stored
  std::optional<std::string> saved_token_;  ///< the token last written to the store
  bool resyncing_ = false;                  ///< the homeserver refused `since_`: syncing afresh
  /// The last event handled (stored or deliberately skipped) in each room, where a resync closes
  /// its gap from; kept durably with the token.
  std::map<std::string, std::string> last_handled_;
  bool last_handled_changed_ = false;
  /// How far the back-fill after `gap_since_` got in each room (a /messages token): a restart, or
  /// a retry after a failed page, pages on from there. Kept durably after each page.
  std::string gap_since_;
  bool gap_resync_ = false;  ///< the positions are of a resync's back-fill
  std::map<std::string, std::string> gap_positions_;
  std::chrono::steady_clock::time_point last_token_write_{};
  bool token_write_scheduled_ = false;
  int failures_ = 0;
};

}  // namespace tandem::matrix
