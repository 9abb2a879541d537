#pragma once
// The HTTP side of the shared calendar and the outcome reports: `GET /calendar/{collaboration}.ics`
// (an RFC 5545 feed) and `GET /export/{collaboration}.csv|.json` (the outcome report), each
// guarded by its collaboration's secret token (made by core/collaboration_secrets.h).

#include "adapters/http/http_types.h"
#include "core/action.h"
#include "core/model.h"

#include <functional>
#include <string>
#include <vector>

namespace tandem {

class http_server;

/// The answer to a feed or export request, decided from the world at `now`: 200 with the
/// calendar, CSV or JSON; 404 for an unknown path or collaboration; 403 for a missing or wrong
/// token (from `?token=` or `Authorization: Bearer`); 400 for a bad `since` (`2026-09` or
/// `2026-09-01`; by default the export starts at the first month with data). Pure.
http_response feed_response(const world& w, const http_request& request, time_point now);

/// What the routes need from the runtime.
struct feed_routes_context {
  std::function<void(std::function<void()>)> on_core;  ///< runs a function on the core strand, later
  std::function<const world&()> current;               ///< the world; called on the core strand only
  std::function<time_point()> clock;                   ///< the current time
};

/// Routes `GET /calendar/*` and `GET /export/*` of `server` to `feed_response`, computed on the
/// core strand. Call before the server starts.
void add_feed_routes(http_server& server, feed_routes_context context);

}  // namespace tandem
