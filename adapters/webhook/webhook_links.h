#pragma once
// One-click links for channels that cannot answer in chat: `/act/{token}` links signed with the
// link key (configured, or made once and kept in the adapter state), each working once, and
// only for a channel that its one person alone reads (`personal`). GET
// shows what the link will do (previews and mail scanners fetch links); POST confirms it and
// hands the command to the sink, answered with Tandem's reply on a page.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/http/http_types.h"
#include "adapters/webhook/webhook_adapter.h"
#include "adapters/webhook/webhook_render.h"
#include "adapters/webhook/webhook_replies.h"
#include "adapters/webhook/webhook_signing.h"

#include <set>
#include <string>
#include <variant>
#include <vector>

namespace tandem::webhook {

/// The one-click links. Used on the adapter's strand only.
class action_links {
 public:
  /// Everything given must outlive it; the link key is kept in `options` once made.
  action_links(const adapter_context& context, webhook_adapter_options& options, adapter_state& durable,
               waiting_replies& replies);

  /// The links of `message`'s answers for `to` in `channel` (a `personal` incoming-only channel,
  /// with a public URL and a person to answer as); none otherwise, above all in a shared channel,
  /// where anyone could act as `to` with them. The same for every delivery of the outbox row `key`.
  std::vector<answer_link> links_for(const webhook_channel_settings& channel, const destination& to,
                                     const rendered_message& message, const std::string& key);

  /// `GET /act/{token}`: the link's page with a button that confirms it. A link whose channel is
  /// gone or no longer `personal` is refused, as on POST.
  void on_page(const http_request& request, const http_respond& respond);
  /// `POST /act/{token}`: sends the link's command (with the reason typed, when it needs one).
  void on_confirm(const http_request& request, const http_respond& respond);

 private:
  /// The key that signs links: the configured one, else the one kept in the adapter state.
  const std::string& key();
  /// The link a request names, or the page that refuses it.
  std::variant<action_link, http_response> link_of(const http_request& request);

  const adapter_context& context_;
  webhook_adapter_options& options_;
  adapter_state& durable_;
  waiting_replies& replies_;
  std::set<std::string> in_flight_;  ///< nonces of links being recorded
};

}  // namespace tandem::webhook
