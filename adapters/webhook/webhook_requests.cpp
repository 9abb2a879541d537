#include "adapters/webhook/webhook_requests.h"

#include "adapters/http/hmac.h"
#include "adapters/webhook/webhook_inbound.h"
#include "adapters/webhook/webhook_pages.h"
#include "adapters/webhook/webhook_signing.h"

namespace tandem::webhook {

namespace {

/// True when `token` is one of the channel's; every one is compared, in constant time.
bool knows_token(const webhook_channel_settings& channel, std::string_view token) {
  bool known = false;
  for (const std::string& mine : channel.tokens) known = equal_in_constant_time(token, mine) || known;
  return known;
}

}  // namespace

request_endpoint::request_endpoint(const adapter_context& context, const webhook_adapter_options& options,
                                   const inbound_sink& sink, waiting_replies& replies)
    : context_(context), options_(options), sink_(sink), replies_(replies) {}

void request_endpoint::on_request(const http_request& request, const http_respond& respond) {
  const std::string name = request.path.substr(std::string_view("/webhook/").size());
  const webhook_channel_settings* channel = find_channel(options_, name);
  if (channel == nullptr || name.empty()) return respond(refused(404, "unknown webhook \"" + name + "\""));
  if (request.method == "GET" && channel->kind != webhook_channel_kind::mattermost) {
    return respond(refused(405, "webhook \"" + name + "\" takes POST"));
  }
  parse_result parsed = malformed_request{};
  switch (channel->kind) {
    case webhook_channel_kind::incoming:
      return respond(refused(404, "webhook \"" + name + "\" only posts; it does not accept requests"));
    case webhook_channel_kind::mattermost: parsed = parse_mattermost(request); break;
    case webhook_channel_kind::rocketchat: parsed = parse_rocketchat(request); break;
    case webhook_channel_kind::signed_json: {
      // The signature covers the raw bytes: checked before anything parses them.
      if (auto problem = check_request_signature(channel->secret, request.header(timestamp_header),
                                                 request.header(signature_header), request.body, context_.now())) {
        return respond(refused(401, *problem));
      }
      parsed = parse_signed(request.body);
      break;
    }
  }
  if (const auto* error = std::get_if<malformed_request>(&parsed)) return respond(refused(400, error->reason));
  parsed_request& r = std::get<parsed_request>(parsed);
  if (channel->kind != webhook_channel_kind::signed_json && !knows_token(*channel, r.token)) {
    return respond(refused(401, r.token.empty() ? "missing token" : "bad token"));
  }
  if (r.text.empty() && r.command) return respond(refused(400, "empty command text"));
  inbound event;
  event.dedup_key = "webhook:" + channel->name + ":" + (r.event_id.empty() ? "request:" + random_hex(16) : r.event_id);
  event.sender = identity{"webhook", channel->name, r.user};
  event.conversation = r.conversation.empty() ? channel->name : r.conversation;
  event.addressed = r.command;
  event.kind = r.command ? inbound_kind::command : inbound_kind::message;
  event.text = r.text;
  event.at = context_.now();
  const answer_style style = answer_style_of(r.style);
  if (!r.command) {
    // A plain message (an outgoing webhook without trigger word) expects no reply.
    context_.store_then(sink_, std::move(event), [respond, style](bool stored) {
      respond(stored ? acknowledgement(style) : not_stored_response(refused(503, "could not store the message; try again")));
    });
    return;
  }
  replies_.wait_for_reply(std::move(event), respond, style, r.response_url, "");
}

}  // namespace tandem::webhook
