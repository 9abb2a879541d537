#include "adapters/matrix/matrix_adapter.h"

#include "adapters/http/http_client.h"
#include "adapters/http/http_types.h"
#include "adapters/matrix/matrix_appservice.h"
#include "adapters/matrix/matrix_render.h"
#include "adapters/matrix/matrix_translate.h"
#include "adapters/matrix/matrix_wire.h"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <variant>

namespace tandem {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view client_api = "/_matrix/client/v3";
constexpr std::string_view next_batch_key = "matrix.next_batch";
constexpr std::string_view device_key = "matrix.device_id";
constexpr std::string_view pending_invites_key = "matrix.pending_invites";
constexpr std::string_view encryption_notice_key = "matrix.encryption_notice.";
constexpr std::size_t remembered_targets = 4096;
constexpr std::size_t backfill_page_limit = 10000;  // pages of 100 events: a gap of a million events
/// The sync token is stored at most this often (see batch_done).
constexpr milliseconds token_write_interval{250};
/// Said when prompts/ cannot be used (no templates given, or rendering failed): the text of
/// prompts/en/encryption_unsupported.mustache.
constexpr std::string_view encryption_notice_fallback =
    "I cannot read this room: its messages are end-to-end encrypted, and Tandem does not support "
    "encryption. Please talk to me in a room without encryption, or in a direct chat without it.";

/// The filter that keeps what Tandem reads (PROTOCOLS.md B2), plus encrypted events and the
/// encryption state, so that an encrypted room gets a notice instead of silence. The timeline
/// limit is 1,000 rather than the usual 50: a busy room's burst comes in one /sync instead of a
/// `limited` timeline plus pages of /messages (one round trip instead of up to 11). Synapse
/// applies the filter's limit as given (synapse/api/filtering.py sets no maximum).
json sync_filter() {
  return json::parse(R"({
    "presence": {"not_types": ["*"]},
    "account_data": {"types": ["m.direct"]},
    "room": {
      "timeline": {"types": ["m.room.message", "m.reaction", "m.room.member", "m.room.encrypted",
                             "m.room.encryption"], "limit": 1000},
      "state": {"types": ["m.room.encryption"]},
      "ephemeral": {"not_types": ["*"]},
      "account_data": {"not_types": ["*"]}
    }
  })");
}

/// The room event filter of back-filling: the timeline's types, no limit of its own.
json messages_filter() { return json{{"types", sync_filter()["room"]["timeline"]["types"]}}; }

/// Why a Client-Server call got no usable answer: the network error, or the HTTP status with
/// the platform's error code and its retry hint, together (the mtxclient way).
struct request_failure {
  std::optional<unsigned> status;  ///< nothing: no response at all
  std::string errcode;
  std::string message;
  std::optional<seconds> retry_after;  ///< from Retry-After, else retry_after_ms (429 only)
  bool soft_logout = false;

  bool is(unsigned code) const { return status && *status == code; }
  std::string describe() const {
    if (!status) return message;
    std::string text = "HTTP " + std::to_string(*status);
    if (!errcode.empty()) text += " " + errcode;
    if (!message.empty()) text += ": " + message;
    return text;
  }
};

using call_outcome = std::variant<json, request_failure>;

request_failure failure_of(const client_response& response) {
  request_failure f;
  f.status = response.status;
  if (auto body = matrix::read_error_body(response.body)) {
    f.errcode = body->errcode;
    f.message = body->error;
    f.soft_logout = body->soft_logout;
    if (response.status == 429 && body->retry_after_ms) {
      f.retry_after = std::chrono::ceil<seconds>(milliseconds{std::max<std::int64_t>(0, *body->retry_after_ms)});
    }
  } else {
    f.message = response.body.substr(0, 200);
  }
  if (const auto header = response.header("retry-after")) {
    const auto now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
    if (auto wait = parse_retry_after(*header, now)) f.retry_after = *wait;  // the header wins
  }
  return f;
}

/// One invitation waiting to be answered.
struct pending_invite {
  std::string inviter;
  bool direct = false;
};

}  // namespace

class matrix_adapter::session : public std::enable_shared_from_this<matrix_adapter::session> {
 private:
  /// Wraps a callback so that it does nothing once the session is gone.
  template <typename F>
  auto guarded(F f) {
    return [weak = weak_from_this(), f = std::move(f)](auto&&... args) mutable {
      if (auto self = weak.lock()) f(std::forward<decltype(args)>(args)...);
    };
  }

 public:
  session(asio::io_context& io, matrix_options options, inbound_sink sink, adapter_state& state,
          const installation_directory& directory)
      : io_(io),
        options_(std::move(options)),
        sink_(std::move(sink)),
        state_(state),
        directory_(directory),
        client_(io, client_options(options_)),
        sync_timer_(io),
        invite_timer_(io),
        token_timer_(io),
        held_timer_(io),
        random_(std::random_device{}()) {
    bot_.user_id = options_.user_id;
    bot_.workspace = matrix::server_name_of(options_.user_id);
    token_ = options_.how == matrix_options::mode::appservice ? options_.as_token : options_.access_token;
  }

  void add_routes(http_server& server) {
    if (options_.how != matrix_options::mode::appservice) return;
    receiver_ = std::make_unique<matrix::transaction_receiver>(
        options_.hs_token, state_,
        guarded([this](std::vector<matrix::client_event> events, std::function<void(bool)> done) {
          if (!ready_) return done(false);  // the homeserver retries once Tandem is signed in
          process_events(std::move(events), std::move(done));
        }));
    receiver_->add_routes(server);
  }

