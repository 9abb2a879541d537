#pragma once
// The `adapters.webhook` section: its options, reading them from the config's YAML, and reaching
// the people of an organization bound to a channel.

#include "app/secret.h"
#include "core/model.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

namespace tandem {

/// One channel in `adapters.webhook.channels`: where Tandem posts, and how people answer.
struct webhook_channel_config {
  std::string name;                      ///< `/webhook/{name}`, and the `workspace` of identities reached here
  std::string dialect = "slack";         ///< slack, mattermost, mattermost_form, discord or teams
  std::string kind = "incoming";         ///< incoming (links only), mattermost, rocketchat or signed
  std::optional<secret> url;             ///< the incoming-webhook URL (required for incoming)
  std::vector<secret> tokens;            ///< mattermost, rocketchat: one per integration (`token`)
  std::optional<secret> signing_secret;  ///< signed: the HMAC-SHA256 key (config key `secret`)
  std::string collaboration;             ///< with `organization`: the collaboration it belongs to
  std::string organization;              ///< its people without identities of their own are reached here; empty: none
  bool personal = false;                 ///< incoming: read by the one person reached here, so links may act for them
};

/// `adapters.webhook`: incoming and outgoing webhooks of Mattermost, Rocket.Chat, Discord, Teams...
struct webhook_config {
  std::vector<webhook_channel_config> channels;              ///< at least one, each name once
  std::optional<secret> link_secret;                         ///< signs one-click links; unset: a key kept in the store
  std::chrono::seconds link_lifetime{std::chrono::days{7}};  ///< how long a one-click link works
  std::filesystem::path ca_file;  ///< extra trusted CA certificates (PEM), resolved; empty: system store only
};

namespace config_detail {
class reader;

/// Reads the `adapters.webhook` mapping `node` into `out`, reporting errors to `r`; secrets and the
/// CA file are resolved against `base_dir`. Returns where each channel kept in `out` was written.
/// `public_url_alias` gets the deprecated `adapters.webhook.public_url` when it is written (and
/// valid): one-click links use `http.public_url`, which the caller reconciles it with.
/// Used by the config reader only.
std::vector<std::string> read_webhook(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                                      std::optional<webhook_config>& out, std::optional<std::string>& public_url_alias);

/// Webhook channels bound to an organization: its people in `seed` whose only identity is the
/// console default (none written) are reached in the channel, as user = their person id. A
/// `personal` channel that then reaches more than one person (bound or by identities written) is
/// an error at its `personal`. `channel_paths` is what `read_webhook` returned.
void bind_webhook_organizations(reader& r, const std::optional<webhook_config>& webhook, world& seed,
                                const std::vector<std::string>& channel_paths);
}  // namespace config_detail

}  // namespace tandem
