// Reads `adapters.webhook`: its links and channels, and binds organizations to channels.
#include "app/config_webhook.h"

#include "app/config_reader.h"

#include <algorithm>
#include <map>
#include <utility>

namespace tandem::config_detail {

namespace {

void read_webhook_channel(reader& r, const YAML::Node& node, const std::string& path,
                          const std::filesystem::path& base_dir, std::map<std::string, std::string>& seen,
                          webhook_config& webhook, std::vector<std::string>& paths) {
  if (!r.expect_map(node, path, {"name", "dialect", "kind", "url", "token", "secret", "organization", "personal"}))
    return;
  webhook_channel_config c;
  auto name = r.non_empty(node, "name", path, true);
  if (name && !valid_id(*name)) {
    r.fail(child(path, "name"), "bad channel name " + in_quotes(*name) + " (lowercase letters, digits, - _ .)");
    name.reset();
  }
  if (name) {
    if (const auto [earlier, fresh] = seen.try_emplace(*name, path); !fresh) {
      r.fail(child(path, "name"), "channel " + *name + " is listed twice (also at " + earlier->second + ")");
      name.reset();
    }
  }
  if (auto d = r.choice(node, "dialect", path, "dialect", {"slack", "mattermost", "mattermost_form", "discord", "teams"}))
    c.dialect = *d;
  if (auto k = r.choice(node, "kind", path, "kind", {"incoming", "mattermost", "rocketchat", "signed"})) c.kind = *k;
  if (const YAML::Node url = node["url"]; url.IsDefined()) {
    c.url = read_secret(r, url, child(path, "url"), base_dir);
    if (c.url && !parse_base_url(c.url->reveal().substr(0, c.url->reveal().find_first_of("?#")))) {
      r.fail(child(path, "url"), "the value from " + c.url->describe() + " is not an http(s):// URL");
    }
  } else if (c.kind == "incoming") {
    r.fail(child(path, "url"), "required for kind incoming, e.g. url: {env: CITY_DISCORD_WEBHOOK_URL}");
  }
  const bool wants_token = c.kind == "mattermost" || c.kind == "rocketchat";
  if (const YAML::Node token = node["token"]; token.IsDefined()) {
    if (!wants_token) {
      r.fail(child(path, "token"), "only kinds mattermost and rocketchat use a token");
    } else if (token.IsSequence()) {
      // Several integrations on one channel (a slash command and an outgoing webhook) each have one.
      if (token.size() == 0) r.fail(child(path, "token"), "at least one token is needed");
      for (std::size_t i = 0; i < token.size(); ++i) {
        if (auto t = read_secret(r, token[i], item(child(path, "token"), i), base_dir)) c.tokens.push_back(*t);
      }
    } else if (auto t = read_secret(r, token, child(path, "token"), base_dir)) {
      c.tokens.push_back(*t);
    }
  } else if (wants_token) {
    r.fail(child(path, "token"), "required for kind " + c.kind + ", e.g. token: {env: MATTERMOST_HOOK_TOKEN}");
  }
  if (const YAML::Node key = node["secret"]; key.IsDefined()) {
    if (c.kind == "signed") {
      c.signing_secret = read_secret(r, key, child(path, "secret"), base_dir);
    } else {
      r.fail(child(path, "secret"), "only kind signed uses a secret");
    }
  } else if (c.kind == "signed") {
    r.fail(child(path, "secret"), "required for kind signed, e.g. secret: {env: TANDEM_SCRIPT_SECRET}");
  }
  if (auto personal = r.flag(node, "personal", path)) {
    if (*personal && c.kind != "incoming") {
      r.fail(child(path, "personal"), "only kind incoming posts one-click links; people answer in chat here");
    }
    c.personal = *personal;
  }
  if (const YAML::Node org = node["organization"]; org.IsDefined()) {
    const std::string org_path = child(path, "organization");
    if (r.expect_map(org, org_path, {"collaboration", "id"})) {
      auto collaboration = r.non_empty(org, "collaboration", org_path, true);
      auto id = r.non_empty(org, "id", org_path, true);
      if (collaboration && id) {
        c.collaboration = *collaboration;
        c.organization = *id;
      }
    }
  }
  if (name) {
    c.name = *name;
    webhook.channels.push_back(std::move(c));
    paths.push_back(path);
  }
}

}  // namespace

std::vector<std::string> read_webhook(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                                      std::optional<webhook_config>& out,
                                      std::optional<std::string>& public_url_alias) {
  const std::string path = "adapters.webhook";
  std::vector<std::string> paths;
  if (!r.expect_map(node, path, {"channels", "public_url", "link_secret", "link_lifetime", "ca_file"})) return paths;
  webhook_config webhook;
  if (auto url = r.non_empty(node, "public_url", path)) {
    if (auto base = parse_base_url(*url)) {
      public_url_alias = *base;
    } else {
      r.fail(child(path, "public_url"), "bad URL " + in_quotes(*url) + " (write it as https://tandem.example.org)");
    }
  }
  if (const YAML::Node key = node["link_secret"]; key.IsDefined()) {
    webhook.link_secret = read_secret(r, key, child(path, "link_secret"), base_dir);
  }
  if (auto lifetime = r.duration(node, "link_lifetime", path)) {
    if (lifetime->count() > 0) {
      webhook.link_lifetime = *lifetime;
    } else {
      r.fail(child(path, "link_lifetime"), "must be longer than 0");
    }
  }
  if (auto ca = read_existing_file(r, node, "ca_file", path, base_dir)) webhook.ca_file = *ca;
  if (auto channels = r.list(node, "channels", path, true)) {
    if (channels->size() == 0) r.fail(child(path, "channels"), "at least one channel is needed");
    std::map<std::string, std::string> seen;  // name -> where it was listed
    for (std::size_t i = 0; i < channels->size(); ++i) {
      read_webhook_channel(r, (*channels)[i], item(child(path, "channels"), i), base_dir, seen, webhook, paths);
    }
  }
  out = std::move(webhook);
  return paths;
}

void bind_webhook_organizations(reader& r, const std::optional<webhook_config>& webhook, world& seed,
                                const std::vector<std::string>& channel_paths) {
  if (!webhook) return;
  for (std::size_t i = 0; i < webhook->channels.size(); ++i) {
    const webhook_channel_config& c = webhook->channels[i];
    if (c.organization.empty()) continue;
    if (!seed.organizations.contains({c.collaboration, c.organization})) {
      r.fail(child(channel_paths[i], "organization"),
             "no organization " + in_quotes(c.organization) + " in collaboration " + in_quotes(c.collaboration));
      continue;
    }
    for (const auto& [key, m] : seed.memberships) {
      if (m.collaboration != c.collaboration || m.organization != c.organization) continue;
      person& p = seed.people.at(m.person);
      if (p.identities == std::vector<identity>{identity{"console", "", p.id}}) {
        p.identities = {identity{"webhook", c.name, p.id}};
      }
    }
  }
  // Whoever Tandem reaches in a personal channel, by its organization or by an identity of their own.
  for (std::size_t i = 0; i < webhook->channels.size(); ++i) {
    const webhook_channel_config& c = webhook->channels[i];
    if (!c.personal) continue;
    std::vector<std::string> reached;
    for (const auto& [id, p] : seed.people) {
      if (std::ranges::any_of(p.identities,
                              [&](const identity& k) { return k.platform == "webhook" && k.workspace == c.name; })) {
        reached.push_back(id);
      }
    }
    if (reached.size() > 1) {
      std::string names;
      for (const std::string& id : reached) names += (names.empty() ? "" : ", ") + id;
      r.fail(child(channel_paths[i], "personal"),
             "a personal channel is read by one person, but Tandem reaches " + std::to_string(reached.size()) +
                 " people here (" + names + "): give each a channel of their own, or drop personal");
    }
  }
}

}  // namespace tandem::config_detail
