#pragma once
// The HTTP endpoints operators and their monitoring read: `GET /healthz` (whether the store
// answers, each adapter's health, and among several Tandems which one leads) and `GET /metrics`
// (Prometheus text, behind a bearer token when the config gives one).

#include "adapters/metrics/metrics_registry.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace tandem {

class http_server;

/// What the routes need from the runtime. Every function but `on_core` is called on the core
/// strand only.
struct status_routes_context {
  std::function<void(std::function<void()>)> on_core;  ///< runs a function on the core strand, later
  /// `/healthz`'s fields but `status` and `store`: the version, each adapter's health, and among
  /// several Tandems on one store this one's `instance`, its `role` and the `leader`.
  std::function<nlohmann::json()> health;
  /// A read of the store; throws store_error when the database fails.
  std::function<void()> read_store;
  const metrics_registry* metrics = nullptr;  ///< must outlive the server
  std::optional<std::string> metrics_token;   ///< the bearer token `/metrics` needs; none: open
};

/// Routes `GET /healthz` (200, or 503 with `"status": "failing"` and the store's error when the
/// store read fails) and `GET /metrics` (401 with `WWW-Authenticate: Bearer` without the token).
/// Call before the server starts.
void add_status_routes(http_server& server, status_routes_context context);

}  // namespace tandem
