#pragma once
// The installation's YAML configuration: what the program needs from it, and reading it whole.
// The parts live by job: the YAML reader (config_reader.h), the seed (config_seed.h), each
// platform section beside its options (config_matrix.h, config_slack.h, config_webhook.h), and
// the reconciliation with the store (config_reconcile.h).

#include "adapters/http/client_rate_limit.h"
#include "app/config_matrix.h"
#include "app/config_reconcile.h"
#include "app/config_slack.h"
#include "app/config_store.h"
#include "app/config_webhook.h"
#include "app/secret.h"
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

/// Everything the program needs from its config file, validated.
struct tandem_config {
  store_config store;  ///< a SQLite file (relative paths resolved against the config's folder) or PostgreSQL
  std::string http_address = "127.0.0.1";  ///< host to listen on (IPv6 without brackets)
  std::uint16_t http_port = 8080;          ///< 0: pick a free port
  std::size_t body_limit = std::size_t{1024} * 1024;  ///< largest accepted HTTP request body, in bytes
  std::optional<secret> metrics_token;                ///< bearer token required on /metrics, when set
  /// `http.rate_limit` and `http.trusted_proxies`: how often one client may call the token
  /// endpoints (one-click links, dashboard sign-in, calendar feeds, exports).
  rate_limit_options rate_limit;
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
  /// Settings still read but on their way out (a deprecated alias), each with what to write instead.
  std::vector<config_error> warnings;
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

}  // namespace tandem
