#include "adapters/matrix/matrix_sign_in.h"

#include "adapters/http/http_types.h"
#include "adapters/matrix/matrix_sync_loop.h"
#include "adapters/matrix/matrix_wire.h"

namespace tandem::matrix {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {
constexpr std::string_view device_key = "matrix.device_id";
}  // namespace

sign_in::sign_in(api_client& api, const adapter_context& context, connection_status& status, adapter_state& state,
                 const matrix_options& options, direct_room_book& direct, retry_backoff& backoff,
                 boost::asio::steady_timer& timer, signed_in on_signed_in)
    : api_(api),
      context_(context),
      status_(status),
      state_(state),
      options_(options),
      direct_(direct),
      backoff_(backoff),
      timer_(timer),
      on_signed_in_(std::move(on_signed_in)) {}

void sign_in::start() {
  status_.health = "starting";
  if (options_.how == matrix_options::mode::appservice || !options_.access_token.empty()) {
    check_whoami();
  } else {
    log_in();
  }
}

void sign_in::token_refused(const request_failure& f) {
  context_.log("error", "matrix: the homeserver refused the access token (" + f.describe() + ")");
  if (options_.how == matrix_options::mode::client && options_.access_token.empty()) {
    if (status_.ready) {
      status_.ready = false;
      log_in();
    }
  } else {
    status_.health = "invalid_token";
  }
}

void sign_in::log_in() {
  if (status_.stopping) return;
  password_login request{options_.user_id, options_.password, std::nullopt, "Tandem"};
  try {
    request.device_id = state_.get(device_key);
  } catch (const std::exception& e) {
    context_.log("error", std::string{"matrix: cannot read the stored device id: "} + e.what());
    return retry();
  }
  api_.set_token("");
  api_.call("POST", "/login", json(request), [this](call_outcome outcome) {
    if (auto* f = std::get_if<request_failure>(&outcome)) {
      context_.log("error", "matrix: signing in as " + options_.user_id + " failed: " + f->describe());
      status_.health = f->is(429) ? "rate_limited" : "login_failed";
      return retry(f->retry_after);
    }
    login_response login;
    try {
      login = std::get<json>(outcome).get<login_response>();
    } catch (const json::exception&) {
      context_.log("error", "matrix: the login answer lacks user_id, access_token or device_id");
      return retry();
    }
    api_.set_token(login.access_token);
    try {
      state_.put(device_key, login.device_id);  // reused at the next sign-in: txn ids keep their scope
    } catch (const std::exception& e) {
      context_.log("warn", std::string{"matrix: cannot store the device id: "} + e.what());
    }
    accept_user(login.user_id);
  });
}

void sign_in::check_whoami() {
  if (status_.stopping) return;
  api_.call("GET", "/account/whoami", std::nullopt, [this](call_outcome outcome) {
    if (auto* f = std::get_if<request_failure>(&outcome)) {
      context_.log("error", "matrix: whoami failed: " + f->describe());
      status_.health = f->is(401) ? "invalid_token" : f->is(429) ? "rate_limited" : "reconnecting";
      return retry(f->retry_after);
    }
    try {
      accept_user(std::get<json>(outcome).get<whoami_response>().user_id);
    } catch (const json::exception&) {
      context_.log("error", "matrix: the whoami answer lacks user_id");
      retry();
    }
  });
}

void sign_in::accept_user(const std::string& user_id) {
  if (user_id != options_.user_id) {
    context_.log("error", "matrix: the token belongs to " + user_id + ", the config says " + options_.user_id +
                              ": fix adapters.matrix.user_id");
    status_.health = "wrong_user";
    return;
  }
  failures_ = 0;
  if (options_.how == matrix_options::mode::appservice) return load_direct_rooms("");
  upload_filter();
}

void sign_in::retry(std::optional<std::chrono::seconds> hint) {
  const milliseconds wait = hint ? milliseconds{*hint} : backoff_.after(++failures_);
  after(timer_, context_, status_, wait, [this] { start(); });
}

void sign_in::upload_filter() {
  api_.call("POST", "/user/" + percent_encode(options_.user_id) + "/filter", sync_filter(),
            [this](call_outcome outcome) {
              const json* answer = std::get_if<json>(&outcome);
              if (answer == nullptr || !answer->contains("filter_id") || !(*answer)["filter_id"].is_string()) {
                if (auto* f = std::get_if<request_failure>(&outcome)) {
                  context_.log("error", "matrix: filter upload failed: " + f->describe());
                }
                return retry();
              }
              load_direct_rooms((*answer)["filter_id"].get<std::string>());
            });
}

/// Reads m.direct (the bot's DMs); a missing one is empty.
void sign_in::load_direct_rooms(std::string filter_id) {
  direct_.load([this, filter_id = std::move(filter_id)](std::optional<request_failure> failure) {
    if (failure) {
      context_.log("error", "matrix: cannot read m.direct: " + failure->describe());
      return retry(failure->retry_after);
    }
    on_signed_in_(filter_id);
  });
}

}  // namespace tandem::matrix
