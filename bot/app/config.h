#pragma once
// The installation's YAML configuration: reading and validating it, and seeding the store from it.

#include "core/action.h"
#include "core/model.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

/// One problem in a config file. `path` says where: `collaborations[0].people[3].tz`, `http.listen`,
/// `<file>:<line>:<col>` for YAML syntax errors, or empty for the file as a whole.
struct config_error {
  std::string path;
  std::string message;
  bool operator==(const config_error&) const = default;
};

/// `path: message`, or just `message` when the path is empty.
std::string to_string(const config_error& error);

/// A resolved secret (token, password, URL with a token). It has no stream operator and no
/// conversion to string: the value comes out only through `reveal()`, at the place that uses it.
class secret {
 public:
  /// `description` says where the value came from, e.g. "env:TANDEM_METRICS_TOKEN"; never the value.
  secret(std::string value, std::string description);

  /// The secret value itself. Never log it.
  const std::string& reveal() const;
  /// Where the value came from ("env:NAME" or "file:PATH"), safe to log.
  const std::string& describe() const;

 private:
  std::string value_;
  std::string description_;
};

/// `adapters.matrix`: how Tandem reaches a Matrix homeserver.
struct matrix_config {
  bool appservice = false;             ///< `mode: appservice`; otherwise `mode: client` (the default)
  std::string homeserver;              ///< base URL, http(s)://host[:port][/prefix], without a trailing slash
  std::string user_id;                 ///< the bot, "@tandem:example.org"
  std::optional<secret> access_token;  ///< client mode: preferred over the password
  std::optional<secret> password;      ///< client mode without a token
  std::optional<secret> as_token;      ///< appservice mode: required
  std::optional<secret> hs_token;      ///< appservice mode: required
  std::filesystem::path ca_file;       ///< extra trusted CA certificates (PEM), resolved; empty: system store only
};

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
  std::vector<slack_workspace_config> workspaces;  ///< at least one, each team_id once
  std::string api_base_url = "https://slack.com/api/";  ///< Web API methods are appended; ends in '/'
  std::filesystem::path ca_file;  ///< extra trusted CA certificates (PEM), resolved; empty: system store only
};

/// One channel in `adapters.webhook.channels`: where Tandem posts, and how people answer.
struct webhook_channel_config {
  std::string name;                      ///< `/webhook/{name}`, and the `workspace` of identities reached here
  std::string dialect = "slack";         ///< slack, mattermost, mattermost_form, discord or teams
  std::string kind = "incoming";         ///< incoming (links only), mattermost, rocketchat or signed
  std::optional<secret> url;             ///< the incoming-webhook URL (required for incoming)
  std::vector<secret> tokens;            ///< mattermost, rocketchat: one per integration (`token`)
  std::optional<secret> signing_secret;  ///< signed: the HMAC-SHA256 key (config key `secret`)
  std::string collaboration;             ///< with `organization`: the collaboration it belongs to
  std::string organization;  ///< its people without identities of their own are reached here; empty: none
};

/// `adapters.webhook`: incoming and outgoing webhooks of Mattermost, Rocket.Chat, Discord, Teams...
struct webhook_config {
  std::vector<webhook_channel_config> channels;  ///< at least one, each name once
  std::string public_url;            ///< Tandem's public base URL for one-click links; empty: no links
  std::optional<secret> link_secret;  ///< signs one-click links; unset: a key kept in the store
  std::chrono::seconds link_lifetime{std::chrono::days{7}};  ///< how long a one-click link works
  std::filesystem::path ca_file;  ///< extra trusted CA certificates (PEM), resolved; empty: system store only
};

/// Everything the program needs from its config file, validated.
struct tandem_config {
  std::filesystem::path store_path;        ///< SQLite file; relative paths resolved against the config's folder
  std::string http_address = "127.0.0.1";  ///< host to listen on (IPv6 without brackets)
  std::uint16_t http_port = 8080;          ///< 0: pick a free port
  std::size_t body_limit = std::size_t{1024} * 1024;  ///< largest accepted HTTP request body, in bytes
  std::optional<secret> metrics_token;                ///< bearer token required on /metrics, when set
  std::string log_level = "info";                     ///< trace, debug, info, warn or error
  std::string log_format = "text";                    ///< text or json
  bool console_enabled = true;                        ///< run the console adapter
  std::optional<matrix_config> matrix;                ///< the Matrix adapter, when configured
  std::optional<slack_config> slack;                  ///< the Slack adapter, when configured
  std::optional<webhook_config> webhook;              ///< the webhook adapter, when configured
  world seed;  ///< collaborations, rooms, organizations, people, memberships and tier policies
};

/// The outcome of reading a config: the config when there is no error, otherwise every error found.
struct config_result {
  std::optional<tandem_config> config;
  std::vector<config_error> errors;
};

/// `host:port` as `http.listen` takes it (`127.0.0.1:8080`, `localhost:0`, `[::1]:8080`): the host
/// (IPv6 without brackets) and the port; nothing when it is not one. Pure.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text);

/// Reads and validates the config file `file`. Relative paths in it (the store, secret files) are
/// relative to the file's folder. Reports every error, not just the first; resolves secrets.
config_result load_config(const std::filesystem::path& file);

/// Validates config text as `load_config` does; relative paths are resolved against `base_dir`.
/// `source_name` names the text in YAML syntax errors (`<source_name>:<line>:<col>`).
config_result parse_config(std::string_view yaml_text, const std::filesystem::path& base_dir,
                           std::string_view source_name = "config");

/// What starting with a config means for a store that already holds state.
struct config_reconciliation {
  /// `save_*` actions for entries of the config the store lacks (collaborations, rooms,
  /// organizations, people, identities, memberships, tier policies), each followed by a
  /// `record_audit` by actor "config" with action "config.add".
  std::vector<action> additions;
  /// One line per entry present in both but different, e.g. `person ana: config says time zone
  /// "Europe/Berlin", store has "Europe/Paris" (the store wins; change it with a command)`.
  std::vector<std::string> conflicts;
};

/// Compares the config's `seed` with the `stored` world: the store is the truth, so entries the
/// store already has are never overwritten; differences become conflict lines. Two exceptions,
/// audited as "config.change": tier policies (no command changes them), and a person's time zone
/// that nobody gave (defaulted, or learned from their platform), which a `tz` in the config
/// replaces (their planned slots follow it). A zone the config does not give is no conflict.
/// Audit entries are stamped `now`. Pure.
config_reconciliation reconcile_with_store(const world& seed, const world& stored, time_point now);

}  // namespace tandem
