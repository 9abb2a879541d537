#pragma once
// Slack's Web API as the adapter calls it: a method with the workspace's bot token (JSON or
// form body), a POST to a response_url, and each answer read into an api_result on the
// adapter's strand.

#include "adapters/adapter_context.h"
#include "adapters/http/http_client.h"
#include "adapters/slack/slack_outbound.h"
#include "adapters/slack/slack_workspaces.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

namespace tandem::slack {

/// The Web API client. Used on the adapter's strand; every `done` runs there.
class web_api {
 public:
  /// `context` must outlive it. Throws std::runtime_error when `options.extra_ca_file` cannot be
  /// loaded.
  web_api(const adapter_context& context, const slack_adapter_options& options);

  /// Calls `method` of `w` with a JSON body.
  void call(const workspace& w, const std::string& method, const nlohmann::json& body,
            std::function<void(api_result)> done);
  /// Calls `method` of `w` with a form body (users.info does not read JSON bodies).
  void call_form(const workspace& w, const std::string& method, std::string form, std::function<void(api_result)> done);
  /// POSTs `body` to a response_url (no token); a failure is logged.
  void post_response_url(const std::string& url, const nlohmann::json& body, std::function<void(api_result)> done);

  /// The HTTP client, for Socket Mode's apps.connections.open.
  http_client& client() { return client_; }
  void cancel_all() { client_.cancel_all(); }

 private:
  client_request method_request(const workspace& w, const std::string& method, std::string content_type,
                                std::string body) const;
  void send(client_request request, bool response_url, std::function<void(api_result)> done);
  api_result read_result(const client_result& result, bool response_url) const;

  const adapter_context& context_;
  std::string base_url_;  ///< ends in '/'
  http_client client_;
};

}  // namespace tandem::slack
