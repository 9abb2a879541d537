#pragma once
// The webhook platform adapter: posts Tandem's messages to incoming-webhook URLs in each
// channel's dialect (Slack-compatible, Mattermost, Discord, Teams Workflows), receives
// `POST /webhook/{name}` from Mattermost, Rocket.Chat and signed scripts, and serves the signed
// one-click links `/act/{token}` of channels that cannot answer in chat.

#include "adapters/adapter_log.h"
#include "adapters/adapter_state.h"
#include "adapters/platform_adapter.h"
#include "adapters/webhook/webhook_render.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace tandem {

/// How people answer Tandem in a webhook channel.
enum class webhook_channel_kind {
  incoming,     ///< not at all: Tandem only posts; answers are one-click links in a `personal` channel
  mattermost,   ///< Mattermost outgoing webhook or slash command, checked by its token
  rocketchat,   ///< Rocket.Chat outgoing webhook, checked by its token
  signed_json,  ///< Tandem's generic JSON form, signed with HMAC-SHA256 by a shared secret
};

/// The kind's name as the config writes it: "incoming", "mattermost", "rocketchat", "signed".
std::string_view to_string(webhook_channel_kind kind);

/// One named webhook channel (`/webhook/{name}`; the `workspace` of its people's identities).
/// Secrets are the resolved values.
struct webhook_channel_settings {
  std::string name;
  webhook::dialect how = webhook::dialect::slack;  ///< the body Tandem posts to `url`
  std::string url;  ///< the incoming-webhook URL Tandem posts to (a secret); empty: replies only in answers
  webhook_channel_kind kind = webhook_channel_kind::incoming;
  std::vector<std::string> tokens;  ///< mattermost, rocketchat: the tokens the platform sends, one per integration
  std::string secret;               ///< signed_json: the HMAC key
  /// incoming: only the one person Tandem reaches here reads the channel, so its messages may
  /// carry one-click links that act as that person. A shared channel (the default) gets none:
  /// anyone reading it could follow them.
  bool personal = false;
};

/// Where a log line goes (see adapter_log). Called on the io_context's threads.
using webhook_log_function = adapter_log;

/// How the webhook adapter runs.
struct webhook_adapter_options {
  std::vector<webhook_channel_settings> channels;
  /// Tandem's public base URL ("https://tandem.example.org"), for one-click links; empty: the
  /// answers of incoming-only channels are shown as commands instead of links.
  std::string public_url;
  /// The key that signs one-click links; empty: a random key made once and kept in the
  /// adapter state ("webhook.link_key").
  std::string link_key;
  std::chrono::seconds link_lifetime{std::chrono::days{7}};  ///< a link expires this long after it was sent
  /// At most one post per channel this often (Slack's incoming webhooks take one a second,
  /// Discord's five per two seconds); after a 429, nothing until its Retry-After has passed.
  std::chrono::milliseconds channel_interval{1000};
  std::chrono::milliseconds command_reply_wait{2000};  ///< a request waits this long for its reply
  std::chrono::seconds request_timeout{15};            ///< each POST to a webhook URL
  std::string extra_ca_file;          ///< PEM CA certificates trusted besides the system store (tests, proxies)
  std::function<time_point()> clock;  ///< signatures and links are checked at this time; empty: system clock
  webhook_log_function log;           ///< empty: no logging
};

/// The channel named `name` in `options`, or nullptr. Pure.
const webhook_channel_settings* find_channel(const webhook_adapter_options& options, std::string_view name);

/// The webhook adapter. Created and used on one io_context; every public method may be called
/// from any of its threads (work is serialized on the adapter's strand, which must be the
/// thread the adapter state may be used from: Tandem runs one io_context thread).
///
/// Inbound: each request is authenticated (token in constant time, or signature and a 5-minute
/// window), stored through the sink, and only then answered; its first reply goes into the
/// answer when ready, and marked sent durably, within `command_reply_wait` (the delivery is
/// `ready`, written when the outbox says), later ones to a Mattermost response_url or the
/// channel's URL. Outbound: posts to one channel are paced (`channel_interval`); each post's
/// 429 (with Retry-After), 5xx and network errors are retried by the outbox, other 4xx fail with
/// the status. A Discord message over 2,000 characters goes in parts; the parts already accepted
/// are recorded in the adapter state, so a retry sends only the rest.
class webhook_adapter final : public platform_adapter {
 public:
  /// An adapter on `io` (which must outlive it, as must `durable`) handing events to `sink`.
  /// Throws std::runtime_error when `options.extra_ca_file` cannot be loaded.
  webhook_adapter(boost::asio::io_context& io, webhook_adapter_options options, inbound_sink sink,
                  adapter_state& durable);
  ~webhook_adapter() override;
  webhook_adapter(const webhook_adapter&) = delete;
  webhook_adapter& operator=(const webhook_adapter&) = delete;

  std::string platform() const override { return "webhook"; }

  /// `POST /webhook/{name}`, and `GET`/`POST /act/{token}` (the link's page and its confirmation).
  void add_routes(http_server& server) override;

  /// Warns (in the log) about each incoming-only channel when there is no public_url for links.
  void start() override;

  /// Stops pending work; requests waiting for a reply get their acknowledgement at once.
  void stop() override;

  /// Sends `message` to the channel `to.workspace` (see the class comment); `done` is called on
  /// the io_context.
  void deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
               std::function<void(delivery_result)> done) override;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace tandem
