#pragma once
// The web dashboard as an adapter beside the chat adapters: sign-in by personal link, sessions
// in an HttpOnly cookie, pages computed from the world on the core strand (core/dashboard_pages.h),
// and forms that run the same commands as chat, through the same inbound path, permission checks
// and audit (marked "dashboard"). Replies to those commands come back through `deliver` and are
// shown once on the next page.

#include "adapters/platform_adapter.h"
#include "adapters/web/dashboard_html.h"
#include "core/store.h"

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace tandem {

/// What the dashboard needs from the runtime. Every function but `on_core` is called on the core
/// strand only.
struct web_context {
  std::function<void(std::function<void()>)> on_core;  ///< runs a function on the core strand, later
  std::function<const world&()> current;               ///< the world
  /// Stores state decided outside an inbound event (sessions); throws store_error when not kept.
  std::function<void(const std::vector<action>&)> commit;
  /// Records and handles a command durably and delivers its replies; false when it was not stored.
  std::function<bool(const inbound&)> submit;
  std::function<std::vector<record_task_update>(std::int64_t)> task_history;  ///< may throw store_error
  audit_reader audit;  ///< the store's audit pages; may throw store_error
  std::function<time_point()> clock;
  bool secure_cookies = false;  ///< the public URL is https: cookies are `Secure`
};

/// The security headers every dashboard response carries.
std::vector<std::pair<std::string, std::string>> dashboard_security_headers();

class web_adapter final : public platform_adapter {
 public:
  web_adapter(web_context context, web_labels labels);

  std::string platform() const override { return std::string{dashboard_platform}; }
  /// Keeps a reply to a dashboard command for the next page of the session it came from.
  void deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
               std::function<void(delivery_result)> done) override;
  void add_routes(http_server& server) override;

  /// Answers one dashboard request; called on the core strand. Public for the routes and tests.
  http_response respond(const http_request& request);

 private:
  // `language`: the request's Accept-Language, for pages shown before the viewer is known.
  http_response sign_in(const std::string& token, const std::string& language);
  http_response sign_out(const http_request& request, const std::string& language);
  http_response page(const http_request& request, const std::string& language, const std::string& collaboration,
                     const std::string& name);
  http_response act(const http_request& request, const std::string& language, const std::string& collaboration,
                    const std::string& name);

  web_context context_;
  web_labels labels_;
  std::mutex results_mutex_;
  std::map<std::string, std::vector<std::string>> results_;  ///< conversation (session) -> replies not shown yet
};

}  // namespace tandem
