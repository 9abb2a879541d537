#include "adapters/slack/slack_workspaces.h"

#include "adapters/slack/slack_signature.h"

#include <algorithm>
#include <map>

namespace tandem::slack {

workspace_set::workspace_set(const std::vector<slack_workspace_settings>& settings, const adapter_context& context)
    : context_(context) {
  std::map<std::string, std::size_t> key_of_secret;
  for (const auto& s : settings) {
    workspaces_.push_back(workspace{s, {}, "starting"});
    if (s.signing_secret.empty()) continue;
    const auto [it, fresh] = key_of_secret.try_emplace(s.signing_secret, signing_keys_.size());
    if (fresh) signing_keys_.push_back(signing_key{hmac_sha256(s.signing_secret), {}});
    signing_keys_[it->second].teams.insert(s.team_id);
  }
  refresh_token_health();
}

workspace* workspace_set::find(std::string_view team_id) {
  const auto it = std::ranges::find_if(workspaces_, [&](const workspace& w) { return w.settings.team_id == team_id; });
  return it == workspaces_.end() ? nullptr : &*it;
}

std::variant<std::set<std::string>, std::string> workspace_set::verify(const http_request& request) {
  const auto timestamp = request.header("x-slack-request-timestamp");
  const auto signature = request.header("x-slack-signature");
  if (const auto problem = check_signature_headers(timestamp, signature, context_.now());
      problem != signature_problem::none) {
    return std::string(to_string(problem));
  }
  std::set<std::string> teams;
  for (signing_key& key : signing_keys_) {  // one HMAC per distinct secret
    if (signature_matches(key.mac, *timestamp, request.body, *signature))
      teams.insert(key.teams.begin(), key.teams.end());
  }
  if (teams.empty()) return std::string("signature mismatch");
  return teams;
}

workspace* workspace_set::verified(const std::string& team_id, const std::set<std::string>& verified) {
  workspace* w = find(team_id);
  if (w == nullptr || !verified.contains(team_id)) {
    context_.log("warn",
                 "slack: a request from workspace " + team_id +
                     " is ignored: that workspace is not configured (or signed with another workspace's secret)");
    return nullptr;
  }
  return w;
}

void workspace_set::refused_token(workspace& w, const std::string& code) {
  if (!w.auth_failure.empty()) return;
  w.auth_failure = code;
  w.token_check.clear();  // answered, with a refusal
  refresh_token_health();
  context_.log("error", "slack: workspace " + w.settings.team_id + " refused the bot token (" + code +
                            "); no more messages are sent to it until Tandem restarts with a working token");
}

void workspace_set::set_token_check(workspace& w, std::string state) {
  w.token_check = std::move(state);
  refresh_token_health();
}

void workspace_set::refresh_token_health() {
  std::string text;
  for (const workspace& each : workspaces_) {
    const std::string& problem = each.auth_failure.empty() ? each.token_check : each.auth_failure;
    if (!problem.empty()) text += (text.empty() ? "" : ", ") + problem + " (" + each.settings.team_id + ")";
  }
  const std::lock_guard lock(health_mutex_);
  token_health_ = std::move(text);
}

std::string workspace_set::token_health() const {
  const std::lock_guard lock(health_mutex_);
  return token_health_;
}

}  // namespace tandem::slack
