#include "app/status_routes.h"

#include "adapters/http/hmac.h"
#include "adapters/http/http_server.h"
#include "core/store.h"

#include <memory>
#include <utility>

namespace tandem {

void add_status_routes(http_server& server, status_routes_context context) {
  auto shared = std::make_shared<const status_routes_context>(std::move(context));
  server.route("GET", "/healthz", [shared](http_request, http_respond respond) {
    shared->on_core([shared, respond = std::move(respond)] {
      nlohmann::json body = shared->health();
      body["status"] = "ok";
      try {
        shared->read_store();
        body["store"] = "ok";
      } catch (const store_error& e) {
        body["status"] = "failing";
        body["store"] = e.what();
      }
      respond(json_response(body["status"] == "ok" ? 200 : 503, body));
    });
  });
  server.route("GET", "/metrics", [shared](http_request request, http_respond respond) {
    if (shared->metrics_token) {
      const auto auth = request.headers.find("authorization");
      const std::string expected = "Bearer " + *shared->metrics_token;
      if (auth == request.headers.end() || !equal_in_constant_time(auth->second, expected)) {
        http_response denied = text_response(401, "metrics need the bearer token from the config\n");
        denied.headers.emplace_back("WWW-Authenticate", "Bearer");
        respond(std::move(denied));
        return;
      }
    }
    http_response ok = text_response(200, shared->metrics->render());
    ok.content_type = std::string{metrics_registry::content_type};
    respond(std::move(ok));
  });
}

}  // namespace tandem
