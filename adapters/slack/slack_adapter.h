#pragma once
// The Slack platform adapter: receives the Events API, slash commands and interactivity on the
// shared HTTP server (or through Socket Mode), verifies and translates them, hands them to the
// inbound sink and acknowledges Slack only once they are stored; sends through the Web API.

#include "adapters/adapter_log.h"
#include "adapters/platform_adapter.h"
#include "adapters/time_zone_learning.h"

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

/// One Slack workspace Tandem serves. Secrets are the resolved values.
struct slack_workspace_settings {
  std::string team_id;         ///< "T…"
  std::string bot_token;       ///< "xoxb-…": Web API calls
  std::string signing_secret;  ///< checks requests to the HTTP endpoints; may be empty with Socket Mode
  std::string bot_user_id;     ///< "U…" of the bot; empty: learned from auth.test and events
  std::string app_token;       ///< "xapp-…": Socket Mode instead of the HTTP endpoints; empty: HTTP
};

/// Where a log line goes (see adapter_log). Called on the io_context's threads.
using slack_log_function = adapter_log;

/// How the Slack adapter runs.
struct slack_adapter_options {
  std::vector<slack_workspace_settings> workspaces;
  std::string api_base_url = "https://slack.com/api/";  ///< Web API methods are appended to it
  std::string extra_ca_file;  ///< PEM CA certificates trusted besides the system store (tests, proxies)
  std::chrono::milliseconds channel_interval{1000};    ///< at most one message per channel this often
  std::chrono::milliseconds command_reply_wait{2000};  ///< a slash command waits this long for its reply
  std::chrono::seconds request_timeout{15};            ///< each Web API call
  /// Socket Mode and the start-up auth.test: the first try again after a failure waits this
  /// long, doubling up to `reconnect_max`.
  std::chrono::milliseconds reconnect_initial{1000};
  std::chrono::milliseconds reconnect_max{60000};
  std::function<time_point()> clock;  ///< the time signatures are checked at; empty: the system clock
  slack_log_function log;             ///< empty: no logging
  /// Where people's time zones learned with users.info go (scope users:read): for the people the
  /// core wants a zone for, looked up at start and when first noticed; nullptr: never looked up.
  /// Must outlive the adapter.
  time_zone_learning* time_zones = nullptr;
  std::chrono::milliseconds lookup_interval{1000};  ///< between two users.info calls (Tier 4: 100+ a minute)
  std::chrono::milliseconds lookup_retry{30000};    ///< after a transient users.info failure (3 attempts a run)
};

/// The Slack adapter. Created and used on one io_context; every public method may be called from
/// any of its threads (work is serialized on the adapter's strand). Replies to a slash command
/// go into the command's HTTP answer when they are ready, and marked sent durably, within
/// `command_reply_wait` (the delivery is `ready`, written when the outbox says), else through its
/// response_url; replies to a button in a channel through the button's response_url
/// (both ephemeral, for the person who typed or pressed). A message to a person without a
/// conversation opens (and caches, in memory) their DM. invalid_auth and its kin stop all
/// further sends to that workspace and show in health(). With `time_zones`, people whose zone
/// nobody gave are looked up with users.info, paced, never on the inbound path (see
/// slack_time_zones.h).
class slack_adapter final : public platform_adapter {
 public:
  /// An adapter on `io` (which must outlive it) handing events to `sink`. Throws
  /// std::runtime_error when `options.extra_ca_file` cannot be loaded.
  slack_adapter(boost::asio::io_context& io, slack_adapter_options options, inbound_sink sink);
  ~slack_adapter() override;
  slack_adapter(const slack_adapter&) = delete;
  slack_adapter& operator=(const slack_adapter&) = delete;

  std::string platform() const override { return "slack"; }

  /// `POST /slack/events`, `/slack/commands` and `/slack/interactivity`. A request is checked
  /// against every configured signing secret before anything parses it.
  void add_routes(http_server& server) override;

  /// Learns each workspace's bot user with auth.test when the config does not give it (which
  /// also checks the token; tried again with backoff until Slack answers), and starts Socket
  /// Mode for workspaces with an app token.
  void start() override;

  /// Stops Socket Mode and pending work; slash commands waiting for a reply get a bare ack.
  void stop() override;

  /// "ok"; "starting (T1)" until auth.test has answered for a workspace, "unreachable (T1)"
  /// while it fails and is tried again; "invalid_auth (T1)" once a workspace's token was refused;
  /// "socket mode disconnected (T1)" while a Socket Mode connection is not up (before Slack's
  /// hello, after a drop). Several are joined by ", ".
  std::string health() const override;

  /// Sends `message` to `to` (see the class comment). Paced to one message per channel per
  /// `channel_interval`; `done` is called on the io_context.
  void deliver(const destination& to, const rendered_message& message, const std::string& idempotency_key,
               std::function<void(delivery_result)> done) override;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace tandem
