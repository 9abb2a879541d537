#pragma once
// Slack's inbound side: `POST /slack/events`, `/slack/commands` and `/slack/interactivity`
// (each verified against the signing secrets before anything parses it), and the same payloads
// in Socket Mode envelopes. Events and commands are handed to the sink and acknowledged once
// stored; a slash command's answer waits for its first reply, up to `command_reply_wait`.

#include "adapters/adapter_context.h"
#include "adapters/http/http_types.h"
#include "adapters/platform_adapter.h"
#include "adapters/slack/slack_interactions.h"
#include "adapters/slack/slack_socket_mode.h"
#include "adapters/slack/slack_workspaces.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace tandem::slack {

/// The inbound endpoints. Used on the adapter's strand only.
class inbound_endpoints {
 public:
  /// Everything given must outlive it.
  inbound_endpoints(adapter_context& context, const inbound_sink& sink, workspace_set& workspaces,
                    interactions& interactive, std::chrono::milliseconds command_reply_wait);

  void on_events(const http_request& request, const http_respond& respond);
  void on_commands(const http_request& request, const http_respond& respond);
  void on_interactivity(const http_request& request, const http_respond& respond);
  /// An envelope from workspace `team`'s Socket Mode connection, acknowledged as the HTTP path
  /// would answer.
  void on_socket_envelope(const socket_message& message, const std::string& team, const socket_mode_ack& ack);

  /// True when a slash command waits under `handle` for its answer.
  bool command_waits(const std::string& handle) const;
  /// Answers the slash command waiting under `handle` once; false when none waits.
  bool answer_command(const std::string& handle, http_response response);
  /// Gives every waiting slash command a bare acknowledgement (at stop).
  void answer_all_commands();

 private:
  /// A slash command whose HTTP answer waits for its first reply.
  struct pending_command {
    http_respond respond;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };

  void handle_envelope(const event_envelope& envelope, const std::set<std::string>& verified,
                       const http_respond& respond);
  void handle_command(const slash_command& command, const std::set<std::string>& verified, const http_respond& respond);
  http_respond acknowledging(const std::string& type, socket_mode_ack ack);

  adapter_context& context_;
  const inbound_sink& sink_;
  workspace_set& workspaces_;
  interactions& interactive_;
  std::chrono::milliseconds command_reply_wait_;
  std::map<std::string, pending_command> pending_commands_;  ///< by reply handle
};

}  // namespace tandem::slack
