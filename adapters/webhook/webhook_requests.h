#pragma once
// `POST /webhook/{name}`: a request from Mattermost, Rocket.Chat or a signed script,
// authenticated (its token, compared in constant time, or its signature within five minutes),
// parsed, and handed to the sink as a command (answered with its first reply) or a plain
// message (acknowledged once stored).

#include "adapters/adapter_context.h"
#include "adapters/http/http_types.h"
#include "adapters/platform_adapter.h"
#include "adapters/webhook/webhook_adapter.h"
#include "adapters/webhook/webhook_replies.h"

namespace tandem::webhook {

/// The channels' request endpoint. Used on the adapter's strand only.
class request_endpoint {
 public:
  /// Everything given must outlive it.
  request_endpoint(const adapter_context& context, const webhook_adapter_options& options, const inbound_sink& sink,
                   waiting_replies& replies);

  /// Handles `POST` (and, for Mattermost slash commands, `GET`) `/webhook/{name}`.
  void on_request(const http_request& request, const http_respond& respond);

 private:
  const adapter_context& context_;
  const webhook_adapter_options& options_;
  const inbound_sink& sink_;
  waiting_replies& replies_;
};

}  // namespace tandem::webhook