  void start() {
    health_ = "starting";
    if (options_.how == matrix_options::mode::appservice || !options_.access_token.empty()) {
      check_whoami();
    } else {
      log_in();
    }
  }

  void stop() {
    if (!stopping_ && ready_) save_token();  // a clean stop resumes with nothing offered again
    stopping_ = true;
    sync_timer_.cancel();
    invite_timer_.cancel();
    token_timer_.cancel();
    release_held();
    client_.cancel_all();
  }

  std::string health() const { return health_; }

  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done) {
    if (!ready_) return hold_until_ready(to, message, key, std::move(done));
    if (!to.conversation.empty()) {
      send_notice(to.conversation, to, message, key, false, std::move(done));
      return;
    }
    if (to.user.empty() || matrix::server_name_of(to.user).empty()) {
      return done(delivery_result::failed("no Matrix room or user id to send to"));
    }
    direct_room_for(to.user, guarded([this, to, message, key, done](std::optional<std::string> room,
                                                                    std::optional<request_failure> failure) mutable {
                      if (!room) return done(outcome_of(*failure, "opening a DM"));
                      send_notice(*room, to, message, key, true, std::move(done));
                    }));
  }

 private:
  struct held_delivery {
    destination to;
    rendered_message message;
    std::string key;
    std::function<void(delivery_result)> done;
  };

  /// Just after a start the outbox may offer rows (replies decided before a crash) before the
  /// sign-in is done: they wait for it, up to `sign_in_wait`, instead of for the outbox's
  /// next attempt seconds later.
  void hold_until_ready(const destination& to, const rendered_message& message, const std::string& key,
                        std::function<void(delivery_result)> done) {
    if (stopping_) return done(delivery_result::retry("Tandem is stopping"));
    held_.push_back(held_delivery{to, message, key, std::move(done)});
    if (held_.size() > 1) return;
    held_timer_.expires_after(options_.sign_in_wait);
    held_timer_.async_wait(guarded([this](const boost::system::error_code& ec) {
      if (!ec) release_held();
    }));
  }

  /// Sends the held deliveries when signed in; otherwise hands them back as retries.
  void release_held() {
    held_timer_.cancel();
    auto held = std::exchange(held_, {});
    for (auto& h : held) {
      if (ready_ && !stopping_) {
        deliver(h.to, h.message, h.key, std::move(h.done));
      } else {
        h.done(delivery_result::retry("not signed in to the homeserver yet", seconds{5}));
      }
    }
  }

  static http_client_options client_options(const matrix_options& o) {
    if (o.homeserver.empty()) throw std::invalid_argument("matrix: no homeserver URL");
    if (matrix::server_name_of(o.user_id).empty()) {
      throw std::invalid_argument("matrix: the user id must look like @tandem:example.org");
    }
    const bool appservice = o.how == matrix_options::mode::appservice;
    if (appservice && (o.as_token.empty() || o.hs_token.empty())) {
      throw std::invalid_argument("matrix: appservice mode needs as_token and hs_token");
    }
    if (!appservice && o.access_token.empty() && o.password.empty()) {
      throw std::invalid_argument("matrix: client mode needs an access token or a password");
    }
    http_client_options c;
    c.timeout = std::chrono::ceil<seconds>(o.request_timeout);
    c.extra_ca_file = o.extra_ca_file;
    c.body_limit = std::size_t{64} * 1024 * 1024;  // a first sync of a busy account is large
    return c;
  }

  // ---- Client-Server API calls ----

  void call(std::string method, std::string path, std::optional<json> body, std::function<void(call_outcome)> done,
            std::optional<milliseconds> timeout = std::nullopt) {
    call_text(
        std::move(method), std::move(path), std::move(body),
        [done = std::move(done)](text_outcome outcome) {
          if (auto* f = std::get_if<request_failure>(&outcome)) return done(std::move(*f));
          const auto& [status, text] = std::get<answer_text>(outcome);
          json parsed = text.empty() ? json::object() : json::parse(text, nullptr, false);
          if (parsed.is_discarded()) {
            return done(request_failure{status, "M_NOT_JSON", "the homeserver's answer is not JSON", {}, false});
          }
          done(std::move(parsed));
        },
        timeout);
  }

  /// A successful answer's status and body, unparsed (/sync reads its text directly).
  struct answer_text {
    unsigned status;
    std::string body;
  };
  using text_outcome = std::variant<answer_text, request_failure>;

  void call_text(std::string method, std::string path, std::optional<json> body, std::function<void(text_outcome)> done,
                 std::optional<milliseconds> timeout = std::nullopt) {
    if (stopping_) {
      asio::post(io_, [done = std::move(done)] {
        done(request_failure{std::nullopt, "cancelled", "Tandem is stopping", {}, false});
      });
      return;
    }
    client_request request;
    request.method = std::move(method);
    request.url = options_.homeserver + std::string{client_api} + path;
    if (!token_.empty()) request.headers.emplace_back("Authorization", "Bearer " + token_);
    if (body) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    request.timeout = timeout.value_or(options_.request_timeout);
    client_.send(
        std::move(request), guarded([done = std::move(done)](client_result result) {
          if (auto* error = std::get_if<client_error>(&result)) {
            return done(request_failure{std::nullopt, std::string{to_string(error->what)}, error->message, {}, false});
          }
          auto& response = std::get<client_response>(result);
          if (response.status < 200 || response.status >= 300) return done(failure_of(response));
          done(answer_text{response.status, std::move(response.body)});
        }));
  }

  /// Maps a failed send to what the outbox does next.
  delivery_result outcome_of(const request_failure& f, std::string_view doing) {
    const std::string why = std::string{doing} + ": " + f.describe();
    if (!f.status) return delivery_result::retry(why);
    if (*f.status == 429) return delivery_result::retry(why, f.retry_after.value_or(options_.rate_limit_default));
    if (*f.status >= 500) return delivery_result::retry(why, f.retry_after);
    if (*f.status == 401) {
      token_refused(f);
      return delivery_result::retry(why);
    }
    return delivery_result::failed(why);
  }

  /// Wait before the next attempt after `attempts` failures: doubling, capped, with jitter.
  milliseconds backoff(int attempts) {
    milliseconds wait = options_.retry_min;
    for (int i = 1; i < attempts && wait < options_.retry_max; ++i) wait *= 2;
    wait = std::min(wait, options_.retry_max);
    std::uniform_int_distribution<milliseconds::rep> jitter(wait.count() / 2, wait.count());
    return milliseconds{jitter(random_)};
  }

  void after(asio::steady_timer& timer, milliseconds wait, std::function<void()> then) {
    if (stopping_) return;
    timer.expires_after(wait);
    timer.async_wait(guarded([this, then = std::move(then)](const boost::system::error_code& ec) {
      if (!ec && !stopping_) then();
    }));
  }

  /// 401 M_UNKNOWN_TOKEN: a password account signs in again; a configured token cannot heal.
  void token_refused(const request_failure& f) {
    spdlog::error("matrix: the homeserver refused the access token ({})", f.describe());
    if (options_.how == matrix_options::mode::client && options_.access_token.empty()) {
      if (ready_) {
        ready_ = false;
        log_in();
      }
    } else {
      health_ = "invalid_token";
    }
  }

  // ---- signing in ----

  void log_in() {
    if (stopping_) return;
    matrix::password_login request{options_.user_id, options_.password, std::nullopt, "Tandem"};
    try {
      request.device_id = state_.get(device_key);
    } catch (const std::exception& e) {
      spdlog::error("matrix: cannot read the stored device id: {}", e.what());
      return retry_start();
    }
    token_.clear();
    call("POST", "/login", json(request), [this](call_outcome outcome) {
      if (auto* f = std::get_if<request_failure>(&outcome)) {
        spdlog::error("matrix: signing in as {} failed: {}", options_.user_id, f->describe());
        health_ = f->is(429) ? "rate_limited" : "login_failed";
        return retry_start(f->retry_after);
      }
      matrix::login_response login;
      try {
        login = std::get<json>(outcome).get<matrix::login_response>();
      } catch (const json::exception&) {
        spdlog::error("matrix: the login answer lacks user_id, access_token or device_id");
        return retry_start();
      }
      token_ = login.access_token;
      try {
        state_.put(device_key, login.device_id);  // reused at the next sign-in: txn ids keep their scope
      } catch (const std::exception& e) {
        spdlog::warn("matrix: cannot store the device id: {}", e.what());
      }
      accept_user(login.user_id);
    });
  }

  void check_whoami() {
    if (stopping_) return;
    call("GET", "/account/whoami", std::nullopt, [this](call_outcome outcome) {
      if (auto* f = std::get_if<request_failure>(&outcome)) {
        spdlog::error("matrix: whoami failed: {}", f->describe());
        health_ = f->is(401) ? "invalid_token" : f->is(429) ? "rate_limited" : "reconnecting";
        return retry_start(f->retry_after);
      }
      try {
        accept_user(std::get<json>(outcome).get<matrix::whoami_response>().user_id);
      } catch (const json::exception&) {
        spdlog::error("matrix: the whoami answer lacks user_id");
        retry_start();
      }
    });
  }

  void accept_user(const std::string& user_id) {
    if (user_id != options_.user_id) {
      spdlog::error("matrix: the token belongs to {}, the config says {}: fix adapters.matrix.user_id", user_id,
                    options_.user_id);
      health_ = "wrong_user";
      return;
    }
    start_failures_ = 0;
    if (options_.how == matrix_options::mode::appservice) return load_direct_rooms([this] { become_ready(); });
    upload_filter();
  }

  void retry_start(std::optional<seconds> hint = std::nullopt) {
    const milliseconds wait = hint ? milliseconds{*hint} : backoff(++start_failures_);
    after(sync_timer_, wait, [this] { start(); });
  }

  void upload_filter() {
    call("POST", "/user/" + percent_encode(options_.user_id) + "/filter", sync_filter(), [this](call_outcome outcome) {
      const json* answer = std::get_if<json>(&outcome);
      if (answer == nullptr || !answer->contains("filter_id") || !(*answer)["filter_id"].is_string()) {
        if (auto* f = std::get_if<request_failure>(&outcome))
          spdlog::error("matrix: filter upload failed: {}", f->describe());
        return retry_start();
      }
      filter_id_ = (*answer)["filter_id"].get<std::string>();
      load_direct_rooms([this] {
        become_ready();
        begin_sync();
      });
    });
  }

  /// Reads m.direct (the bot's DMs); a missing one is empty.
  void load_direct_rooms(std::function<void()> then) {
    call("GET", "/user/" + percent_encode(options_.user_id) + "/account_data/m.direct", std::nullopt,
         [this, then = std::move(then)](call_outcome outcome) {
           if (auto* f = std::get_if<request_failure>(&outcome); f != nullptr && !f->is(404)) {
             spdlog::error("matrix: cannot read m.direct: {}", f->describe());
             return retry_start(f->retry_after);
           }
           if (auto* content = std::get_if<json>(&outcome)) set_direct_rooms(matrix::read_direct_rooms(*content));
           then();
         });
  }

  void become_ready() {
    ready_ = true;
    health_ = "ok";
    spdlog::info("matrix: signed in as {} ({} mode)", options_.user_id,
                 options_.how == matrix_options::mode::appservice ? "appservice" : "client");
    load_pending_invites();
    answer_invites();
    release_held();
  }

  // ---- the /sync loop ----

  void begin_sync() {
    try {
      since_ = state_.get(next_batch_key);
      saved_token_ = since_;
    } catch (const std::exception& e) {
      // Never take a failed read for a first sync: that would skip events.
      spdlog::error("matrix: cannot read the sync token: {}", e.what());
      return after(sync_timer_, backoff(++sync_failures_), [this] { begin_sync(); });
    }
    sync_once();
  }

  void sync_once() {
    if (stopping_ || !ready_) return;
    const bool initial = !since_;
    std::string path = "/sync?filter=" + percent_encode(filter_id_);
    if (initial) {
      path += "&timeout=0";
    } else {
      path += "&timeout=" + std::to_string(options_.sync_timeout.count()) + "&since=" + percent_encode(*since_);
    }
    call_text(
        "GET", path, std::nullopt,
        [this, initial](text_outcome outcome) {
          if (auto* f = std::get_if<request_failure>(&outcome)) return sync_failed(*f);
          matrix::sync_response batch;
          try {
            batch = matrix::read_sync_response(std::get<answer_text>(outcome).body);
          } catch (const json::exception& e) {
            return sync_failed(
                request_failure{200, "M_BAD_JSON", std::string{"malformed sync response: "} + e.what(), {}, false});
          }
          health_ = "ok";  // the homeserver answers again (storing the batch may still fail: batch_failed)
          take_batch(std::move(batch), initial);
        },
        initial ? options_.initial_sync_request_timeout : options_.sync_request_timeout);
  }

  void sync_failed(const request_failure& f) {
    if (stopping_) return;
    if (f.is(401)) {
      token_refused(f);
      if (!ready_) return;  // signing in again restarts the loop
    }
    spdlog::warn("matrix: /sync failed: {}", f.describe());
    if (f.is(429)) {
      health_ = "rate_limited";
      return after(sync_timer_, milliseconds{f.retry_after.value_or(options_.rate_limit_default)},
                   [this] { sync_once(); });
    }
    if (health_ == "ok") health_ = "reconnecting";
    after(sync_timer_, backoff(++sync_failures_), [this] { sync_once(); });
  }

  void take_batch(matrix::sync_response batch, bool initial) {
    for (const auto& event : batch.account_data) {
      if (event.type == "m.direct") set_direct_rooms(matrix::read_direct_rooms(event.content));
    }
    for (const auto& [room_id, invited] : batch.invite) {
      for (const auto& e : invited.invite_state) {
        if (e.type != "m.room.member" || e.state_key != options_.user_id) continue;
        try {
          const auto m = e.content.get<matrix::member>();
          if (m.membership == "invite") pending_invites_[room_id] = pending_invite{e.sender, m.is_direct};
        } catch (const json::exception&) {
          // An invite without membership is no invite.
        }
      }
    }
    if (!batch.invite.empty() && !save_pending_invites()) return batch_failed();
    if (initial) {
      // A new account's history is not acted on: only its token is kept.
      spdlog::info("matrix: first sync; earlier messages are not acted on");
      return batch_done(batch.next_batch, true);
    }
    auto events = std::make_shared<std::vector<matrix::client_event>>();
    auto limited = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    for (const auto& [room_id, joined] : batch.join) {
      if (joined.timeline.limited && !joined.timeline.prev_batch.empty()) {
        limited->emplace_back(room_id, joined.timeline.prev_batch);
      }
      for (const auto& e : joined.state.events) {
        if (e.type == "m.room.encryption") encrypted_room(room_id, e.sender);
      }
    }
    auto collected = std::make_shared<std::map<std::string, std::vector<matrix::client_event>>>();
    backfill_rooms(limited, 0, collected, [this, batch = std::move(batch), events, collected](bool ok) mutable {
      if (!ok) return batch_failed();
      std::set<std::string> seen;
      for (auto& [room_id, joined] : batch.join) {
        auto& gap = (*collected)[room_id];
        for (auto* list : {&gap, &joined.timeline.events.events}) {
          for (auto& e : *list) {
            if (seen.insert(e.event_id).second) events->push_back(std::move(e));
          }
        }
      }
      process_events(std::move(*events), [this, next = batch.next_batch](bool stored) {
        if (!stored) return batch_failed();
        // Stored: the runtime sends the replies the batch caused as soon as this returns; the
        // token's own durable write waits for the next turn, so it does not delay them.
        asio::post(io_, guarded([this, next] { batch_done(next, false); }));
      });
    });
  }

  /// Fills the gap of each limited room: /messages forwards from the previous `since` to the
  /// timeline's `prev_batch`, page after page, until the server has nothing more.
  void backfill_rooms(std::shared_ptr<std::vector<std::pair<std::string, std::string>>> rooms, std::size_t index,
                      std::shared_ptr<std::map<std::string, std::vector<matrix::client_event>>> collected,
                      std::function<void(bool)> done) {
    if (index == rooms->size()) return done(true);
    const auto [room_id, prev_batch] = (*rooms)[index];
    backfill_page(room_id, *since_, prev_batch, 0, collected,
                  [this, rooms, index, collected, done = std::move(done)](bool ok) mutable {
                    if (!ok) return done(false);
                    backfill_rooms(rooms, index + 1, collected, std::move(done));
                  });
  }

  void backfill_page(const std::string& room_id, const std::string& from, const std::string& to, std::size_t page,
                     std::shared_ptr<std::map<std::string, std::vector<matrix::client_event>>> collected,
                     std::function<void(bool)> done) {
    if (page == backfill_page_limit) {
      spdlog::error("matrix: gap in {} still open after {} pages; continuing", room_id, page);
      return done(true);
    }
    const std::string path = "/rooms/" + percent_encode(room_id) +
                             "/messages?dir=f&limit=100&from=" + percent_encode(from) + "&to=" + percent_encode(to) +
                             "&filter=" + percent_encode(messages_filter().dump());
    call("GET", path, std::nullopt,
         [this, room_id, from, to, page, collected, done = std::move(done)](call_outcome outcome) mutable {
           if (auto* f = std::get_if<request_failure>(&outcome)) {
             spdlog::warn("matrix: back-filling {} failed: {}", room_id, f->describe());
             return done(false);
           }
           matrix::messages_response answer;
           try {
             answer = matrix::take_messages_response(std::move(std::get<json>(outcome)));
           } catch (const json::exception&) {
             spdlog::warn("matrix: malformed /messages answer for {}", room_id);
             return done(false);
           }
           auto& into = (*collected)[room_id];
           for (auto& e : answer.chunk.events) {
             if (e.room_id.empty()) e.room_id = room_id;
             into.push_back(std::move(e));
           }
           if (answer.chunk.events.empty() || !answer.end || *answer.end == from || *answer.end == to) {
             return done(true);
           }
           backfill_page(room_id, *answer.end, to, page + 1, collected, std::move(done));
         });
  }

  /// Every event of the batch is stored: the next long poll goes out at once, and the token is
  /// stored durably after it. A first sync's token is stored before anything else happens (a
  /// store without one would take the next start for a first sync and skip what came between);
  /// later ones at most every `token_write_interval`, so a flood costs one durable write per
  /// quarter second instead of one per batch. A crash before the write only offers stored
  /// events again, which their event ids recognise.
  void batch_done(const std::string& next_batch, bool initial) {
    if (initial) {
      try {
        state_.put(next_batch_key, next_batch);
      } catch (const std::exception& e) {
        spdlog::error("matrix: cannot store the sync token: {}", e.what());
        return batch_failed();
      }
      saved_token_ = next_batch;
      last_token_write_ = std::chrono::steady_clock::now();
    }
    since_ = next_batch;
    sync_failures_ = 0;
    health_ = "ok";
    answer_invites();
    sync_once();
    save_token_soon();
  }

  /// Stores `since_` when the interval since the last write has passed (on a later turn of the
  /// io_context, so the requests already on their way leave first).
  void save_token_soon() {
    if (token_write_scheduled_ || stopping_ || since_ == saved_token_) return;
    token_write_scheduled_ = true;
    const auto due = last_token_write_ + token_write_interval;
    const auto now = std::chrono::steady_clock::now();
    token_timer_.expires_after(due > now ? due - now : std::chrono::steady_clock::duration::zero());
    token_timer_.async_wait(guarded([this](const boost::system::error_code& ec) {
      token_write_scheduled_ = false;
      if (!ec) save_token();
    }));
  }

  void save_token() {
    if (!since_ || since_ == saved_token_) return;
    try {
      state_.put(next_batch_key, *since_);
      saved_token_ = since_;
    } catch (const std::exception& e) {
      spdlog::error("matrix: cannot store the sync token (events already stored may be offered again): {}", e.what());
    }
    last_token_write_ = std::chrono::steady_clock::now();
    save_token_soon();  // after a failure: again after the interval
  }

  void batch_failed() {
    if (health_ == "ok") health_ = "reconnecting";
    after(sync_timer_, backoff(++sync_failures_), [this] { sync_once(); });
  }

  // ---- from events to the sink ----

  /// Looks up the messages reactions are on (when not remembered), then translates and stores.
  void process_events(std::vector<matrix::client_event> events, std::function<void(bool)> done) {
    auto lookups = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    for (const auto& e : events) {
      if (!matrix::needs_reaction_target(e) || e.sender == options_.user_id) continue;
      try {
        const auto r = e.content.get<matrix::reaction>();
        if (!r.relates_to.event_id.empty() && !targets_.contains(r.relates_to.event_id)) {
          lookups->emplace_back(e.room_id, r.relates_to.event_id);
        }
      } catch (const json::exception&) {
        // translate_event ignores it too
      }
    }
    look_up_targets(lookups, 0, [this, events = std::move(events), done = std::move(done)](bool ok) mutable {
      if (!ok) return done(false);
      feed(std::move(events), std::move(done));
    });
  }

  void look_up_targets(std::shared_ptr<std::vector<std::pair<std::string, std::string>>> lookups, std::size_t index,
                       std::function<void(bool)> done) {
    if (index == lookups->size()) return done(true);
    const auto [room_id, event_id] = (*lookups)[index];
    if (targets_.contains(event_id)) return look_up_targets(lookups, index + 1, std::move(done));
    call("GET", "/rooms/" + percent_encode(room_id) + "/event/" + percent_encode(event_id), std::nullopt,
         [this, lookups, index, event_id, done = std::move(done)](call_outcome outcome) mutable {
           if (auto* f = std::get_if<request_failure>(&outcome)) {
             if (!f->is(404) && !f->is(403)) {
               spdlog::warn("matrix: cannot fetch the message {} a reaction is on: {}", event_id, f->describe());
               return done(false);
             }
             remember_target(event_id, {});  // gone or hidden: not an answer Tandem can read
           } else {
             try {
               const auto target = std::get<json>(outcome).get<matrix::client_event>();
               const bool ours = target.sender == options_.user_id;
               remember_target(event_id,
                               {ours, ours ? matrix::answers_in_content(target.content) : matrix::answer_keys{}});
             } catch (const json::exception&) {
               remember_target(event_id, {});
             }
           }
           look_up_targets(lookups, index + 1, std::move(done));
         });
  }

  void remember_target(const std::string& event_id, matrix::reaction_target target) {
    if (targets_.insert_or_assign(event_id, std::move(target)).second) target_order_.push_back(event_id);
    while (target_order_.size() > remembered_targets) {
      targets_.erase(target_order_.front());
      target_order_.pop_front();
    }
  }

  void feed(std::vector<matrix::client_event> events, std::function<void(bool)> done) {
    std::vector<inbound> translated;
    for (const auto& e : events) {
      if (e.sender == options_.user_id) continue;
      if (e.type == "m.room.member" && e.state_key == options_.user_id) {
        if (!note_membership(e)) return done(false);
        continue;
      }
      if (e.type == "m.room.encrypted" || e.type == "m.room.encryption") {
        encrypted_room(e.room_id, e.sender);
        continue;
      }
      std::optional<matrix::reaction_target> target;
      if (matrix::needs_reaction_target(e)) {
        try {
          const auto r = e.content.get<matrix::reaction>();
          if (auto it = targets_.find(r.relates_to.event_id); it != targets_.end()) target = it->second;
        } catch (const json::exception&) {
          // ignored below
        }
      }
      if (auto in = matrix::translate_event(e, bot_, direct_room_ids_.contains(e.room_id), target)) {
        translated.push_back(std::move(*in));
      }
    }
    answer_invites();
    if (translated.empty()) return done(true);
    struct tally {
      std::size_t left;
      bool stored = true;
      std::function<void(bool)> done;
    };
    auto count = std::make_shared<tally>(tally{translated.size(), true, std::move(done)});
    for (auto& in : translated) {
      sink_(std::move(in), guarded([count](bool stored) {
              count->stored = count->stored && stored;
              if (--count->left == 0) count->done(count->stored);
            }));
    }
  }

  /// An appservice sees the bot's own membership as events: an invite is remembered durably.
  bool note_membership(const matrix::client_event& e) {
    try {
      const auto m = e.content.get<matrix::member>();
      if (m.membership != "invite") return true;
      pending_invites_[e.room_id] = pending_invite{e.sender, m.is_direct};
    } catch (const json::exception&) {
      return true;
    }
    return save_pending_invites();
  }

  // ---- invitations ----

  void load_pending_invites() {
    try {
      const auto stored = state_.get(pending_invites_key);
      if (!stored) return;
      const json j = json::parse(*stored, nullptr, false);
      if (!j.is_object()) return;
      for (const auto& [room_id, v] : j.items()) {
        if (!v.is_object()) continue;
        pending_invites_.try_emplace(room_id, pending_invite{v.value("inviter", ""), v.value("direct", false)});
      }
    } catch (const std::exception& e) {
      spdlog::error("matrix: cannot read pending invitations: {}", e.what());
    }
  }

  bool save_pending_invites() {
    json j = json::object();
    for (const auto& [room_id, invite] : pending_invites_)
      j[room_id] = {{"inviter", invite.inviter}, {"direct", invite.direct}};
    try {
      state_.put(pending_invites_key, j.dump());
      return true;
    } catch (const std::exception& e) {
      spdlog::error("matrix: cannot store pending invitations: {}", e.what());
      return false;
    }
  }

  /// Joins invitations to a collaboration's room and DM invitations from known people; declines
  /// the others. A failed answer stays pending and is tried again later.
  void answer_invites() {
    if (!ready_ || stopping_) return;
    for (const auto& [room_id, invite] : pending_invites_) {
      if (answering_.contains(room_id)) continue;
      answering_.insert(room_id);
      const bool room_known = directory_.knows_room(room{"matrix", bot_.workspace, room_id});
      const bool person_known = directory_.knows_person(identity{"matrix", bot_.workspace, invite.inviter});
      const bool join = room_known || (invite.direct && person_known);
      const std::string path = "/rooms/" + percent_encode(room_id) + (join ? "/join" : "/leave");
      json body = json::object();
      if (!join) body["reason"] = "Tandem joins only the rooms of its collaborations and DMs from their members";
      call("POST", path, body, [this, room_id, invite, join](call_outcome outcome) {
        answering_.erase(room_id);
        if (auto* f = std::get_if<request_failure>(&outcome)) {
          if (!f->is(403) && !f->is(404)) {
            spdlog::warn("matrix: {} {} failed, will retry: {}", join ? "joining" : "declining", room_id,
                         f->describe());
            const milliseconds wait = f->retry_after ? milliseconds{*f->retry_after} : backoff(++invite_failures_);
            return after(invite_timer_, wait, [this] { answer_invites(); });
          }
          spdlog::info("matrix: invitation to {} is gone ({})", room_id, f->describe());
        } else {
          spdlog::info("matrix: {} {} (invited by {})", join ? "joined" : "declined", room_id, invite.inviter);
          if (join && invite.direct) add_direct_room(invite.inviter, room_id);
        }
        invite_failures_ = 0;
        pending_invites_.erase(room_id);
        save_pending_invites();
      });
    }
  }

  // ---- direct rooms (m.direct) ----

  void set_direct_rooms(matrix::direct_rooms rooms) {
    direct_ = std::move(rooms);
    direct_room_ids_.clear();
    for (const auto& [user, ids] : direct_) direct_room_ids_.insert(ids.begin(), ids.end());
  }

  /// Records a DM in m.direct by read, merge, write (a PUT replaces the whole map); one at a time.
  void add_direct_room(const std::string& user, const std::string& room_id) {
    auto& rooms = direct_[user];
    if (std::find(rooms.begin(), rooms.end(), room_id) == rooms.end()) rooms.push_back(room_id);
    direct_room_ids_.insert(room_id);
    direct_writes_.emplace_back(user, room_id);
    if (direct_writes_.size() == 1) write_next_direct();
  }

  void write_next_direct() {
    if (direct_writes_.empty()) return;
    const std::string path = "/user/" + percent_encode(options_.user_id) + "/account_data/m.direct";
    call("GET", path, std::nullopt, [this, path](call_outcome outcome) {
      auto* f = std::get_if<request_failure>(&outcome);
      if (f != nullptr && !f->is(404)) return direct_written(f->describe());
      json merged = f == nullptr ? std::get<json>(outcome) : json::object();
      if (!merged.is_object()) merged = json::object();
      const auto& [user, room_id] = direct_writes_.front();
      json& list = merged[user];
      if (!list.is_array()) list = json::array();
      if (std::find(list.begin(), list.end(), json(room_id)) == list.end()) list.push_back(room_id);
      call("PUT", path, merged, [this](call_outcome written) {
        auto* failed = std::get_if<request_failure>(&written);
        direct_written(failed != nullptr ? failed->describe() : "");
      });
    });
  }

  void direct_written(const std::string& error) {
    if (!error.empty()) {
      spdlog::warn("matrix: cannot record the DM {} with {} in m.direct: {}", direct_writes_.front().second,
                   direct_writes_.front().first, error);
    }
    direct_writes_.pop_front();
    write_next_direct();
  }

  /// The DM room with `user`: the latest one in m.direct, else a new one (one creation per user
  /// at a time; concurrent deliveries wait for it).
  void direct_room_for(const std::string& user,
                       std::function<void(std::optional<std::string>, std::optional<request_failure>)> done) {
    if (auto it = direct_.find(user); it != direct_.end() && !it->second.empty()) return done(it->second.back(), {});
    auto& waiting = creating_[user];
    waiting.push_back(std::move(done));
    if (waiting.size() > 1) return;
    call("POST", "/createRoom", json(matrix::create_direct_room{user}), [this, user](call_outcome outcome) {
      auto waiters = std::move(creating_[user]);
      creating_.erase(user);
      std::optional<std::string> room_id;
      std::optional<request_failure> failure;
      if (auto* f = std::get_if<request_failure>(&outcome)) {
        failure = *f;
      } else if (const json& j = std::get<json>(outcome); j.contains("room_id") && j["room_id"].is_string()) {
        room_id = j["room_id"].get<std::string>();
        spdlog::info("matrix: opened a DM {} with {}", *room_id, user);
        add_direct_room(user, *room_id);
      } else {
        failure = request_failure{200, "M_BAD_JSON", "createRoom answered without room_id", {}, false};
      }
      for (auto& w : waiters) w(room_id, failure);
    });
  }

  void forget_direct_room(const std::string& room_id) {
    for (auto& [user, ids] : direct_) std::erase(ids, room_id);
    direct_room_ids_.erase(room_id);
  }

  // ---- sending ----

  void send_notice(const std::string& room_id, const destination& to, const rendered_message& message,
                   const std::string& key, bool opened_dm, std::function<void(delivery_result)> done) {
    matrix::notice_options options;
    const bool direct = opened_dm || direct_room_ids_.contains(room_id);
    if (!direct && !to.user.empty() && to.user != options_.user_id && !matrix::server_name_of(to.user).empty()) {
      options.mention_user_ids.push_back(to.user);
    }
    if (!to.reply_handle.empty() && to.conversation == room_id) options.in_reply_to = to.reply_handle;
    json content = matrix::notice_content(message, options);
    std::vector<std::string> reactions;
    for (const auto& a : message.answers) {
      if (!a.what.emoji.empty()) reactions.push_back(a.what.emoji);
    }
    const std::string path =
        "/rooms/" + percent_encode(room_id) + "/send/m.room.message/" + percent_encode(matrix::transaction_id_for(key));
    call("PUT", path, content,
         [this, room_id, key, opened_dm, reactions, answers = matrix::answers_in_content(content),
          done = std::move(done)](call_outcome outcome) mutable {
           if (auto* f = std::get_if<request_failure>(&outcome)) {
             if (f->is(403) && opened_dm) {
               forget_direct_room(room_id);  // the DM is no longer usable: the next attempt opens a new one
               return done(delivery_result::retry("not allowed in the DM " + room_id + ": " + f->describe()));
             }
             return done(outcome_of(*f, "sending to " + room_id));
           }
           const json& answer = std::get<json>(outcome);
           const std::string event_id = answer.value("event_id", "");
           if (!event_id.empty() && !answers.empty()) remember_target(event_id, {true, answers});
           if (event_id.empty() || reactions.empty()) return done(delivery_result::delivered());
           react(room_id, event_id, key, std::move(reactions), 0, std::move(done));
         });
  }

  /// The bot's own reactions on its message, one per answer, so a person answers with one
  /// click. Best effort: the message is delivered whatever happens to them (it names them).
  void react(const std::string& room_id, const std::string& event_id, const std::string& key,
             std::vector<std::string> keys, std::size_t index, std::function<void(delivery_result)> done) {
    if (index == keys.size()) return done(delivery_result::delivered());
    const std::string path = "/rooms/" + percent_encode(room_id) + "/send/m.reaction/" +
                             percent_encode(matrix::transaction_id_for(key, "r" + std::to_string(index)));
    const json content = matrix::reaction_content(event_id, keys[index]);
    call("PUT", path, content,
         [this, room_id, event_id, key, keys = std::move(keys), index,
          done = std::move(done)](call_outcome outcome) mutable {
           if (auto* f = std::get_if<request_failure>(&outcome);
               f != nullptr && f->errcode != "M_DUPLICATE_ANNOTATION") {
             spdlog::warn("matrix: could not add the answer {} to {}: {}", keys[index], event_id, f->describe());
           }
           react(room_id, event_id, key, std::move(keys), index + 1, std::move(done));
         });
  }

  /// An encrypted room gets one plain notice that Tandem cannot read it, once ever, in the
  /// language of whoever wrote the event that showed it (English for a stranger).
  void encrypted_room(const std::string& room_id, const std::string& sender) {
    if (encryption_noticed_.contains(room_id)) return;
    encryption_noticed_.insert(room_id);
    const std::string key = std::string{encryption_notice_key} + room_id;
    try {
      if (state_.get(key)) return;
    } catch (const std::exception& e) {
      spdlog::warn("matrix: {}", e.what());
    }
    rendered_message text{std::string{encryption_notice_fallback}, {}};
    if (options_.text_for) {
      try {
        text.markup = options_.text_for("encryption_unsupported", identity{"matrix", bot_.workspace, sender});
      } catch (const std::exception& e) {
        spdlog::warn("matrix: cannot render the encrypted-room notice, saying it in English: {}", e.what());
      }
    }
    const json content = matrix::notice_content(text, {});
    const std::string path = "/rooms/" + percent_encode(room_id) + "/send/m.room.message/" +
                             percent_encode(matrix::transaction_id_for("encryption:" + room_id));
    call("PUT", path, content, [this, room_id, key](call_outcome outcome) {
      if (auto* f = std::get_if<request_failure>(&outcome)) {
        spdlog::warn("matrix: could not tell {} that encryption is not supported: {}", room_id, f->describe());
        encryption_noticed_.erase(room_id);  // said at the next encrypted event
        return;
      }
      spdlog::info("matrix: {} is encrypted; told the room that Tandem cannot read it", room_id);
      try {
        state_.put(key, "sent");
      } catch (const std::exception& e) {
        spdlog::warn("matrix: {}", e.what());
      }
    });
  }

  asio::io_context& io_;
  matrix_options options_;
  inbound_sink sink_;
  adapter_state& state_;
  const installation_directory& directory_;
  http_client client_;
  asio::steady_timer sync_timer_;
  asio::steady_timer invite_timer_;
  asio::steady_timer token_timer_;
  asio::steady_timer held_timer_;
  std::vector<held_delivery> held_;  ///< deliveries waiting for the sign-in
  std::minstd_rand random_;
  matrix::bot_account bot_;
  std::unique_ptr<matrix::transaction_receiver> receiver_;
  std::string token_;
  std::string filter_id_;
  std::optional<std::string> since_;        ///< the token of the last batch whose events are all stored
  std::optional<std::string> saved_token_;  ///< the token last written to the store
  std::chrono::steady_clock::time_point last_token_write_{};
  bool token_write_scheduled_ = false;
  std::string health_ = "starting";
  bool ready_ = false;
  bool stopping_ = false;
  int start_failures_ = 0;
  int sync_failures_ = 0;
  int invite_failures_ = 0;
  matrix::direct_rooms direct_;
  std::set<std::string> direct_room_ids_;
  std::deque<std::pair<std::string, std::string>> direct_writes_;
  std::map<std::string, std::vector<std::function<void(std::optional<std::string>, std::optional<request_failure>)>>>
      creating_;
  std::map<std::string, matrix::reaction_target> targets_;
  std::deque<std::string> target_order_;
  std::map<std::string, pending_invite> pending_invites_;
  std::set<std::string> answering_;
  std::set<std::string> encryption_noticed_;
};

matrix_adapter::matrix_adapter(asio::io_context& io, matrix_options options, inbound_sink sink, adapter_state& state,
                               const installation_directory& directory)
    : session_(std::make_shared<session>(io, std::move(options), std::move(sink), state, directory)) {}

matrix_adapter::~matrix_adapter() { session_->stop(); }

void matrix_adapter::deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
                             std::function<void(delivery_result)> done) {
  session_->deliver(to, message, idempotency_key, std::move(done));
}

void matrix_adapter::add_routes(http_server& server) { session_->add_routes(server); }

void matrix_adapter::start() { session_->start(); }

void matrix_adapter::stop() { session_->stop(); }

std::string matrix_adapter::health() const { return session_->health(); }

}  // namespace tandem
