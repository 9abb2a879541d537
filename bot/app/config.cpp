// Reads a config file whole: the top-level sections, `http` and `log`, and hands each other section to its reader.
#include "app/config.h"

#include "app/config_reader.h"
#include "app/config_seed.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <utility>

namespace tandem {

std::string to_string(const config_error& error) {
  return error.path.empty() ? error.message : error.path + ": " + error.message;
}

namespace {

using namespace config_detail;

const keys log_levels{"trace", "debug", "info", "warn", "error"};
const keys log_formats{"text", "json"};

/// A whole number from 1 to `most` under `key` of `node`.
std::optional<std::uint64_t> read_count(reader& r, const YAML::Node& node, std::string_view key, const std::string& path,
                                        std::uint64_t most) {
  auto text = r.text(node, key, path);
  if (!text) return std::nullopt;
  auto count = parse_digits(*text, 9);
  if (!count || *count == 0 || *count > most) {
    r.fail(child(path, key), "expected a whole number from 1 to " + std::to_string(most) + ", got " + in_quotes(*text));
    return std::nullopt;
  }
  return count;
}

/// `http.rate_limit` (burst, per_minute, clients) and `http.trusted_proxies`.
void read_rate_limit(reader& r, const YAML::Node& node, rate_limit_options& limit) {
  if (const YAML::Node bucket = node["rate_limit"]; bucket.IsDefined()) {
    const std::string path = "http.rate_limit";
    if (r.expect_map(bucket, path, {"burst", "per_minute", "clients"})) {
      if (auto burst = read_count(r, bucket, "burst", path, 100000)) limit.burst = static_cast<double>(*burst);
      if (auto rate = read_count(r, bucket, "per_minute", path, 100000)) limit.per_minute = static_cast<double>(*rate);
      if (auto clients = read_count(r, bucket, "clients", path, 10000000)) limit.max_clients = *clients;
    }
  }
  if (auto proxies = r.list(node, "trusted_proxies", "http")) {
    for (std::size_t i = 0; i < proxies->size(); ++i) {
      const YAML::Node proxy = (*proxies)[i];
      const std::string path = "http.trusted_proxies[" + std::to_string(i) + "]";
      if (!proxy.IsScalar() || !is_address_or_network(proxy.Scalar())) {
        r.fail(path, "expected an IP address or network (10.0.0.5, 10.0.0.0/8, ::1), got " +
                         (proxy.IsScalar() ? in_quotes(proxy.Scalar()) : std::string(kind_of(proxy))));
        continue;
      }
      limit.trusted_proxies.push_back(proxy.Scalar());
    }
  }
}

void read_http(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir, tandem_config& config) {
  if (!r.expect_map(node, "http",
                    {"listen", "body_limit", "metrics_token", "public_url", "rate_limit", "trusted_proxies"})) {
    return;
  }
  read_rate_limit(r, node, config.rate_limit);
  if (auto listen = r.text(node, "listen", "http")) {
    if (auto address = parse_listen(*listen)) {
      config.http_address = address->host;
      config.http_port = address->port;
    } else {
      r.fail("http.listen",
             "bad listen address " + in_quotes(*listen) + " (write host:port, e.g. 127.0.0.1:8080 or [::1]:8080)");
    }
  }
  if (auto limit = r.text(node, "body_limit", "http")) {
    if (auto bytes = parse_size(*limit))
      config.body_limit = *bytes;
    else
      r.fail("http.body_limit", "bad size " + in_quotes(*limit) + " (write bytes, or e.g. 512KiB, 1MiB)");
  }
  if (const YAML::Node token = node["metrics_token"]; token.IsDefined()) {
    config.metrics_token = read_secret(r, token, "http.metrics_token", base_dir);
  }
  if (auto url = r.text(node, "public_url", "http")) {
    if (auto base = parse_base_url(*url)) {
      config.seed.engine.public_url = *base;
    } else {
      r.fail("http.public_url",
             "bad URL " + in_quotes(*url) + " (write how people reach Tandem, e.g. https://tandem.example.org)");
    }
  }
}

/// `http.public_url` is the one public URL (the calendar's, the reports' and the dashboard's links,
/// and the webhooks' one-click links); `adapters.webhook.public_url` is read as its deprecated
/// alias: a warning when it agrees or stands alone, an error when the two differ.
void take_public_url_alias(reader& r, const std::string& alias, engine_settings& engine) {
  const std::string path = "adapters.webhook.public_url";
  if (engine.public_url.empty()) {
    engine.public_url = alias;
    r.warn(path, "deprecated: write it as http.public_url (one setting for every link to Tandem)");
  } else if (engine.public_url == alias) {
    r.warn(path, "deprecated and the same as http.public_url: remove it");
  } else {
    r.fail(path, "differs from http.public_url " + in_quotes(engine.public_url) +
                     " (one setting for every link to Tandem: keep http.public_url, remove this one)");
  }
}

config_result read_document(const YAML::Node& root, const std::filesystem::path& base_dir) {
  reader r;
  tandem_config config;
  config.store.sqlite_file = base_dir / "tandem.db";
  config.seed.tiers = default_tiers();
  if (!root.IsMap()) {
    r.fail("", root.IsDefined() && !root.IsNull()
                   ? "expected a mapping of sections (store, http, log, adapters, tiers, collaborations), got " +
                         std::string(kind_of(root))
                   : "the config is empty: it needs at least a collaborations section");
    return {std::nullopt, r.take_errors(), {}};
  }
  r.expect_map(root, "", {"store", "http", "log", "adapters", "engine", "tiers", "collaborations"}, "section");
  if (const YAML::Node store = root["store"]; store.IsDefined()) read_store(r, store, base_dir, config.store);
  if (const YAML::Node http = root["http"]; http.IsDefined()) read_http(r, http, base_dir, config);
  if (const YAML::Node log = root["log"]; log.IsDefined() && r.expect_map(log, "log", {"level", "format"})) {
    if (auto level = r.choice(log, "level", "log", "log level", log_levels)) config.log_level = *level;
    if (auto format = r.choice(log, "format", "log", "log format", log_formats)) config.log_format = *format;
  }
  std::vector<std::string> webhook_channel_paths;  // where each webhook channel was written
  std::optional<std::string> webhook_public_url;    // the deprecated adapters.webhook.public_url
  if (const YAML::Node adapters = root["adapters"];
      adapters.IsDefined() && r.expect_map(adapters, "adapters", {"console", "matrix", "slack", "webhook"}, "adapter")) {
    if (const YAML::Node console = adapters["console"];
        console.IsDefined() && r.expect_map(console, "adapters.console", {"enabled"})) {
      if (auto enabled = r.flag(console, "enabled", "adapters.console")) config.console_enabled = *enabled;
    }
    if (const YAML::Node matrix = adapters["matrix"]; matrix.IsDefined()) read_matrix(r, matrix, base_dir, config.matrix);
    if (const YAML::Node slack = adapters["slack"]; slack.IsDefined()) read_slack(r, slack, base_dir, config.slack);
    if (const YAML::Node webhook = adapters["webhook"]; webhook.IsDefined()) {
      webhook_channel_paths = read_webhook(r, webhook, base_dir, config.webhook, webhook_public_url);
    }
  }
  if (webhook_public_url) take_public_url_alias(r, *webhook_public_url, config.seed.engine);
  if (const YAML::Node tiers = root["tiers"]; tiers.IsDefined()) read_tiers(r, tiers, config.seed.tiers);
  if (const YAML::Node engine = root["engine"]; engine.IsDefined()) read_engine(r, engine, config.seed.engine);
  read_collaborations(r, root, config.seed);
  bind_webhook_organizations(r, config.webhook, config.seed, webhook_channel_paths);
  if (!r.ok()) return {std::nullopt, r.take_errors(), r.take_warnings()};
  return {std::move(config), {}, r.take_warnings()};
}

}  // namespace

config_result parse_config(std::string_view yaml_text, const std::filesystem::path& base_dir,
                           std::string_view source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    const std::string where =
        std::string(source_name) + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    return {std::nullopt, {{where, e.msg}}, {}};
  }
  return read_document(root, base_dir);
}

std::optional<std::pair<std::string, std::uint16_t>> parse_listen_address(std::string_view text) {
  auto address = parse_listen(text);
  if (!address) return std::nullopt;
  return std::make_pair(std::move(address->host), address->port);
}

config_result load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {std::nullopt, {{file.string(), "cannot read the config file"}}, {}};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.parent_path(), file.string());
}

}  // namespace tandem
