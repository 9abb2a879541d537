#pragma once
// Sending Tandem's messages to Slack: into a waiting slash command's answer (written once the
// outbox has marked the reply sent, durably), through a response_url (falling back to
// chat.postEphemeral once it is spent), or with chat.postMessage
// to a channel or a person's DM (opened with conversations.open and remembered); paced to one
// message per channel per interval; refused tokens, rate limits and closed DMs remembered.

#include "adapters/adapter_context.h"
#include "adapters/http/http_types.h"
#include "adapters/outbound_adapter.h"
#include "adapters/slack/slack_web_api.h"
#include "adapters/slack/slack_workspaces.h"

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>

namespace tandem::slack {

/// The sending side of the Slack adapter. Used on the adapter's strand only.
class message_delivery {
 public:
  /// The slash commands whose HTTP answer waits for their first reply (inbound_endpoints).
  struct waiting_commands {
    /// True when a command waits under `handle`.
    std::function<bool(const std::string& handle)> waits;
    /// Answers the command waiting under `handle` with `response`; false when none waits.
    std::function<bool(const std::string& handle, http_response response)> answer;
  };
  /// Someone of `team` is written to (the time zone lookup notices them).
  using noticed = std::function<void(const std::string& team, const std::string& user)>;

  /// Everything given must outlive it.
  message_delivery(adapter_context& context, workspace_set& workspaces, web_api& api,
                   std::chrono::milliseconds channel_interval, waiting_commands commands, noticed on_noticed);

  /// See slack_adapter::deliver. A reply to a slash command that waits is `ready`: it is written
  /// into the command's answer when the outbox calls its write, or through the response_url when
  /// the command's wait ran out meanwhile.
  void deliver(const destination& to, const rendered_message& message, const std::string& key,
               std::function<void(delivery_result)> done);

  /// Reports a failed Web API call: stops the workspace on an auth failure, slows the channel on
  /// a rate limit, forgets a DM that is gone; what the outbox does next.
  delivery_result failure(workspace& w, const std::string& channel, const api_error& error);

 private:
  /// A reply to a slash command: into its answer while it waits, else through its response_url.
  void reply_to_command(workspace& w, const destination& to, nlohmann::json body,
                        std::function<void(delivery_result)> done);
  void reply_by_response_url(workspace& w, const destination& to, const std::string& url, nlohmann::json body,
                             std::function<void(delivery_result)> done);
  void post_message(workspace& w, const std::string& channel, nlohmann::json body,
                    std::function<void(delivery_result)> done);
  /// Runs `send` when the channel's next slot comes: at most one message per channel_interval.
  void paced(const workspace& w, const std::string& channel, std::function<void()> send);
  /// The DM channel with `user`, opened with conversations.open unless already known.
  void with_dm(workspace& w, const std::string& user, std::function<void(std::variant<std::string, api_error>)> then);

  adapter_context& context_;
  workspace_set& workspaces_;
  web_api& api_;
  std::chrono::milliseconds channel_interval_;
  waiting_commands commands_;
  noticed on_noticed_;
  std::map<std::pair<std::string, std::string>, std::string> dm_channels_;  ///< (team, user) -> D…
  std::map<std::string, std::chrono::steady_clock::time_point> next_slot_;  ///< "team:channel" -> free from
};

}  // namespace tandem::slack
