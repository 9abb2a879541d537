#include "adapters/slack/slack_web_api.h"

namespace tandem::slack {

using json = nlohmann::json;

namespace {

http_client_options client_options(const slack_adapter_options& options) {
  http_client_options o;
  o.extra_ca_file = options.extra_ca_file;
  o.timeout = options.request_timeout;
  return o;
}

}  // namespace

web_api::web_api(const adapter_context& context, const slack_adapter_options& options)
    : context_(context), base_url_(options.api_base_url), client_(context.io(), client_options(options)) {
  if (!base_url_.ends_with('/')) base_url_ += '/';
}

void web_api::call(const workspace& w, const std::string& method, const json& body,
                   std::function<void(api_result)> done) {
  send(method_request(w, method, "application/json; charset=utf-8",
                      body.dump(-1, ' ', false, json::error_handler_t::replace)),
       false, std::move(done));
}

void web_api::call_form(const workspace& w, const std::string& method, std::string form,
                        std::function<void(api_result)> done) {
  send(method_request(w, method, "application/x-www-form-urlencoded", std::move(form)), false, std::move(done));
}

client_request web_api::method_request(const workspace& w, const std::string& method, std::string content_type,
                                       std::string body) const {
  client_request request;
  request.method = "POST";
  request.url = base_url_ + method;
  request.headers = {{"Authorization", "Bearer " + w.settings.bot_token}, {"Content-Type", std::move(content_type)}};
  request.body = std::move(body);
  return request;
}

void web_api::post_response_url(const std::string& url, const json& body, std::function<void(api_result)> done) {
  client_request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  request.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  send(std::move(request), true, std::move(done));
}

void web_api::send(client_request request, bool response_url, std::function<void(api_result)> done) {
  client_.send(std::move(request), [this, hold = context_.hold(), response_url,
                                    done = std::move(done)](client_result result) mutable {
    context_.post([this, hold = std::move(hold), response_url, result = std::move(result), done = std::move(done)] {
      api_result read = read_result(result, response_url);
      if (const auto* error = std::get_if<api_error>(&read); error != nullptr && response_url) {
        context_.log("warn", "slack: response_url answered " + error->describe());
      }
      done(std::move(read));
    });
  });
}

api_result web_api::read_result(const client_result& result, bool response_url) const {
  if (const auto* error = std::get_if<client_error>(&result)) return api_error{error->message, 0, {}, std::nullopt};
  const auto& response = std::get<client_response>(result);
  std::optional<std::chrono::seconds> retry_after;
  if (const auto header = response.header("retry-after")) retry_after = parse_retry_after(*header, context_.now());
  return response_url ? read_response_url_answer(response.status, retry_after, response.body)
                      : read_api_response(response.status, retry_after, response.body);
}

}  // namespace tandem::slack
