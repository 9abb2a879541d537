#pragma once
// The application-service side of the Matrix adapter: the homeserver pushes transactions of
// events to Tandem (`PUT /_matrix/app/v1/transactions/{txnId}`, and the legacy
// `/transactions/{txnId}`), and `tandem matrix-registration` writes the registration file the
// homeserver loads. No Asio here.

#include "adapters/adapter_log.h"
#include "adapters/adapter_state.h"
#include "adapters/http/http_server.h"
#include "adapters/matrix/matrix_wire.h"

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::matrix {

/// Hands a list of events to Tandem: translates them, gives each to the inbound sink, and calls
/// `done(true)` once every one is stored, `done(false)` when any could not be (the source then
/// delivers them again). Called and completing on the io_context's thread.
using event_pipeline = std::function<void(std::vector<client_event> events, std::function<void(bool stored)> done)>;

/// True when `given` equals `expected`, in time that does not depend on where they differ (both
/// are hashed, the digests compared with CRYPTO_memcmp).
bool same_token(std::string_view given, std::string_view expected);

/// Receives the homeserver's transactions. Authenticates each request with `hs_token` (the
/// `Authorization: Bearer` header, or the deprecated `access_token` query parameter; both must
/// match when both are given): none gives 401 M_UNAUTHORIZED, a wrong one 403 M_FORBIDDEN.
/// A transaction is answered 200 `{}` only after every event in it is stored; a repeated
/// transaction id answers 200 at once without feeding anything again; a duplicate arriving
/// while the first copy is in flight waits for the first copy's answer; a failure to store
/// answers 503 with `Retry-After` (as every platform endpoint does), so the homeserver retries. While Tandem is not ready to take events (its as_token
/// not yet confirmed with whoami), a transaction is answered 503 M_UNKNOWN saying so, and the
/// homeserver retries it. A txn id is bytes: whatever it percent-decodes to (invalid UTF-8 too) is
/// the id. Completed ids (the latest `remembered_transactions`) are kept in `state` under
/// "matrix.appservice.completed_txns", each percent-encoded; older replays are still harmless
/// because the store deduplicates events by event id.
///
/// Use on one io_context run by one thread (Tandem's core strand): handlers, the pipeline and
/// `state` are called on it. Must outlive the server's run.
class transaction_receiver {
 public:
  static constexpr std::size_t remembered_transactions = 1024;

  /// Why Tandem cannot take events now (the text of a 503), or nothing when it can.
  using unavailability = std::function<std::optional<std::string>()>;

  /// `unavailable` is asked before each transaction (empty: always available); `log` receives
  /// the receiver's log lines (empty: none).
  transaction_receiver(std::string hs_token, adapter_state& state, event_pipeline pipeline,
                       unavailability unavailable = {}, adapter_log log = {});

  /// Adds `PUT /_matrix/app/v1/transactions/*`, `PUT /transactions/*`, `POST /_matrix/app/v1/ping`,
  /// the user and room queries (404 M_NOT_FOUND: Tandem owns no namespace beyond its bot) and
  /// 404 M_UNRECOGNIZED for anything else under /_matrix/app/v1/.
  void add_routes(http_server& server);

  /// Handles one transaction request whose path is `prefix` followed by the txn id.
  void on_transaction(const http_request& request, http_respond respond, std::string_view prefix);

 private:
  /// The error response for a request without the right hs_token, or nothing when it has it.
  std::optional<http_response> refuse(const http_request& request) const;
  /// Loads the completed ids on first use; false when the store could not be read.
  bool load_completed();
  void complete(const std::string& txn_id, bool stored);

  std::string hs_token_;
  adapter_state& state_;
  event_pipeline pipeline_;
  unavailability unavailable_;
  adapter_log log_;
  bool loaded_ = false;
  std::deque<std::string> completed_order_;
  std::set<std::string> completed_;
  std::map<std::string, std::vector<http_respond>> in_flight_;
};

/// What `tandem matrix-registration` writes.
struct registration_request {
  std::string id = "tandem";  ///< the application service's id on the homeserver
  std::string url;            ///< where the homeserver reaches Tandem, e.g. "http://127.0.0.1:8080"
  std::string user_id;        ///< the bot, e.g. "@tandem:example.org"; its localpart is sender_localpart
};

/// A registration file (YAML) for `request` with the given tokens: the bot's user id as the
/// only (exclusive) user namespace, rate limiting off. Throws std::invalid_argument when the
/// user id is not @localpart:server or the url is empty.
std::string registration_yaml(const registration_request& request, std::string_view as_token,
                              std::string_view hs_token);

/// A fresh random token: 32 bytes from OpenSSL's RAND_bytes as 64 hex digits. Throws
/// std::runtime_error when the random generator fails.
std::string random_token();

}  // namespace tandem::matrix
