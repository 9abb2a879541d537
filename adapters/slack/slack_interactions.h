#pragma once
// Slack interactivity: presses of Tandem's answer buttons (stored as commands, then shown on
// their message), and the reason modal for answers that need one (opened with views.open, its
// submission stored as the command with the reason, the answer then shown on the message kept
// meanwhile).

#include "adapters/adapter_context.h"
#include "adapters/http/http_types.h"
#include "adapters/platform_adapter.h"
#include "adapters/slack/slack_inbound.h"
#include "adapters/slack/slack_web_api.h"
#include "adapters/slack/slack_workspaces.h"

#include <chrono>
#include <deque>
#include <map>
#include <set>
#include <string>

namespace tandem::slack {

/// Handles interactivity payloads, from HTTP or Socket Mode. Used on the adapter's strand only.
class interactions {
 public:
  /// Everything given must outlive it.
  interactions(const adapter_context& context, const inbound_sink& sink, workspace_set& workspaces, web_api& api);

  /// Answers `respond` once the press or submission is stored (an empty 200), or at once for
  /// what Tandem does not use.
  void handle(const interaction& what, const std::set<std::string>& verified, const http_respond& respond);

 private:
  /// A message with buttons, kept while its reason modal is open, to show the answer on it.
  struct kept_message {
    nlohmann::json message;
    std::string response_url;
    std::chrono::steady_clock::time_point kept_at;
  };

  void handle_buttons(const block_actions& actions, const std::set<std::string>& verified, const http_respond& respond);
  void ask_reason(const workspace& w, const block_actions& actions, const button_press& press);
  void handle_submission(const view_submission& submission, const std::set<std::string>& verified,
                         const http_respond& respond);
  void show_answer(const reason_request& request, const std::string& user);
  void forget_old_messages();

  const adapter_context& context_;
  const inbound_sink& sink_;
  workspace_set& workspaces_;
  web_api& api_;
  std::map<std::string, kept_message> kept_messages_;  ///< by the button's trigger_id
  std::deque<std::string> kept_order_;
};

}  // namespace tandem::slack
