// Reads `store`: a SQLite file or a PostgreSQL database, its URL and password, and `keep_text`.
#include "app/config_store.h"

#include "app/config_reader.h"
#include "storage/postgresql/postgresql_store.h"

#include <yaml-cpp/yaml.h>

namespace tandem {
namespace {

/// The `user:password@` of a URL's authority, when it has a password: where it starts (after the
/// user's name) and ends (the '@'); nothing otherwise.
std::optional<std::pair<std::size_t, std::size_t>> password_in(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  const std::size_t authority = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const std::size_t at = url.rfind('@', authority_end);
  if (at == std::string::npos || at < authority) return std::nullopt;
  const std::size_t colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return std::nullopt;
  return std::pair{colon, at};
}

}  // namespace

std::string store_config::describe() const {
  if (!postgresql) return sqlite_file.string();
  std::string url = postgresql->url.reveal();
  if (const auto password = password_in(url)) url.erase(password->first, password->second - password->first);
  return url;
}

namespace config_detail {

void read_store(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir, store_config& out) {
  const std::string advice =
      "write a SQLite file (tandem.db), a PostgreSQL URL (postgresql://tandem@db.internal/tandem), or "
      "a mapping {sqlite: FILE} or {postgresql: URL, password: {env: NAME}}, with keep_text";
  const auto refuse_password_in = [&](const std::string& url, const std::string& path) {
    if (!password_in(url)) return false;
    r.fail(path,
           "the URL holds a password: write the URL without it and give the password as "
           "store.password ({env: NAME} or {file: PATH}), so that it stays out of the config");
    return true;
  };
  if (node.IsScalar()) {
    const std::string text = node.Scalar();
    if (text.empty()) {
      r.fail("store", "is empty: " + advice);
    } else if (!is_postgresql_url(text)) {
      out.sqlite_file = base_dir / text;
    } else if (!refuse_password_in(text, "store")) {
      out.postgresql = postgresql_store_config{secret{text, "store"}, std::nullopt};
    }
    return;
  }
  if (!node.IsMap()) {
    r.fail("store", advice);
    return;
  }
  if (!r.expect_map(node, "store", {"sqlite", "postgresql", "password", "keep_text"})) return;
  if (const YAML::Node keep = node["keep_text"]; keep.IsDefined()) {
    if (keep.IsScalar() && keep.Scalar() == "forever") {
      out.keep_text.reset();
    } else if (const auto kept = r.duration(node, "keep_text", "store"); kept && kept->count() == 0) {
      r.fail("store.keep_text", "0 would forget every text at once: write a duration such as 90d, or forever");
    } else if (kept) {
      out.keep_text = *kept;
    }
  }
  const YAML::Node url_node = node["postgresql"];
  if (const YAML::Node file = node["sqlite"]; file.IsDefined()) {
    if (url_node.IsDefined() || node["password"].IsDefined()) {
      r.fail("store", "give either sqlite or postgresql (with its password), not both");
    } else if (auto name = r.non_empty(node, "sqlite", "store")) {
      out.sqlite_file = base_dir / *name;
    }
    return;
  }
  if (!url_node.IsDefined()) {
    if (node["password"].IsDefined()) r.fail("store.postgresql", "is missing: " + advice);
    return;  // the default SQLite file, with keep_text
  }
  std::optional<secret> url;
  if (url_node.IsScalar()) {
    if (!refuse_password_in(url_node.Scalar(), "store.postgresql")) url = secret{url_node.Scalar(), "store.postgresql"};
  } else {
    url = read_secret(r, url_node, "store.postgresql", base_dir);
  }
  if (url && !is_postgresql_url(url->reveal())) {
    r.fail("store.postgresql", "the URL from " + url->describe() + " does not start with postgresql://");
    url.reset();
  }
  std::optional<secret> password;
  if (const YAML::Node p = node["password"]; p.IsDefined()) {
    password = read_secret(r, p, "store.password", base_dir);
    if (!password) return;
  }
  if (url) out.postgresql = postgresql_store_config{*url, password};
}

}  // namespace config_detail
}  // namespace tandem
