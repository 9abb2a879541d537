#pragma once
// The Matrix adapter's calls to the Client-Server API (`/_matrix/client/v3`): one request with
// the bot's token, its answer read as JSON (or as text, for /sync), and every failure as one
// value carrying the network error, the HTTP status, the errcode and the retry hint together
// (the mtxclient way). Also what a failed send means for the outbox, and the retry waits.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/http/http_client.h"
#include "adapters/matrix/matrix_adapter.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>

namespace tandem::matrix {

/// Why a Client-Server call got no usable answer.
struct request_failure {
  std::optional<unsigned> status;  ///< nothing: no response at all
  std::string errcode;
  std::string message;
  std::optional<std::chrono::seconds> retry_after;  ///< from Retry-After, else retry_after_ms (429 only)
  bool soft_logout = false;

  bool is(unsigned code) const { return status && *status == code; }
  /// "HTTP 429 M_LIMIT_EXCEEDED: Too many requests", or the network error.
  std::string describe() const;
};

/// A call's JSON answer, or why there is none.
using call_outcome = std::variant<nlohmann::json, request_failure>;

/// A successful answer's status and body, unparsed (/sync reads its text directly).
struct answer_text {
  unsigned status;
  std::string body;
};
using text_outcome = std::variant<answer_text, request_failure>;

/// The failure a non-2xx `response` is, read at `now` (for a Retry-After date). Pure.
request_failure failure_of(const client_response& response, time_point now);

/// What the outbox does after a failed send: network errors, 429 (after its hint, else
/// `rate_limit_default`), 5xx and 401 are retries; other statuses are failures. Pure.
delivery_result delivery_outcome(const request_failure& f, std::string_view doing,
                                 std::chrono::seconds rate_limit_default);

/// Where the adapter stands, shared by its parts. Used on the adapter's thread only.
struct connection_status {
  std::string health = "starting";  ///< what health() says
  bool ready = false;               ///< signed in, filter and m.direct loaded
  bool stopping = false;            ///< stop() was called: nothing new starts
};

/// The homeserver's HTTP client with the bot's token. Used on the adapter's thread only.
class api_client {
 public:
  /// Throws std::invalid_argument when `options` are unusable (see matrix_adapter's constructor)
  /// and std::runtime_error when `options.extra_ca_file` cannot be loaded. `context`, `options`
  /// and `status` must outlive it.
  api_client(adapter_context& context, const matrix_options& options, const connection_status& status);

  /// Calls `method path` (relative to /_matrix/client/v3) with `body` as JSON; `done` gets the
  /// answer parsed (an empty body is `{}`) and never runs once the adapter is gone. While
  /// stopping, `done` gets a failure on a later turn.
  void call(std::string method, std::string path, std::optional<nlohmann::json> body,
            std::function<void(call_outcome)> done, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// The same, with the answer's text unparsed.
  void call_text(std::string method, std::string path, std::optional<nlohmann::json> body,
                 std::function<void(text_outcome)> done,
                 std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// `call` for a coroutine: resumes with the outcome (a coroutine whose adapter is gone is
  /// never resumed, only destroyed).
  boost::asio::awaitable<call_outcome> co_call(std::string method, std::string path,
                                               std::optional<nlohmann::json> body);

  /// The token calls carry (empty: none, before a password sign-in).
  void set_token(std::string token) { token_ = std::move(token); }
  /// Cancels every request in flight.
  void cancel_all() { client_.cancel_all(); }

 private:
  adapter_context& context_;
  const matrix_options& options_;
  const connection_status& status_;
  http_client client_;
  std::string token_;
};

/// The waits between attempts after failures: doubling from `retry_min` up to `retry_max`, each
/// with jitter (between half and all of it).
class retry_backoff {
 public:
  explicit retry_backoff(const matrix_options& options);
  /// The wait after `attempts` failures in a row.
  std::chrono::milliseconds after(int attempts);

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  std::minstd_rand random_;
};

/// What the Matrix adapter's parts work with: the homeserver's API, the adapter's context and
/// status, its durable state, its options and the retry waits. Owned by the adapter; each part
/// keeps these references (they outlive it).
struct session_tools {
  api_client& api;
  const adapter_context& context;
  connection_status& status;
  adapter_state& state;
  const matrix_options& options;
  retry_backoff& backoff;
};

/// Runs `then` after `wait` on `timer` (replacing whatever waited on it), unless the adapter stops
/// first or is gone.
void after(boost::asio::steady_timer& timer, const adapter_context& context, const connection_status& status,
           std::chrono::milliseconds wait, std::function<void()> then);

}  // namespace tandem::matrix
