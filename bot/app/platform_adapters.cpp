#include "app/platform_adapters.h"

#include "adapters/matrix/matrix_adapter.h"
#include "adapters/slack/slack_adapter.h"
#include "adapters/webhook/webhook_adapter.h"
#include "app/template_catalog.h"

#include <spdlog/spdlog.h>

namespace tandem {
namespace {

/// Adapter log lines go to spdlog's default logger, which the program configured.
adapter_log spdlog_adapter_log() {
  return [](std::string_view level, std::string_view message) {
    spdlog::log(spdlog::level::from_str(std::string{level}), "{}", message);
  };
}

matrix_options matrix_options_from(const matrix_config& config, const adapter_environment& environment) {
  matrix_options o;
  o.how = config.appservice ? matrix_options::mode::appservice : matrix_options::mode::client;
  o.homeserver = config.homeserver;
  o.user_id = config.user_id;
  if (config.access_token) o.access_token = config.access_token->reveal();
  if (config.password) o.password = config.password->reveal();
  if (config.as_token) o.as_token = config.as_token->reveal();
  if (config.hs_token) o.hs_token = config.hs_token->reveal();
  o.extra_ca_file = config.ca_file.string();
  if (environment.templates != nullptr) o.text_for = adapter_texts(*environment.templates, environment.directory);
  o.log = spdlog_adapter_log();
  return o;
}

slack_adapter_options slack_options_from(const slack_config& config) {
  slack_adapter_options o;
  for (const slack_workspace_config& w : config.workspaces) {
    o.workspaces.push_back({w.team_id, w.bot_token.reveal(), w.signing_secret ? w.signing_secret->reveal() : "",
                            w.bot_user_id, w.app_token ? w.app_token->reveal() : ""});
  }
  o.api_base_url = config.api_base_url;
  o.extra_ca_file = config.ca_file.string();
  o.log = spdlog_adapter_log();
  return o;
}

webhook_adapter_options webhook_options_from(const webhook_config& config, const std::string& public_url) {
  webhook_adapter_options o;
  for (const webhook_channel_config& c : config.channels) {
    webhook_channel_settings channel;
    channel.name = c.name;
    channel.how = webhook::dialect_from_string(c.dialect).value_or(webhook::dialect::slack);
    if (c.url) channel.url = c.url->reveal();
    channel.kind = c.kind == "mattermost"   ? webhook_channel_kind::mattermost
                   : c.kind == "rocketchat" ? webhook_channel_kind::rocketchat
                   : c.kind == "signed"     ? webhook_channel_kind::signed_json
                                            : webhook_channel_kind::incoming;
    for (const secret& token : c.tokens) channel.tokens.push_back(token.reveal());
    if (c.signing_secret) channel.secret = c.signing_secret->reveal();
    channel.personal = c.personal;
    o.channels.push_back(std::move(channel));
  }
  o.public_url = public_url;
  if (config.link_secret) o.link_key = config.link_secret->reveal();
  o.link_lifetime = config.link_lifetime;
  o.extra_ca_file = config.ca_file.string();
  o.log = spdlog_adapter_log();
  return o;
}

}  // namespace

std::function<std::string(std::string_view kind, const identity& reader)> adapter_texts(
    const template_catalog& templates, const installation_directory& directory) {
  return [&templates, &directory](std::string_view kind, const identity& reader) {
    return templates.render(message{std::string{kind}, nlohmann::json::object()},
                            directory.language_of(reader).value_or("en"));
  };
}

std::vector<std::unique_ptr<platform_adapter>> create_platform_adapters(const tandem_config& config,
                                                                        const adapter_environment& environment) {
  std::vector<std::unique_ptr<platform_adapter>> adapters;
  if (config.matrix) {
    adapters.push_back(std::make_unique<matrix_adapter>(environment.io,
                                                        matrix_options_from(*config.matrix, environment),
                                                        environment.sink, environment.state, environment.directory));
  }
  if (config.slack) {
    slack_adapter_options options = slack_options_from(*config.slack);
    options.time_zones = environment.time_zones;
    adapters.push_back(std::make_unique<slack_adapter>(environment.io, std::move(options), environment.sink));
  }
  if (config.webhook) {
    // One-click links use http.public_url as written; without it, no links (never the listen address).
    adapters.push_back(std::make_unique<webhook_adapter>(
        environment.io, webhook_options_from(*config.webhook, config.seed.engine.public_url), environment.sink,
        environment.state));
  }
  return adapters;
}

}  // namespace tandem
