// Reads `adapters.matrix`: the homeserver, the bot's user id, its credentials by mode, the CA file.
#include "app/config_matrix.h"

#include "app/config_reader.h"

#include <utility>

namespace tandem::config_detail {

namespace {

/// `@localpart:server`.
bool valid_matrix_user_id(std::string_view id) {
  const auto colon = id.find(':');
  return id.starts_with('@') && colon != std::string_view::npos && colon > 1 && colon + 1 < id.size() &&
         id.find_first_of(" \t") == std::string_view::npos;
}

}  // namespace

void read_matrix(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                 std::optional<matrix_config>& out) {
  const std::string path = "adapters.matrix";
  if (!r.expect_map(node, path,
                    {"mode", "homeserver", "user_id", "access_token", "password", "as_token", "hs_token", "ca_file"})) {
    return;
  }
  matrix_config m;
  if (auto mode = r.choice(node, "mode", path, "mode", {"client", "appservice"})) m.appservice = *mode == "appservice";
  if (auto url = r.non_empty(node, "homeserver", path, true)) {
    if (auto base = parse_base_url(*url)) {
      m.homeserver = *base;
    } else {
      r.fail(child(path, "homeserver"),
             "bad URL " + in_quotes(*url) + " (write the homeserver's base URL, e.g. https://matrix.example.org)");
    }
  }
  if (auto user = r.non_empty(node, "user_id", path, true)) {
    if (valid_matrix_user_id(*user)) {
      m.user_id = *user;
    } else {
      r.fail(child(path, "user_id"), "bad Matrix user id " + in_quotes(*user) + " (write it as @tandem:example.org)");
    }
  }
  const auto secret_at = [&](std::string_view key) -> std::optional<secret> {
    const YAML::Node value = node[std::string(key)];
    if (!value.IsDefined()) return std::nullopt;
    return read_secret(r, value, child(path, key), base_dir);
  };
  const auto present = [&](std::string_view key) { return node[std::string(key)].IsDefined(); };
  m.access_token = secret_at("access_token");
  m.password = secret_at("password");
  m.as_token = secret_at("as_token");
  m.hs_token = secret_at("hs_token");
  if (m.appservice) {
    for (std::string_view key : {"access_token", "password"}) {
      if (present(key)) r.fail(child(path, key), "only for mode client (an appservice signs in with as_token)");
    }
    for (std::string_view key : {"as_token", "hs_token"}) {
      if (!present(key)) r.fail(child(path, key), "required in mode appservice (tandem matrix-registration makes both)");
    }
  } else {
    for (std::string_view key : {"as_token", "hs_token"}) {
      if (present(key)) r.fail(child(path, key), "only for mode appservice");
    }
    if (!present("access_token") && !present("password")) {
      r.fail(path, "give access_token (preferred) or password, e.g. access_token: {env: MATRIX_ACCESS_TOKEN}");
    }
  }
  if (auto ca = read_existing_file(r, node, "ca_file", path, base_dir)) m.ca_file = *ca;
  out = std::move(m);
}

}  // namespace tandem::config_detail
