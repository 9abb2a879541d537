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

sign_in::sign_in(const session_tools& tools, direct_room_book& direct, boost::asio::steady_timer& timer,
                 signed_in on_signed_in)
    : tools_(tools), direct_(direct), timer_(timer), on_signed_in_(std::move(on_signed_in)) {}

void sign_in::start() {
  tools_.status.health = "starting";
  if (tools_.options.how == matrix_options::mode::appservice || !tools_.options.access_token.empty()) {
    check_whoami();
  } else {
    log_in();
  }
}

void sign_in::token_refused(const request_failure& f) {
  tools_.context.log("error", "matrix: the homeserver refused the access token (" + f.describe() + ")");
  if (tools_.options.how == matrix_options::mode::client && tools_.options.access_token.empty()) {
    if (tools_.status.ready) {
      tools_.status.ready = false;
      log_in();
    }
  } else {
    tools_.status.health = "invalid_token";
  }
}

void sign_in::log_in() {
  if (tools_.status.stopping) return;
  password_login request{tools_.options.user_id, tools_.options.password, std::nullopt, "Tandem"};
  try {
    request.device_id = tools_.state.get(device_key);
  } catch (const std::exception& e) {
    tools_.context.log("error", std::string{"matrix: cannot read the stored device id: "} + e.what());
    return retry();
  }
  tools_.api.set_token("");
  tools_.api.call("POST", "/login", json(request), [this](call_outcome outcome) {
    if (auto* f = std::get_if<request_failure>(&outcome)) {
      tools_.context.log("error", "matrix: signing in as " + tools_.options.user_id + " failed: " + f->describe());
      tools_.status.health = f->is(429) ? "rate_limited" : "login_failed";
      return retry(f->retry_after);
    }
    login_response login;
    try {
      login = std::get<json>(outcome).get<login_response>();
    } catch (const json::exception&) {
      tools_.context.log("error", "matrix: the login answer lacks user_id, access_token or device_id");
      return retry();
    }
    tools_.api.set_token(login.access_token);
    try {
      tools_.state.put(device_key, login.device_id);  // reused at the next sign-in: txn ids keep their scope
    } catch (const std::exception& e) {
      tools_.context.log("warn", std::string{"matrix: cannot store the device id: "} + e.what());
    }
    accept_user(login.user_id);
  });
}

void sign_in::check_whoami() {
  if (tools_.status.stopping) return;
  tools_.api.call("GET", "/account/whoami", std::nullopt, [this](call_outcome outcome) {
    if (auto* f = std::get_if<request_failure>(&outcome)) {
      tools_.context.log("error", "matrix: whoami failed: " + f->describe());
      tools_.status.health = f->is(401) ? "invalid_token" : f->is(429) ? "rate_limited" : "reconnecting";
      return retry(f->retry_after);
    }
    try {
      accept_user(std::get<json>(outcome).get<whoami_response>().user_id);
    } catch (const json::exception&) {
      tools_.context.log("error", "matrix: the whoami answer lacks user_id");
      retry();
    }
  });
}

void sign_in::accept_user(const std::string& user_id) {
  if (user_id != tools_.options.user_id) {
    tools_.context.log("error", "matrix: the token belongs to " + user_id + ", the config says " +
                                    tools_.options.user_id + ": fix adapters.matrix.user_id");
    tools_.status.health = "wrong_user";
    return;
  }
  failures_ = 0;
  if (tools_.options.how == matrix_options::mode::appservice) return load_direct_rooms("");
  upload_filter();
}

void sign_in::retry(std::optional<std::chrono::seconds> hint) {
  const milliseconds wait = hint ? milliseconds{*hint} : tools_.backoff.after(++failures_);
  after(timer_, tools_.context, tools_.status, wait, [this] { start(); });
}

void sign_in::upload_filter() {
  tools_.api.call("POST", "/user/" + percent_encode(tools_.options.user_id) + "/filter", sync_filter(),
                  [this](call_outcome outcome) {
                    const json* answer = std::get_if<json>(&outcome);
                    if (answer == nullptr || !answer->contains("filter_id") || !(*answer)["filter_id"].is_string()) {
                      if (auto* f = std::get_if<request_failure>(&outcome)) {
                        tools_.context.log("error", "matrix: filter upload failed: " + f->describe());
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
      tools_.context.log("error", "matrix: cannot read m.direct: " + failure->describe());
      return retry(failure->retry_after);
    }
    on_signed_in_(filter_id);
  });
}

}  // namespace tandem::matrix
