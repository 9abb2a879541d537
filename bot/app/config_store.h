#pragma once
// The `store` setting: a SQLite file (the default, `tandem.db` beside the config) or a PostgreSQL
// database, and reading it from the config's YAML.

#include "app/secret.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace YAML {
class Node;
}

namespace tandem {

/// A PostgreSQL database as the store: `store: postgresql://…`, or the mapping
/// `store: {postgresql: URL or {env: …}/{file: …}, password: {env: …}/{file: …}, keep_text: …}`.
struct postgresql_store_config {
  secret url;                      ///< libpq's URL form; TLS settings are its parameters (sslmode, sslrootcert...)
  std::optional<secret> password;  ///< given apart from the URL; none: libpq's own (PGPASSWORD, ~/.pgpass)
};

/// Where the store is, and how long it keeps what people wrote.
struct store_config {
  std::filesystem::path sqlite_file;                  ///< the SQLite file, when `postgresql` is empty; resolved
  std::optional<postgresql_store_config> postgresql;  ///< the store is this PostgreSQL database instead
  /// `store.keep_text`: how long the text of recorded messages is kept (of collaborations that
  /// record it); older text is blanked, the responses and their counts stay. None: `forever`.
  std::optional<std::chrono::seconds> keep_text = std::chrono::days{90};

  /// Where the store is, safe to log: the file, or the database's URL without any password in it.
  [[nodiscard]] std::string describe() const;
};

namespace config_detail {
class reader;

/// Reads the `store` node into `out`, reporting errors to `r`; a relative file and secret files are
/// resolved against `base_dir`. A URL written in the config with a password in it is refused (the
/// password goes under `password:`, from the environment or a file). Used by the config reader only.
void read_store(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir, store_config& out);
}  // namespace config_detail

}  // namespace tandem
