#include "adapters/matrix/matrix_api.h"

#include "adapters/http/http_types.h"
#include "adapters/matrix/matrix_translate.h"
#include "adapters/matrix/matrix_wire.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>

namespace tandem::matrix {
namespace {

namespace asio = boost::asio;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view client_api = "/_matrix/client/v3";

http_client_options client_options(const matrix_options& o) {
  if (o.homeserver.empty()) throw std::invalid_argument("matrix: no homeserver URL");
  if (server_name_of(o.user_id).empty()) {
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

}  // namespace

std::string request_failure::describe() const {
  if (!status) return message;
  std::string text = "HTTP " + std::to_string(*status);
  if (!errcode.empty()) text += " " + errcode;
  if (!message.empty()) text += ": " + message;
  return text;
}

request_failure failure_of(const client_response& response, time_point now) {
  request_failure f;
  f.status = response.status;
  if (auto body = read_error_body(response.body)) {
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
    if (auto wait = parse_retry_after(*header, now)) f.retry_after = *wait;  // the header wins
  }
  return f;
}

delivery_result delivery_outcome(const request_failure& f, std::string_view doing, seconds rate_limit_default) {
  const std::string why = std::string{doing} + ": " + f.describe();
  if (!f.status) return delivery_result::retry(why);
  if (*f.status == 429) return delivery_result::retry(why, f.retry_after.value_or(rate_limit_default));
  if (*f.status >= 500) return delivery_result::retry(why, f.retry_after);
  if (*f.status == 401) return delivery_result::retry(why);
  return delivery_result::failed(why);
}

api_client::api_client(adapter_context& context, const matrix_options& options, const connection_status& status)
    : context_(context), options_(options), status_(status), client_(context.io(), client_options(options)) {}

void api_client::call(std::string method, std::string path, std::optional<json> body,
                      std::function<void(call_outcome)> done, std::optional<milliseconds> timeout) {
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

void api_client::call_text(std::string method, std::string path, std::optional<json> body,
                           std::function<void(text_outcome)> done, std::optional<milliseconds> timeout) {
  if (status_.stopping) {
    asio::post(context_.io(), context_.guard([done = std::move(done)] {
      done(request_failure{std::nullopt, "cancelled", "Tandem is stopping", {}, false});
    }));
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
  client_.send(std::move(request), context_.guard([done = std::move(done)](client_result result) {
    if (auto* error = std::get_if<client_error>(&result)) {
      return done(request_failure{std::nullopt, std::string{to_string(error->what)}, error->message, {}, false});
    }
    auto& response = std::get<client_response>(result);
    if (response.status < 200 || response.status >= 300) {
      return done(failure_of(response, std::chrono::floor<seconds>(std::chrono::system_clock::now())));
    }
    done(answer_text{response.status, std::move(response.body)});
  }));
}

asio::awaitable<call_outcome> api_client::co_call(std::string method, std::string path, std::optional<json> body) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(call_outcome)>(
      [this](auto handler, std::string m, std::string p, std::optional<json> b) {
        // std::function needs a copyable target; the coroutine's handler is move-only.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        call(std::move(m), std::move(p), std::move(b),
             [shared](call_outcome outcome) { (*shared)(std::move(outcome)); });
      },
      asio::use_awaitable, std::move(method), std::move(path), std::move(body));
}

retry_backoff::retry_backoff(const matrix_options& options)
    : min_(options.retry_min), max_(options.retry_max), random_(std::random_device{}()) {}

milliseconds retry_backoff::after(int attempts) {
  milliseconds wait = min_;
  for (int i = 1; i < attempts && wait < max_; ++i) wait *= 2;
  wait = std::min(wait, max_);
  std::uniform_int_distribution<milliseconds::rep> jitter(wait.count() / 2, wait.count());
  return milliseconds{jitter(random_)};
}

void after(asio::steady_timer& timer, const adapter_context& context, const connection_status& status,
           milliseconds wait, std::function<void()> then) {
  if (status.stopping) return;
  timer.expires_after(wait);
  timer.async_wait(context.guard([&status, then = std::move(then)](const boost::system::error_code& ec) {
    if (!ec && !status.stopping) then();
  }));
}

}  // namespace tandem::matrix
