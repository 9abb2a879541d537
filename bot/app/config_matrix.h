#pragma once
// The `adapters.matrix` section: its options, and reading them from the config's YAML.

#include "app/secret.h"

#include <filesystem>
#include <optional>
#include <string>

namespace YAML {
class Node;
}

namespace tandem {

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

namespace config_detail {
class reader;

/// Reads the `adapters.matrix` mapping `node` into `out`, reporting errors to `r`; secrets and the
/// CA file are resolved against `base_dir`. Used by the config reader only.
void read_matrix(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                 std::optional<matrix_config>& out);
}  // namespace config_detail

}  // namespace tandem
