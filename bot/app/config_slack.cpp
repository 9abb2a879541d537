// Reads `adapters.slack`: the API base URL, the CA file and each workspace with its tokens.
#include "app/config_slack.h"

#include "app/config_reader.h"

#include <algorithm>
#include <map>
#include <utility>

namespace tandem::config_detail {

namespace {

/// A Slack id: `first` (one of its letters) then at least two capital letters or digits.
bool valid_slack_id(std::string_view id, std::string_view first) {
  return id.size() >= 3 && id.size() <= 32 && first.find(id.front()) != std::string_view::npos &&
         std::ranges::all_of(id.substr(1), [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); });
}

void read_slack_workspace(reader& r, const YAML::Node& node, const std::string& path,
                          const std::filesystem::path& base_dir, std::map<std::string, std::string>& seen,
                          slack_config& slack) {
  if (!r.expect_map(node, path, {"team_id", "bot_token", "signing_secret", "bot_user_id", "app_token"})) return;
  // `prefix`: what the token must start with (the prefix is no secret); `hint`: what to do instead.
  const auto secret_at = [&](std::string_view key, std::string_view prefix,
                             std::string_view hint) -> std::optional<secret> {
    const YAML::Node value = node[std::string(key)];
    if (!value.IsDefined()) return std::nullopt;
    auto found = read_secret(r, value, child(path, key), base_dir);
    if (found && !prefix.empty() && !found->reveal().starts_with(prefix)) {
      r.fail(child(path, key), "the value from " + found->describe() + " does not start with " +
                                   std::string(prefix) + " (" + std::string(hint) + ")");
      return std::nullopt;
    }
    return found;
  };
  auto team_id = r.non_empty(node, "team_id", path, true);
  if (team_id && !valid_slack_id(*team_id, "TE")) {
    r.fail(child(path, "team_id"), "bad Slack team id " + in_quotes(*team_id) + " (write it as T0123ABCD)");
    team_id.reset();
  }
  if (team_id) {
    if (const auto [earlier, fresh] = seen.try_emplace(*team_id, path); !fresh) {
      r.fail(child(path, "team_id"), "workspace " + *team_id + " is listed twice (also at " + earlier->second + ")");
      team_id.reset();
    }
  }
  if (!node["bot_token"].IsDefined()) r.fail(child(path, "bot_token"), "required, e.g. bot_token: {env: SLACK_BOT_TOKEN}");
  auto bot_token = secret_at("bot_token", "xoxb-", "give the Bot User OAuth Token; an xapp- token goes in app_token");
  auto app_token = secret_at("app_token", "xapp-", "give an app-level token with the connections:write scope");
  auto signing_secret = secret_at("signing_secret", "", "");
  if (!node["signing_secret"].IsDefined() && !node["app_token"].IsDefined()) {
    r.fail(child(path, "signing_secret"),
           "required unless app_token is given (Socket Mode), e.g. signing_secret: {env: SLACK_SIGNING_SECRET}");
  }
  std::string bot_user_id;
  if (auto user = r.non_empty(node, "bot_user_id", path)) {
    if (valid_slack_id(*user, "UW")) {
      bot_user_id = *user;
    } else {
      r.fail(child(path, "bot_user_id"), "bad Slack user id " + in_quotes(*user) + " (write it as U0123ABCD)");
    }
  }
  if (team_id && bot_token) {
    slack.workspaces.push_back(
        slack_workspace_config{*team_id, std::move(*bot_token), std::move(signing_secret), bot_user_id, std::move(app_token)});
  }
}

}  // namespace

void read_slack(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                std::optional<slack_config>& out) {
  const std::string path = "adapters.slack";
  if (!r.expect_map(node, path, {"workspaces", "api_base_url", "ca_file"})) return;
  slack_config slack;
  if (auto url = r.non_empty(node, "api_base_url", path)) {
    if (auto base = parse_base_url(*url)) {
      slack.api_base_url = *base + "/";
    } else {
      r.fail(child(path, "api_base_url"), "bad URL " + in_quotes(*url) + " (write it as https://slack.com/api/)");
    }
  }
  if (auto ca = read_existing_file(r, node, "ca_file", path, base_dir)) slack.ca_file = *ca;
  if (auto workspaces = r.list(node, "workspaces", path, true)) {
    if (workspaces->size() == 0) r.fail(child(path, "workspaces"), "at least one workspace is needed");
    std::map<std::string, std::string> seen;  // team id -> where it was listed
    for (std::size_t i = 0; i < workspaces->size(); ++i) {
      read_slack_workspace(r, (*workspaces)[i], item(child(path, "workspaces"), i), base_dir, seen, slack);
    }
  }
  out = std::move(slack);
}

}  // namespace tandem::config_detail
