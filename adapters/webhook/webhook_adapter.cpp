#include "adapters/webhook/webhook_adapter.h"

#include "adapters/adapter_context.h"
#include "adapters/webhook/webhook_delivery.h"
#include "adapters/webhook/webhook_links.h"
#include "adapters/webhook/webhook_replies.h"
#include "adapters/webhook/webhook_requests.h"

#include <boost/asio/io_context.hpp>

#include <algorithm>

namespace tandem {

namespace asio = boost::asio;
using namespace webhook;

std::string_view to_string(webhook_channel_kind kind) {
  switch (kind) {
    case webhook_channel_kind::incoming: return "incoming";
    case webhook_channel_kind::mattermost: return "mattermost";
    case webhook_channel_kind::rocketchat: return "rocketchat";
    case webhook_channel_kind::signed_json: return "signed";
  }
  return "incoming";
}

const webhook_channel_settings* find_channel(const webhook_adapter_options& options, std::string_view name) {
  const auto it = std::ranges::find_if(options.channels, [&](const auto& c) { return c.name == name; });
  return it == options.channels.end() ? nullptr : &*it;
}

/// The adapter's parts, wired, shared with their pending operations (adapter_context::hold). Each
/// part is one job (see its header); this only connects them. Used on the strand only.
struct webhook_adapter::state : std::enable_shared_from_this<webhook_adapter::state> {
  state(asio::io_context& io, webhook_adapter_options options_, inbound_sink sink_, adapter_state& durable)
      : options(std::move(options_)),
        context(io, options.clock, options.log),
        sink(std::move(sink_)),
        replies(context, sink, options.command_reply_wait),
        requests(context, options, sink, replies),
        links(context, options, durable, replies),
        delivery(context, options, durable, replies, links) {
    while (options.public_url.ends_with('/')) options.public_url.pop_back();
  }

  /// Warns about each incoming-only channel whose messages can carry no links: without a
  /// public_url, or shared (not `personal`).
  void start() const {
    for (const webhook_channel_settings& c : options.channels) {
      if (c.kind != webhook_channel_kind::incoming) continue;
      if (options.public_url.empty()) {
        context.log("warn", "webhook: no public_url: answers in channel " + c.name +
                                " are shown as commands to type, which nobody there can send back");
      } else if (!c.personal) {
        context.log("info", "webhook: channel " + c.name +
                                " is shared (not personal): its messages show answers as commands, not one-click "
                                "links that anyone there could follow");
      }
    }
  }

  void stop() {
    context.stop();
    replies.answer_all();
    delivery.cancel_all();
  }

  webhook_adapter_options options;
  adapter_context context;
  inbound_sink sink;
  waiting_replies replies;
  request_endpoint requests;
  action_links links;
  channel_delivery delivery;
};

webhook_adapter::webhook_adapter(asio::io_context& io, webhook_adapter_options options, inbound_sink sink,
                                 adapter_state& durable)
    : state_(std::make_shared<state>(io, std::move(options), std::move(sink), durable)) {
  state_->context.set_owner(state_->weak_from_this());
}

webhook_adapter::~webhook_adapter() = default;

void webhook_adapter::add_routes(http_server& server) {
  const auto route = [&server, self = state_](const std::string& method, const std::string& path, auto handler) {
    server.route(method, path, [self, handler](http_request request, http_respond respond) {
      self->context.post([self, handler, request = std::move(request), respond = std::move(respond)] {
        handler(*self, request, respond);
      });
    });
  };
  const auto on_request = [](state& s, const http_request& r, const http_respond& a) { s.requests.on_request(r, a); };
  route("POST", "/webhook/*", on_request);
  route("GET", "/webhook/*", on_request);  // Mattermost slash commands may use GET
  route("GET", "/act/*", [](state& s, const http_request& r, const http_respond& a) { s.links.on_page(r, a); });
  route("POST", "/act/*", [](state& s, const http_request& r, const http_respond& a) { s.links.on_confirm(r, a); });
}

void webhook_adapter::start() {
  state_->context.post([self = state_] { self->start(); });
}

void webhook_adapter::stop() {
  state_->context.post([self = state_] { self->stop(); });
}

void webhook_adapter::deliver(const destination& to, const rendered_message& message,
                              const std::string& idempotency_key, std::function<void(delivery_result)> done) {
  state_->context.post([self = state_, to, message, idempotency_key, done = std::move(done)]() mutable {
    self->delivery.deliver(to, message, idempotency_key, std::move(done));
  });
}

}  // namespace tandem
