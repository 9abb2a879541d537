#pragma once
// The `adapters.slack` section: its options, and reading them from the config's YAML.

#include "app/secret.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace tandem {

/// One workspace in `adapters.slack.workspaces`.
struct slack_workspace_config {
  std::string team_id;                   ///< "T0123ABCD"
  secret bot_token;                      ///< "xoxb-…"
  std::optional<secret> signing_secret;  ///< required unless app_token is set
  std::string bot_user_id;               ///< "U…"; empty: learned with auth.test
  std::optional<secret> app_token;       ///< "xapp-…": receive through Socket Mode instead of HTTP
};

/// `adapters.slack`: the Slack workspaces Tandem serves.
struct slack_config {
  std::vector<slack_workspace_config> workspaces;       ///< at least one, each team_id once
  std::string api_base_url = "https://slack.com/api/";  ///< Web API methods are appended; ends in '/'
  std::filesystem::path ca_file;  ///< extra trusted CA certificates (PEM), resolved; empty: system store only
};

namespace config_detail {
class reader;

/// Reads the `adapters.slack` mapping `node` into `out`, reporting errors to `r`; secrets and the
/// CA file are resolved against `base_dir`. Used by the config reader only.
void read_slack(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                std::optional<slack_config>& out);
}  // namespace config_detail

}  // namespace tandem
