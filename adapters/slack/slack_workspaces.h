#pragma once
// The Slack workspaces Tandem serves: each one's settings and whether its bot token still
// works, which of them signed a request (one HMAC per distinct signing secret), and what
// health() says about their tokens.

#include "adapters/adapter_context.h"
#include "adapters/http/hmac.h"
#include "adapters/http/http_types.h"
#include "adapters/slack/slack_adapter.h"

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem::slack {

/// One workspace as the adapter runs it.
struct workspace {
  slack_workspace_settings settings;
  std::string auth_failure;  ///< the error that stopped sending ("invalid_auth"); empty: fine
  /// Until auth.test has answered: "starting" (no answer yet) or "unreachable" (it failed and is
  /// tried again); empty once it answered.
  std::string token_check = "starting";
};

/// The workspaces. Used on the adapter's strand, except auth_failures() (any thread).
class workspace_set {
 public:
  /// `context` must outlive it.
  workspace_set(const std::vector<slack_workspace_settings>& settings, const adapter_context& context);

  std::vector<workspace>& all() { return workspaces_; }
  workspace* find(std::string_view team_id);

  /// The workspaces whose signing secret signed `request`, or the reason for a 401.
  std::variant<std::set<std::string>, std::string> verify(const http_request& request);
  /// The configured workspace `team_id` when `verified` allows it; otherwise logs why not.
  workspace* verified(const std::string& team_id, const std::set<std::string>& verified);

  /// Stops sending to `w`: its token was refused with `code` (logged once).
  void refused_token(workspace& w, const std::string& code);
  /// Sets what `w`'s start-up auth.test waits for (see workspace::token_check); empty: answered.
  void set_token_check(workspace& w, std::string state);
  /// The workspaces that are not fine, for health: "invalid_auth (T1), unreachable (T2)", or
  /// empty. Thread-safe.
  std::string token_health() const;

 private:
  /// One distinct signing secret, set up once, and the workspaces it signs for.
  struct signing_key {
    hmac_sha256 mac;
    std::set<std::string> teams;
  };

  /// Writes token_health_ from the workspaces.
  void refresh_token_health();

  const adapter_context& context_;
  std::vector<workspace> workspaces_;
  std::vector<signing_key> signing_keys_;
  mutable std::mutex health_mutex_;
  std::string token_health_;  ///< behind health_mutex_
};

}  // namespace tandem::slack
