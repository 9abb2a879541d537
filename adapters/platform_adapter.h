#pragma once
// A chat platform's adapter as the runtime sees it: it sends (outbound_adapter), receives through
// HTTP routes or background connections, and hands what it receives to an inbound_sink.

#include "adapters/http/http_server.h"
#include "adapters/outbound_adapter.h"
#include "core/inbound.h"

#include <functional>
#include <string>

namespace tandem {

/// Where adapters hand inbound events. The runtime records the event durably, then calls
/// `stored(true)` (also for an event recorded before: a platform retry), or `stored(false)` when
/// it could not be stored. Only after `stored(true)` may the adapter acknowledge the platform.
/// Callable from any thread; `stored` runs on the core strand and must not block.
using inbound_sink = std::function<void(inbound event, std::function<void(bool stored)> stored)>;

/// One platform (Slack, Matrix, webhooks). Created by the runtime from the config; used from the
/// io_context's threads.
class platform_adapter : public outbound_adapter {
 public:
  /// Adds this platform's HTTP routes. Called once, before the server starts.
  virtual void add_routes(http_server& server) { (void)server; }
  /// Starts background work (long polls, sockets). Called once, after the server started.
  virtual void start() {}
  /// Stops background work at shutdown: no new work starts; what is in flight may finish.
  virtual void stop() {}
  /// A short state for /healthz: "ok", or what is wrong ("invalid_auth", "reconnecting").
  virtual std::string health() const { return "ok"; }
};

}  // namespace tandem
