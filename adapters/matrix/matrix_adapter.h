#pragma once
// The Matrix platform adapter, in one of two modes:
//  - client: a bot account that signs in (access token, or password), long-polls /sync, stores
//    `next_batch` only after the batch's events are stored, back-fills `limited` timelines
//    from /messages, joins invitations from its collaborations' rooms and known people;
//  - appservice: the homeserver pushes transactions (see matrix_appservice.h) and Tandem
//    calls the Client-Server API with the as_token.
// Both send m.notice messages with a txn id derived from the outbox row, open DMs with
// createRoom and record them in m.direct. No Asio in this header.

#include "adapters/adapter_log.h"
#include "adapters/adapter_state.h"
#include "adapters/platform_adapter.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

/// How the Matrix adapter connects. Secrets are plain strings here: the config resolves them.
struct matrix_options {
  enum class mode { client, appservice };
  mode how = mode::client;
  std::string homeserver;     ///< base URL of the Client-Server API, e.g. "https://matrix.example.org"
  std::string user_id;        ///< the bot, e.g. "@tandem:example.org"
  std::string access_token;   ///< client mode: the bot's token (preferred over a password)
  std::string password;       ///< client mode without a token: sign in with it, reusing the stored device
  std::string as_token;       ///< appservice mode: Tandem's token towards the homeserver
  std::string hs_token;       ///< appservice mode: the homeserver's token towards Tandem
  std::string extra_ca_file;  ///< PEM CA file trusted besides the system store (self-signed homeservers)
  std::chrono::milliseconds sync_timeout{30000};                   ///< how long the server holds a /sync
  std::chrono::milliseconds sync_request_timeout{40000};           ///< the HTTP timeout of a /sync (longer)
  std::chrono::milliseconds initial_sync_request_timeout{600000};  ///< the first /sync may take minutes
  std::chrono::milliseconds request_timeout{30000};                ///< every other request
  std::chrono::milliseconds retry_min{1000};   ///< first wait after a failed /sync or join (doubling)
  std::chrono::milliseconds retry_max{60000};  ///< longest wait between attempts
  std::chrono::seconds rate_limit_default{5};  ///< a 429 without Retry-After or retry_after_ms
  std::chrono::milliseconds sign_in_wait{10000};  ///< how long a delivery waits for the sign-in
  /// Renders one of the adapter's own texts, a message kind of prompts/ without values
  /// ("encryption_unsupported"), as neutral markup in the language of `reader`. Called on the
  /// adapter's thread; may throw (the adapter then says the English fallback). Empty: the
  /// English fallback.
  std::function<std::string(std::string_view kind, const identity& reader)> text_for;
  /// Where log lines go (called on the adapter's thread). Empty: no logging.
  adapter_log log;
};

/// The Matrix adapter. Construct and use it on one io_context run by one thread (Tandem's core
/// strand): `state` and `directory` are called on it. Must be destroyed before the io_context.
class matrix_adapter final : public platform_adapter {
 public:
  /// Throws std::invalid_argument when the options are unusable (no homeserver, no user id, no
  /// credentials for the mode) and std::runtime_error when `extra_ca_file` cannot be loaded.
  matrix_adapter(boost::asio::io_context& io, matrix_options options, inbound_sink sink, adapter_state& state,
                 const installation_directory& directory);
  ~matrix_adapter() override;
  matrix_adapter(const matrix_adapter&) = delete;
  matrix_adapter& operator=(const matrix_adapter&) = delete;

  std::string platform() const override { return "matrix"; }
  /// A homeserver answers a repeated txn id with the first event (for the same access token).
  bool deduplicates_by_key() const override { return true; }

  /// Sends `message` as an m.notice to `to.conversation` (a room id), or to a DM with
  /// `to.user` (found in m.direct, else created). The txn id comes from `idempotency_key`.
  /// A 429 is a retry after Retry-After (delta-seconds or HTTP date), else `retry_after_ms`,
  /// else `rate_limit_default`; network errors and 5xx are retries; other 4xx are failures.
  /// Offered answers become the bot's own reactions on the message. Before the sign-in (just
  /// after a start), a delivery waits for it, up to `sign_in_wait`, then is a retry.
  void deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
               std::function<void(delivery_result)> done) override;

  /// Appservice mode: the transaction, ping and query routes. Client mode: none.
  void add_routes(http_server& server) override;
  /// Signs in (client) or checks the as_token (appservice), then syncs or waits for transactions.
  void start() override;
  /// Cancels the long poll, timers and requests in flight.
  void stop() override;
  /// "ok", "starting", "reconnecting", "rate_limited", "invalid_token", "wrong_user" or
  /// "login_failed".
  std::string health() const override;

 private:
  class session;
  std::shared_ptr<session> session_;
};

}  // namespace tandem
