#include "app/config.h"

#include "core/dates.h"
#include "core/schedule.h"
#include "core/time_zones.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace tandem {

secret::secret(std::string value, std::string description)
    : value_(std::move(value)), description_(std::move(description)) {}

const std::string& secret::reveal() const { return value_; }

const std::string& secret::describe() const { return description_; }

std::string to_string(const config_error& error) {
  return error.path.empty() ? error.message : error.path + ": " + error.message;
}

namespace {

using keys = std::initializer_list<std::string_view>;

constexpr std::string_view secret_advice = "write secrets as {env: NAME} or {file: PATH}, never in the file";
constexpr std::string_view store_wins = "(the store wins)";
constexpr std::string_view store_wins_command = "(the store wins; change it with a command)";
const keys log_levels{"trace", "debug", "info", "warn", "error"};
const keys log_formats{"text", "json"};
const keys platforms{"console", "slack", "matrix", "webhook"};
const keys role_names{"facilitator", "representative", "alternate", "participant"};
const keys tier_names{"core", "active", "informed", "observer"};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

template <typename Range>
std::string joined(const Range& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string item(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

bool one_of(std::string_view word, keys allowed) { return std::ranges::find(allowed, word) != allowed.end(); }

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// A known key close to `key`: a common synonym, or one at most two edits away.
std::optional<std::string_view> suggestion(std::string_view key, keys allowed) {
  static const std::map<std::string_view, std::string_view> synonyms{{"timezone", "tz"},
                                                                     {"time_zone", "tz"},
                                                                     {"zone", "tz"},
                                                                     {"language", "lang"},
                                                                     {"organization", "org"},
                                                                     {"organisation", "org"},
                                                                     {"role", "roles"},
                                                                     {"identity", "identities"},
                                                                     {"quiet_hours", "quiet"},
                                                                     {"orgs", "organizations"},
                                                                     {"organisations", "organizations"},
                                                                     {"members", "people"},
                                                                     {"persons", "people"},
                                                                     {"room", "rooms"},
                                                                     {"address", "listen"},
                                                                     {"database", "store"},
                                                                     {"db", "store"},
                                                                     {"silence", "silence_after"}};
  if (auto it = synonyms.find(key); it != synonyms.end() && one_of(it->second, allowed)) return it->second;
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (std::string_view candidate : allowed) {
    const std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance && distance < key.size()) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string_view kind_of(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsScalar()) return "a single value";
  return "nothing";
}

bool valid_collaboration_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::ranges::all_of(id, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// `en`, `fra`, `pt-BR`, `zh-Hant`.
bool valid_language(std::string_view lang) {
  const auto dash = lang.find('-');
  const std::string_view base = lang.substr(0, dash);
  if (base.size() < 2 || base.size() > 3 || !std::ranges::all_of(base, [](char c) { return c >= 'a' && c <= 'z'; })) {
    return false;
  }
  if (dash == std::string_view::npos) return true;
  const std::string_view region = lang.substr(dash + 1);
  return region.size() >= 2 && region.size() <= 8 &&
         std::ranges::all_of(region, [](char c) { return is_alpha(c) || is_digit(c); });
}

std::optional<std::uint64_t> parse_digits(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits || !std::ranges::all_of(text, is_digit)) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

/// `30m`, `12h`, `7d`, `2w` or `0`.
std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::seconds{0};
  if (text.size() < 2) return std::nullopt;
  auto count = parse_digits(text.substr(0, text.size() - 1), 5);
  if (!count) return std::nullopt;
  const auto n = static_cast<std::chrono::seconds::rep>(*count);
  switch (text.back()) {
    case 'm': return std::chrono::minutes{n};
    case 'h': return std::chrono::hours{n};
    case 'd': return std::chrono::days{n};
    case 'w': return std::chrono::weeks{n};
    default: return std::nullopt;
  }
}

std::string format_duration(std::chrono::seconds d) {
  const auto s = d.count();
  if (s == 0) return "0";
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

/// `1048576`, `512KiB`, `1MiB`; more than zero.
std::optional<std::size_t> parse_size(std::string_view text) {
  std::uint64_t unit = 1;
  if (text.ends_with("KiB")) {
    unit = 1024;
    text.remove_suffix(3);
  } else if (text.ends_with("MiB")) {
    unit = std::uint64_t{1024} * 1024;
    text.remove_suffix(3);
  }
  auto count = parse_digits(text, 9);
  if (!count || *count == 0) return std::nullopt;
  return static_cast<std::size_t>(*count * unit);
}

struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};

/// `127.0.0.1:8080`, `localhost:0`, `[::1]:8080`.
std::optional<listen_address> parse_listen(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    const bool ipv6_chars = std::ranges::all_of(host, [](char c) {
      return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    });
    if (host.find(':') == std::string_view::npos || !ipv6_chars) return std::nullopt;
  } else {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (!std::ranges::all_of(host, [](char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-'; })) {
      return std::nullopt;
    }
  }
  auto number = parse_digits(port, 5);
  if (host.empty() || !number || *number > 65535) return std::nullopt;
  return listen_address{std::string(host), static_cast<std::uint16_t>(*number)};
}

std::string describe(const identity& id) {
  return id.platform + ":" + (id.workspace.empty() ? "" : id.workspace + "/") + id.user;
}

std::string describe(const room& r) { return r.platform + ":" + (r.workspace.empty() ? "" : r.workspace + "/") + r.id; }

std::string describe(const std::optional<quiet_hours>& quiet) {
  if (!quiet) return "the default";
  if (quiet->empty()) return "off";
  return in_quotes(format_minute_of_day(quiet->start_minute) + "-" + format_minute_of_day(quiet->end_minute));
}

std::string describe(const std::set<role>& roles) {
  std::vector<std::string_view> names;
  names.reserve(roles.size());
  for (role r : roles) names.push_back(to_string(r));
  return joined(names);
}

std::string describe(const std::vector<identity>& ids) {
  std::vector<std::string> names;
  names.reserve(ids.size());
  for (const identity& id : ids) names.push_back(describe(id));
  return "[" + joined(names) + "]";
}

std::map<tier, tier_policy> default_tiers() {
  using std::chrono::days;
  return {{tier::core, {"weekly mon 09:00", days{7}, days{2}}},
          {tier::active, {"weekly mon 09:00", days{14}, days{3}}},
          {tier::informed, {"monthly first mon 09:00", days{45}, days{14}}},
          {tier::observer, {"never", days{0}, days{0}}}};
}

/// Walks the YAML tree, collecting every error with its path.
class reader {
 public:
  void fail(std::string path, std::string message) { errors_.push_back({std::move(path), std::move(message)}); }

  std::vector<config_error> take_errors() { return std::move(errors_); }
  bool ok() const { return errors_.empty(); }

  /// True when `node` is a mapping; reports unknown and repeated keys (calling them `noun`s).
  bool expect_map(const YAML::Node& node, const std::string& path, keys allowed, std::string_view noun = "key") {
    if (!node.IsMap()) {
      fail(path, "expected a mapping, got " + std::string(kind_of(node)));
      return false;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        fail(path, "expected a mapping with plain " + std::string(noun) + " names");
        continue;
      }
      const std::string& key = entry.first.Scalar();
      if (!seen.insert(key).second) {
        fail(child(path, key), "repeated " + std::string(noun));
      } else if (!one_of(key, allowed)) {
        auto close = suggestion(key, allowed);
        fail(child(path, key),
             "unknown " + std::string(noun) +
                 (close ? " (did you mean " + in_quotes(*close) + "?)" : " (allowed: " + joined(allowed) + ")"));
      }
    }
    return true;
  }

  /// The string under `key`; reports a missing (when `required`) or non-scalar value.
  std::optional<std::string> text(const YAML::Node& map, std::string_view key, const std::string& path,
                                  bool required = false) {
    const YAML::Node value = map[std::string(key)];
    if (!value.IsDefined()) {
      if (required) fail(child(path, key), "required");
      return std::nullopt;
    }
    if (!value.IsScalar()) {
      fail(child(path, key), "expected a single value, got " + std::string(kind_of(value)));
      return std::nullopt;
    }
    return value.Scalar();
  }

  /// Like `text`, and an empty value is an error too.
  std::optional<std::string> non_empty(const YAML::Node& map, std::string_view key, const std::string& path,
                                       bool required = false) {
    auto value = text(map, key, path, required);
    if (value && value->empty()) {
      fail(child(path, key), "must not be empty");
      return std::nullopt;
    }
    return value;
  }

  /// Like `text`, and the value must be one of `allowed` (it is called a `what`).
  std::optional<std::string> choice(const YAML::Node& map, std::string_view key, const std::string& path,
                                    std::string_view what, keys allowed, bool required = false) {
    auto value = text(map, key, path, required);
    if (value && !one_of(*value, allowed)) {
      fail(child(path, key), unknown_value(what, *value, allowed));
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> flag(const YAML::Node& map, std::string_view key, const std::string& path) {
    const YAML::Node value = map[std::string(key)];
    if (!value.IsDefined()) return std::nullopt;
    bool result = false;
    if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result)) {
      fail(child(path, key), "expected true or false");
      return std::nullopt;
    }
    return result;
  }

  std::optional<std::chrono::seconds> duration(const YAML::Node& map, std::string_view key, const std::string& path) {
    auto value = text(map, key, path);
    if (!value) return std::nullopt;
    auto parsed = parse_duration(*value);
    if (!parsed) fail(child(path, key), "bad duration " + in_quotes(*value) + " (write e.g. 30m, 12h, 7d, 2w, or 0)");
    return parsed;
  }

  /// The list under `key`, when there is one; reports a value that is not a list.
  std::optional<const YAML::Node> list(const YAML::Node& map, std::string_view key, const std::string& path,
                                       bool required = false) {
    const YAML::Node value = map[std::string(key)];
    if (!value.IsDefined()) {
      if (required) fail(child(path, key), "required");
      return std::nullopt;
    }
    if (!value.IsSequence()) {
      fail(child(path, key), "expected a list, got " + std::string(kind_of(value)));
      return std::nullopt;
    }
    return value;
  }

  static std::string unknown_value(std::string_view what, std::string_view value, keys allowed) {
    return "unknown " + std::string(what) + " " + in_quotes(value) + " (allowed: " + joined(allowed) + ")";
  }

 private:
  std::vector<config_error> errors_;
};

/// `{env: NAME}` or `{file: PATH}`, resolved now.
std::optional<secret> read_secret(reader& r, const YAML::Node& node, const std::string& path,
                                  const std::filesystem::path& base_dir) {
  if (!node.IsMap()) {
    r.fail(path, std::string(secret_advice));
    return std::nullopt;
  }
  if (!r.expect_map(node, path, {"env", "file"})) return std::nullopt;
  const bool has_env = node["env"].IsDefined();
  const bool has_file = node["file"].IsDefined();
  if (has_env == has_file) {
    r.fail(path, has_env ? "give either env or file, not both" : std::string(secret_advice));
    return std::nullopt;
  }
  if (has_env) {
    auto name = r.non_empty(node, "env", path);
    if (!name) return std::nullopt;
    const char* value = std::getenv(name->c_str());
    if (value == nullptr || *value == '\0') {
      r.fail(path, "environment variable " + *name + (value == nullptr ? " is not set" : " is empty"));
      return std::nullopt;
    }
    return secret{value, "env:" + *name};
  }
  auto file = r.non_empty(node, "file", path);
  if (!file) return std::nullopt;
  const std::filesystem::path resolved = base_dir / *file;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(resolved, ec)) {
    r.fail(path, "secret file " + in_quotes(resolved.string()) + " does not exist");
    return std::nullopt;
  }
  std::ifstream in(resolved, std::ios::binary);
  std::string value{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.good() && !in.eof()) {
    r.fail(path, "cannot read secret file " + in_quotes(resolved.string()));
    return std::nullopt;
  }
  if (value.ends_with('\n')) value.pop_back();
  if (value.ends_with('\r')) value.pop_back();
  if (value.empty()) {
    r.fail(path, "secret file " + in_quotes(resolved.string()) + " is empty");
    return std::nullopt;
  }
  return secret{std::move(value), "file:" + *file};
}

/// One platform identity as a person entry lists it, with where it was written.
struct listed_identity {
  identity value;
  std::string path;
};

/// What one entry under `people:` says about the person (only what it writes explicitly).
struct person_entry {
  std::string path;
  std::string id;
  bool names_person = false;  ///< the entry has a `name` key (valid or not)
  std::optional<std::string> name;
  std::optional<std::string> time_zone;
  std::optional<std::string> language;
  std::optional<quiet_hours> quiet;
  std::optional<std::vector<listed_identity>> identities;
};

/// A person as assembled from all their entries, and which entry set each detail.
struct person_draft {
  person value;
  std::string first_path;
  bool named = false;                         ///< some entry has a `name` key
  std::map<std::string, std::string> set_at;  ///< field -> path of the entry that wrote it
  std::vector<listed_identity> identities;    ///< as written, when some entry wrote them
};

/// State shared by all collaborations of one file.
class seed_builder {
 public:
  seed_builder(reader& r, world& seed) : r_(r), seed_(seed) {}

  void collaboration_entry(const YAML::Node& node, const std::string& path) {
    if (!r_.expect_map(node, path, {"id", "name", "record_full_text", "rooms", "organizations", "people"})) return;
    collaboration c;
    if (auto id = r_.text(node, "id", path, true)) {
      if (!valid_collaboration_id(*id)) {
        r_.fail(child(path, "id"), "bad id " + in_quotes(*id) + " (use lowercase letters, digits and -)");
      } else if (auto [it, added] = collaboration_paths_.emplace(*id, path); !added) {
        r_.fail(child(path, "id"), "duplicate collaboration " + in_quotes(*id) + " (also at " + it->second + ")");
      }
      c.id = *id;
    }
    if (auto name = r_.non_empty(node, "name", path, true)) c.name = *name;
    if (auto full = r_.flag(node, "record_full_text", path)) c.record_full_text = *full;
    if (auto rooms = r_.list(node, "rooms", path)) {
      for (std::size_t i = 0; i < rooms->size(); ++i) room_entry((*rooms)[i], item(child(path, "rooms"), i), c);
    }
    std::map<std::string, std::string> org_paths;
    if (auto orgs = r_.list(node, "organizations", path)) {
      for (std::size_t i = 0; i < orgs->size(); ++i) {
        organization_entry((*orgs)[i], item(child(path, "organizations"), i), c.id, org_paths);
      }
    }
    bool roles_known = true;
    bool has_facilitator = false;
    std::map<std::string, std::string> person_paths;
    if (auto people = r_.list(node, "people", path, true)) {
      for (std::size_t i = 0; i < people->size(); ++i) {
        auto roles = person_entry_in((*people)[i], item(child(path, "people"), i), c.id, org_paths, person_paths);
        if (!roles)
          roles_known = false;
        else if (roles->contains(role::facilitator))
          has_facilitator = true;
      }
      if (roles_known && !has_facilitator) {
        r_.fail(child(path, "people"), "no facilitator (give at least one person roles: [facilitator])");
      }
    }
    const std::string key = c.id;
    seed_.collaborations[key] = std::move(c);
  }

  /// Checks what only all entries together tell (every person has a name, no identity belongs
  /// to two people), gives people without identities their console default, fills the seed's people.
  void finish() {
    std::map<identity, std::string> owners;
    for (const std::string& id : people_order_) {
      person_draft& draft = drafts_.at(id);
      if (!draft.named) r_.fail(child(draft.first_path, "name"), "required");
      const bool by_default = !draft.set_at.contains("identities");
      if (by_default) draft.identities = {{identity{"console", "", id}, draft.first_path}};
      for (const listed_identity& listed : draft.identities) {
        auto [owner, added] = owners.emplace(listed.value, id);
        if (!added) {
          r_.fail(listed.path, "identity " + describe(listed.value) +
                                   (by_default ? " (the default for a person without identities)" : "") +
                                   " is already claimed by person " + in_quotes(owner->second));
          continue;
        }
        draft.value.identities.push_back(listed.value);
      }
      seed_.people[id] = std::move(draft.value);
    }
  }

 private:
  void room_entry(const YAML::Node& node, const std::string& path, collaboration& c) {
    if (!r_.expect_map(node, path, {"platform", "workspace", "id"})) return;
    auto platform = r_.choice(node, "platform", path, "platform", platforms, true);
    auto workspace = r_.text(node, "workspace", path);
    auto id = r_.non_empty(node, "id", path, true);
    if (!platform || !id) return;
    room rm{*platform, workspace.value_or(""), *id};
    if (auto [it, added] = room_paths_.emplace(rm, path); !added) {
      r_.fail(path, "room " + describe(rm) + " is already listed at " + it->second);
      return;
    }
    c.rooms.push_back(std::move(rm));
  }

  void organization_entry(const YAML::Node& node, const std::string& path, const std::string& collaboration_id,
                          std::map<std::string, std::string>& org_paths) {
    if (!r_.expect_map(node, path, {"id", "name"})) return;
    organization org{collaboration_id, "", ""};
    auto id = r_.text(node, "id", path, true);
    auto name = r_.non_empty(node, "name", path, true);
    if (!id) return;
    if (!valid_id(*id)) {
      r_.fail(child(path, "id"),
              "bad id " + in_quotes(*id) + " (use lowercase letters, digits, \".\", \"_\" and \"-\")");
      return;
    }
    if (auto [it, added] = org_paths.emplace(*id, path); !added) {
      r_.fail(child(path, "id"), "duplicate organization " + in_quotes(*id) + " (also at " + it->second + ")");
      return;
    }
    org.id = *id;
    org.name = name.value_or("");
    seed_.organizations[{collaboration_id, *id}] = std::move(org);
  }

  /// Reads one entry under `people:`; returns its roles, or nothing when they are in error.
  std::optional<std::set<role>> person_entry_in(const YAML::Node& node, const std::string& path,
                                                const std::string& collaboration_id,
                                                const std::map<std::string, std::string>& org_paths,
                                                std::map<std::string, std::string>& person_paths) {
    if (!r_.expect_map(node, path, {"id", "name", "org", "roles", "tier", "tz", "lang", "quiet", "identities"})) {
      return std::nullopt;
    }
    person_entry entry{path, "", node["name"].IsDefined(), {}, {}, {}, {}, {}};
    bool id_ok = false;
    if (auto id = r_.text(node, "id", path, true)) {
      if (!valid_id(*id)) {
        r_.fail(child(path, "id"),
                "bad id " + in_quotes(*id) + " (use lowercase letters, digits, \".\", \"_\" and \"-\")");
      } else if (auto [it, added] = person_paths.emplace(*id, path); !added) {
        r_.fail(child(path, "id"), "duplicate person " + in_quotes(*id) + " (also at " + it->second + ")");
      } else {
        id_ok = true;
      }
      entry.id = *id;
    }
    membership m{collaboration_id, entry.id, "", {role::participant}, tier::active, true};
    std::optional<std::set<role>> roles = roles_of(node, path);
    if (roles) m.roles = *roles;
    if (auto t = r_.choice(node, "tier", path, "tier", tier_names)) m.tier = *tier_from_string(*t);
    if (auto org = r_.text(node, "org", path)) {
      if (!org_paths.contains(*org)) {
        std::vector<std::string_view> known;
        known.reserve(org_paths.size());
        for (const auto& [org_id, _] : org_paths) known.push_back(org_id);
        r_.fail(child(path, "org"),
                "unknown organization " + in_quotes(*org) +
                    (known.empty() ? " (this collaboration has no organizations)" : " (known: " + joined(known) + ")"));
      }
      m.organization = *org;
    } else if (roles && !roles->contains(role::facilitator)) {
      r_.fail(child(path, "org"), "required (only facilitators may have no organization)");
    }
    entry.name = r_.non_empty(node, "name", path);
    if (auto tz = r_.text(node, "tz", path)) {
      if (is_known_time_zone(*tz))
        entry.time_zone = *tz;
      else
        r_.fail(child(path, "tz"), "unknown time zone " + in_quotes(*tz));
    }
    if (auto lang = r_.text(node, "lang", path)) {
      if (valid_language(*lang))
        entry.language = *lang;
      else
        r_.fail(child(path, "lang"),
                "bad language " + in_quotes(*lang) + " (write a language code such as en, fr or pt-BR)");
    }
    if (auto quiet = r_.text(node, "quiet", path)) {
      entry.quiet = parse_quiet_choice(*quiet);
      if (!entry.quiet)
        r_.fail(child(path, "quiet"), "bad quiet hours " + in_quotes(*quiet) + " (write e.g. 19:00-08:00, or off)");
    }
    entry.identities = identities_of(node, path);
    if (id_ok) {
      merge(entry);
      seed_.memberships[{collaboration_id, entry.id}] = std::move(m);
    }
    return roles;
  }

  std::optional<std::set<role>> roles_of(const YAML::Node& node, const std::string& path) {
    const YAML::Node value = node["roles"];
    if (!value.IsDefined()) return std::set<role>{role::participant};
    auto list = r_.list(node, "roles", path);
    if (!list) return std::nullopt;
    if (list->size() == 0) {
      r_.fail(child(path, "roles"), "at least one role (allowed: " + joined(role_names) + ")");
      return std::nullopt;
    }
    std::set<role> roles;
    bool ok = true;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const YAML::Node entry = (*list)[i];
      const std::string entry_path = item(child(path, "roles"), i);
      std::optional<role> parsed = entry.IsScalar() ? role_from_string(entry.Scalar()) : std::nullopt;
      if (!entry.IsScalar()) {
        r_.fail(entry_path, "expected a single value, got " + std::string(kind_of(entry)));
      } else if (!parsed) {
        r_.fail(entry_path, reader::unknown_value("role", entry.Scalar(), role_names));
      }
      if (parsed)
        roles.insert(*parsed);
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return roles;
  }

  std::optional<std::vector<listed_identity>> identities_of(const YAML::Node& node, const std::string& path) {
    auto list = r_.list(node, "identities", path);
    if (!list) return std::nullopt;
    const std::string list_path = child(path, "identities");
    if (list->size() == 0) {
      r_.fail(list_path, "at least one identity (e.g. [{platform: console, user: ana}])");
      return std::nullopt;
    }
    std::vector<listed_identity> result;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const YAML::Node entry = (*list)[i];
      const std::string entry_path = item(list_path, i);
      if (!r_.expect_map(entry, entry_path, {"platform", "workspace", "user"})) continue;
      auto platform = r_.choice(entry, "platform", entry_path, "platform", platforms, true);
      auto workspace = r_.text(entry, "workspace", entry_path);
      auto user = r_.non_empty(entry, "user", entry_path, true);
      if (!platform || !user) continue;
      identity id{*platform, workspace.value_or(""), *user};
      if (std::ranges::any_of(result, [&](const listed_identity& l) { return l.value == id; })) {
        r_.fail(entry_path, "identity " + describe(id) + " is listed twice");
        continue;
      }
      result.push_back({std::move(id), entry_path});
    }
    return result;
  }

  /// Folds one entry into the person's draft: details written in several entries must agree.
  void merge(const person_entry& entry) {
    auto [it, added] = drafts_.try_emplace(entry.id);
    person_draft& draft = it->second;
    if (added) {
      people_order_.push_back(entry.id);
      draft.first_path = entry.path;
      draft.value.id = entry.id;
    }
    draft.named = draft.named || entry.names_person;
    // True when `field` was not written before (the caller then takes the value); reports a
    // disagreement with an earlier entry when `same` is false.
    auto first_or_agree = [&](std::string_view field, std::string_view what, bool same, const std::string& earlier) {
      auto at = draft.set_at.find(std::string(field));
      if (at == draft.set_at.end()) {
        draft.set_at.emplace(field, entry.path);
        return true;
      }
      if (!same) {
        r_.fail(child(entry.path, field), "person " + in_quotes(entry.id) + " has " + std::string(what) + " " +
                                              earlier + " at " + at->second +
                                              "; a person's details must agree in every collaboration");
      }
      return false;
    };
    person& p = draft.value;
    if (entry.name && first_or_agree("name", "name", *entry.name == p.name, in_quotes(p.name))) p.name = *entry.name;
    if (entry.time_zone && first_or_agree("tz", "time zone", *entry.time_zone == p.time_zone, in_quotes(p.time_zone))) {
      p.time_zone = *entry.time_zone;
      p.time_zone_origin = zone_origin::given;
    }
    if (entry.language && first_or_agree("lang", "language", *entry.language == p.language, in_quotes(p.language))) {
      p.language = *entry.language;
    }
    if (entry.quiet && first_or_agree("quiet", "quiet hours", entry.quiet == p.quiet, describe(p.quiet)))
      p.quiet = entry.quiet;
    if (entry.identities &&
        first_or_agree("identities", "identities", values(*entry.identities) == values(draft.identities),
                       describe(values(draft.identities)))) {
      draft.identities = *entry.identities;
    }
  }

  static std::vector<identity> values(const std::vector<listed_identity>& listed) {
    std::vector<identity> result;
    result.reserve(listed.size());
    for (const listed_identity& l : listed) result.push_back(l.value);
    return result;
  }

  reader& r_;
  world& seed_;
  std::map<std::string, std::string> collaboration_paths_;
  std::map<room, std::string> room_paths_;
  std::map<std::string, person_draft> drafts_;
  std::vector<std::string> people_order_;
};

/// `https://host[:port][/prefix]` (or http://); returns it without a trailing slash.
std::optional<std::string> parse_base_url(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const std::string_view host = rest.substr(0, rest.find('/'));
  const bool host_ok = !host.empty() && std::ranges::all_of(host, [](char c) {
    return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
  if (!host_ok || rest.find_first_of("?#@ ") != std::string_view::npos) return std::nullopt;
  while (text.ends_with('/')) text.remove_suffix(1);
  return std::string(text);
}

/// `@localpart:server`.
bool valid_matrix_user_id(std::string_view id) {
  const auto colon = id.find(':');
  return id.starts_with('@') && colon != std::string_view::npos && colon > 1 && colon + 1 < id.size() &&
         id.find_first_of(" \t") == std::string_view::npos;
}

void read_matrix(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir, tandem_config& config) {
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
  if (auto ca = r.non_empty(node, "ca_file", path)) {
    std::error_code ec;
    m.ca_file = base_dir / *ca;
    if (!std::filesystem::is_regular_file(m.ca_file, ec)) {
      r.fail(child(path, "ca_file"), "file " + in_quotes(m.ca_file.string()) + " does not exist");
    }
  }
  config.matrix = std::move(m);
}

/// A Slack id: `first` (one of its letters) then at least two capital letters or digits.
bool valid_slack_id(std::string_view id, std::string_view first) {
  return id.size() >= 3 && id.size() <= 32 && first.find(id.front()) != std::string_view::npos &&
         std::ranges::all_of(id.substr(1), [](char c) { return (c >= 'A' && c <= 'Z') || is_digit(c); });
}

void read_slack_workspace(reader& r, const YAML::Node& node, const std::string& path,
                          const std::filesystem::path& base_dir, std::map<std::string, std::string>& seen,
                          slack_config& slack) {
  if (!r.expect_map(node, path, {"team_id", "bot_token", "signing_secret", "bot_user_id", "app_token"})) return;
  // `prefix`: what the token must start with (the prefix is no secret); `hint`: what to do instead.
  const auto secret_at = [&](std::string_view key, std::string_view prefix,
                             std::string_view hint) -> std::optional<secret> {
    const YAML::Node value = node[std::string(key)];
    if (!value.IsDefined()) return std::nullopt;
    auto found = read_secret(r, value, child(path, key), base_dir);
    if (found && !prefix.empty() && !found->reveal().starts_with(prefix)) {
      r.fail(child(path, key), "the value from " + found->describe() + " does not start with " +
                                   std::string(prefix) + " (" + std::string(hint) + ")");
      return std::nullopt;
    }
    return found;
  };
  auto team_id = r.non_empty(node, "team_id", path, true);
  if (team_id && !valid_slack_id(*team_id, "TE")) {
    r.fail(child(path, "team_id"), "bad Slack team id " + in_quotes(*team_id) + " (write it as T0123ABCD)");
    team_id.reset();
  }
  if (team_id) {
    if (const auto [earlier, fresh] = seen.try_emplace(*team_id, path); !fresh) {
      r.fail(child(path, "team_id"), "workspace " + *team_id + " is listed twice (also at " + earlier->second + ")");
      team_id.reset();
    }
  }
  if (!node["bot_token"].IsDefined()) r.fail(child(path, "bot_token"), "required, e.g. bot_token: {env: SLACK_BOT_TOKEN}");
  auto bot_token = secret_at("bot_token", "xoxb-", "give the Bot User OAuth Token; an xapp- token goes in app_token");
  auto app_token = secret_at("app_token", "xapp-", "give an app-level token with the connections:write scope");
  auto signing_secret = secret_at("signing_secret", "", "");
  if (!node["signing_secret"].IsDefined() && !node["app_token"].IsDefined()) {
    r.fail(child(path, "signing_secret"),
           "required unless app_token is given (Socket Mode), e.g. signing_secret: {env: SLACK_SIGNING_SECRET}");
  }
  std::string bot_user_id;
  if (auto user = r.non_empty(node, "bot_user_id", path)) {
    if (valid_slack_id(*user, "UW")) {
      bot_user_id = *user;
    } else {
      r.fail(child(path, "bot_user_id"), "bad Slack user id " + in_quotes(*user) + " (write it as U0123ABCD)");
    }
  }
  if (team_id && bot_token) {
    slack.workspaces.push_back(
        slack_workspace_config{*team_id, std::move(*bot_token), std::move(signing_secret), bot_user_id, std::move(app_token)});
  }
}

void read_slack(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir, tandem_config& config) {
  const std::string path = "adapters.slack";
  if (!r.expect_map(node, path, {"workspaces", "api_base_url", "ca_file"})) return;
  slack_config slack;
  if (auto url = r.non_empty(node, "api_base_url", path)) {
    if (auto base = parse_base_url(*url)) {
      slack.api_base_url = *base + "/";
    } else {
      r.fail(child(path, "api_base_url"), "bad URL " + in_quotes(*url) + " (write it as https://slack.com/api/)");
    }
  }
  if (auto ca = r.non_empty(node, "ca_file", path)) {
    std::error_code ec;
    slack.ca_file = base_dir / *ca;
    if (!std::filesystem::is_regular_file(slack.ca_file, ec)) {
      r.fail(child(path, "ca_file"), "file " + in_quotes(slack.ca_file.string()) + " does not exist");
    }
  }
  if (auto workspaces = r.list(node, "workspaces", path, true)) {
    if (workspaces->size() == 0) r.fail(child(path, "workspaces"), "at least one workspace is needed");
    std::map<std::string, std::string> seen;  // team id -> where it was listed
    for (std::size_t i = 0; i < workspaces->size(); ++i) {
      read_slack_workspace(r, (*workspaces)[i], item(child(path, "workspaces"), i), base_dir, seen, slack);
    }
  }
  config.slack = std::move(slack);
}

void read_webhook_channel(reader& r, const YAML::Node& node, const std::string& path,
                          const std::filesystem::path& base_dir, std::map<std::string, std::string>& seen,
                          webhook_config& webhook, std::vector<std::string>& paths) {
  if (!r.expect_map(node, path, {"name", "dialect", "kind", "url", "token", "secret", "organization"})) return;
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

/// Reads `adapters.webhook`; returns where each channel kept in the config was written.
std::vector<std::string> read_webhook(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir,
                                      tandem_config& config) {
  const std::string path = "adapters.webhook";
  std::vector<std::string> paths;
  if (!r.expect_map(node, path, {"channels", "public_url", "link_secret", "link_lifetime", "ca_file"})) return paths;
  webhook_config webhook;
  if (auto url = r.non_empty(node, "public_url", path)) {
    if (auto base = parse_base_url(*url)) {
      webhook.public_url = *base;
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
  if (auto ca = r.non_empty(node, "ca_file", path)) {
    std::error_code ec;
    webhook.ca_file = base_dir / *ca;
    if (!std::filesystem::is_regular_file(webhook.ca_file, ec)) {
      r.fail(child(path, "ca_file"), "file " + in_quotes(webhook.ca_file.string()) + " does not exist");
    }
  }
  if (auto channels = r.list(node, "channels", path, true)) {
    if (channels->size() == 0) r.fail(child(path, "channels"), "at least one channel is needed");
    std::map<std::string, std::string> seen;  // name -> where it was listed
    for (std::size_t i = 0; i < channels->size(); ++i) {
      read_webhook_channel(r, (*channels)[i], item(child(path, "channels"), i), base_dir, seen, webhook, paths);
    }
  }
  config.webhook = std::move(webhook);
  return paths;
}

/// Webhook channels bound to an organization: its people whose only identity is the console
/// default (none written) are reached in the channel, as user = their person id.
void bind_webhook_organizations(reader& r, tandem_config& config, const std::vector<std::string>& channel_paths) {
  if (!config.webhook) return;
  for (std::size_t i = 0; i < config.webhook->channels.size(); ++i) {
    const webhook_channel_config& c = config.webhook->channels[i];
    if (c.organization.empty()) continue;
    if (!config.seed.organizations.contains({c.collaboration, c.organization})) {
      r.fail(child(channel_paths[i], "organization"),
             "no organization " + in_quotes(c.organization) + " in collaboration " + in_quotes(c.collaboration));
      continue;
    }
    for (const auto& [key, m] : config.seed.memberships) {
      if (m.collaboration != c.collaboration || m.organization != c.organization) continue;
      person& p = config.seed.people.at(m.person);
      if (p.identities == std::vector<identity>{identity{"console", "", p.id}}) {
        p.identities = {identity{"webhook", c.name, p.id}};
      }
    }
  }
}

void read_http(reader& r, const YAML::Node& node, const std::filesystem::path& base_dir, tandem_config& config) {
  if (!r.expect_map(node, "http", {"listen", "body_limit", "metrics_token", "public_url"})) return;
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

void read_tiers(reader& r, const YAML::Node& node, std::map<tier, tier_policy>& tiers) {
  if (!r.expect_map(node, "tiers", tier_names, "tier")) return;
  for (auto& [which, policy] : tiers) {
    const std::string name{to_string(which)};
    const YAML::Node entry = node[name];
    const std::string path = child("tiers", name);
    if (!entry.IsDefined() || !r.expect_map(entry, path, {"schedule", "silence_after", "recently_active"})) continue;
    if (auto text = r.text(entry, "schedule", path)) {
      const auto parsed = schedule::parse(*text);
      if (const auto* problem = std::get_if<std::string>(&parsed)) {
        r.fail(child(path, "schedule"), *problem);
      } else {
        policy.schedule = *text;
      }
    }
    if (auto silence = r.duration(entry, "silence_after", path)) policy.silence_after = *silence;
    if (auto recent = r.duration(entry, "recently_active", path)) policy.recently_active = *recent;
  }
}

void read_engine(reader& r, const YAML::Node& node, engine_settings& engine) {
  if (!r.expect_map(node, "engine", {"lateness", "remind_before", "reminder_time", "escalate_after", "lull_after",
                                     "rhythm_factor", "digest", "clash_days", "quiet_hours", "working_days"})) {
    return;
  }
  if (auto text = r.text(node, "quiet_hours", "engine")) {
    if (auto quiet = parse_quiet_choice(*text)) {
      engine.default_quiet = *quiet;
    } else {
      r.fail("engine.quiet_hours", "bad quiet hours " + in_quotes(*text) + " (write e.g. 20:00-08:00, or off)");
    }
  }
  if (auto text = r.text(node, "working_days", "engine")) {
    if (auto days = parse_working_days(*text)) {
      engine.working_days = *days;
    } else {
      r.fail("engine.working_days",
             "bad working days " + in_quotes(*text) + " (write every day, weekdays, or days such as mon-fri or mon,wed,fri)");
    }
  }
  if (auto d = r.duration(node, "lateness", "engine")) engine.lateness = *d;
  if (auto d = r.duration(node, "remind_before", "engine")) engine.remind_before = *d;
  if (auto d = r.duration(node, "escalate_after", "engine")) engine.escalate_after = *d;
  if (auto d = r.duration(node, "lull_after", "engine")) engine.lull_after = *d;
  if (auto time = r.text(node, "reminder_time", "engine")) {
    if (auto minute = parse_minute_of_day(*time)) {
      engine.reminder_minute = *minute;
    } else {
      r.fail("engine.reminder_time", "bad time " + in_quotes(*time) + " (write HH:MM, e.g. 09:00)");
    }
  }
  if (auto factor = r.text(node, "rhythm_factor", "engine")) {
    auto n = parse_digits(*factor, 2);
    if (n && *n >= 1) {
      engine.rhythm_factor = static_cast<int>(*n);
    } else {
      r.fail("engine.rhythm_factor", "bad factor " + in_quotes(*factor) + " (write a whole number from 1 to 99)");
    }
  }
  if (auto text = r.text(node, "digest", "engine")) {
    const auto parsed = schedule::parse(*text);
    if (const auto* problem = std::get_if<std::string>(&parsed)) {
      r.fail("engine.digest", *problem);
    } else {
      engine.digest_schedule = *text;
    }
  }
  if (auto days = r.text(node, "clash_days", "engine")) {
    if (auto n = parse_digits(*days, 2)) {
      engine.clash_days = static_cast<int>(*n);
    } else {
      r.fail("engine.clash_days", "bad number of days " + in_quotes(*days) + " (write a whole number from 0 to 99)");
    }
  }
}

config_result read_document(const YAML::Node& root, const std::filesystem::path& base_dir) {
  reader r;
  tandem_config config;
  config.store_path = base_dir / "tandem.db";
  config.seed.tiers = default_tiers();
  if (!root.IsMap()) {
    r.fail("", root.IsDefined() && !root.IsNull()
                   ? "expected a mapping of sections (store, http, log, adapters, tiers, collaborations), got " +
                         std::string(kind_of(root))
                   : "the config is empty: it needs at least a collaborations section");
    return {std::nullopt, r.take_errors()};
  }
  r.expect_map(root, "", {"store", "http", "log", "adapters", "engine", "tiers", "collaborations"}, "section");
  if (auto store = r.non_empty(root, "store", "")) config.store_path = base_dir / *store;
  if (const YAML::Node http = root["http"]; http.IsDefined()) read_http(r, http, base_dir, config);
  if (const YAML::Node log = root["log"]; log.IsDefined() && r.expect_map(log, "log", {"level", "format"})) {
    if (auto level = r.choice(log, "level", "log", "log level", log_levels)) config.log_level = *level;
    if (auto format = r.choice(log, "format", "log", "log format", log_formats)) config.log_format = *format;
  }
  std::vector<std::string> webhook_channel_paths;  // where each webhook channel was written
  if (const YAML::Node adapters = root["adapters"];
      adapters.IsDefined() && r.expect_map(adapters, "adapters", {"console", "matrix", "slack", "webhook"}, "adapter")) {
    if (const YAML::Node console = adapters["console"];
        console.IsDefined() && r.expect_map(console, "adapters.console", {"enabled"})) {
      if (auto enabled = r.flag(console, "enabled", "adapters.console")) config.console_enabled = *enabled;
    }
    if (const YAML::Node matrix = adapters["matrix"]; matrix.IsDefined()) read_matrix(r, matrix, base_dir, config);
    if (const YAML::Node slack = adapters["slack"]; slack.IsDefined()) read_slack(r, slack, base_dir, config);
    if (const YAML::Node webhook = adapters["webhook"]; webhook.IsDefined()) {
      webhook_channel_paths = read_webhook(r, webhook, base_dir, config);
    }
  }
  if (const YAML::Node tiers = root["tiers"]; tiers.IsDefined()) read_tiers(r, tiers, config.seed.tiers);
  if (const YAML::Node engine = root["engine"]; engine.IsDefined()) read_engine(r, engine, config.seed.engine);
  seed_builder builder(r, config.seed);
  if (auto collaborations = r.list(root, "collaborations", "", true)) {
    if (collaborations->size() == 0) r.fail("collaborations", "at least one collaboration is needed");
    for (std::size_t i = 0; i < collaborations->size(); ++i) {
      builder.collaboration_entry((*collaborations)[i], item("collaborations", i));
    }
  }
  builder.finish();
  bind_webhook_organizations(r, config, webhook_channel_paths);
  if (!r.ok()) return {std::nullopt, r.take_errors()};
  return {std::move(config), {}};
}

/// Builds the reconciliation: additions with their audit lines, and conflict lines.
class reconciler {
 public:
  explicit reconciler(time_point now) : now_(now) {}

  time_point now() const { return now_; }

  /// One save, and one audit line for each thing it adds.
  void add(action a, const std::string& collaboration_id, const std::vector<std::string>& details) {
    result_.additions.push_back(std::move(a));
    for (const std::string& detail : details) {
      result_.additions.emplace_back(record_audit{{now_, collaboration_id, "config", "config.add", detail}});
    }
  }

  void conflict(const std::string& subject, std::string_view what, const std::string& config_says,
                const std::string& store_has, std::string_view outcome) {
    result_.conflicts.push_back(subject + ": config says " + std::string(what) + " " + config_says + ", store has " +
                                store_has + " " + std::string(outcome));
  }

  void note(std::string line) { result_.conflicts.push_back(std::move(line)); }

  /// An audit line for something added by an action already given.
  void audit_addition(const std::string& collaboration_id, const std::string& detail) {
    result_.additions.emplace_back(record_audit{{now_, collaboration_id, "config", "config.add", detail}});
  }

  /// An action that follows from another one (audited with it).
  void also(action a) { result_.additions.push_back(std::move(a)); }

  /// A change the config makes to what the store has, with its audit line.
  void change(action a, const std::string& collaboration_id, std::string detail) {
    result_.additions.push_back(std::move(a));
    result_.additions.emplace_back(record_audit{{now_, collaboration_id, "config", "config.change", std::move(detail)}});
  }

  config_reconciliation take() { return std::move(result_); }

 private:
  time_point now_;
  config_reconciliation result_;
};

void reconcile_collaborations(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [id, c] : seed.collaborations) {
    const auto old = stored.collaborations.find(id);
    const std::string subject = "collaboration " + id;
    collaboration result =
        old == stored.collaborations.end() ? collaboration{id, c.name, c.record_full_text, {}} : old->second;
    if (old != stored.collaborations.end()) {
      if (old->second.name != c.name)
        rc.conflict(subject, "name", in_quotes(c.name), in_quotes(old->second.name), store_wins);
      if (old->second.record_full_text != c.record_full_text) {
        rc.conflict(subject, "record_full_text", c.record_full_text ? "true" : "false",
                    old->second.record_full_text ? "true" : "false", store_wins);
      }
    }
    std::vector<std::string> added;  // audit details of the rooms added
    for (const room& rm : c.rooms) {
      if (std::ranges::find(result.rooms, rm) != result.rooms.end()) continue;
      if (auto owner = collaboration_of_room(stored, rm); owner && *owner != id) {
        rc.note(subject + ": config lists room " + describe(rm) + ", store gives it to collaboration " + *owner + " " +
                std::string(store_wins));
        continue;
      }
      result.rooms.push_back(rm);
      added.push_back("room " + describe(rm) + " in collaboration " + id);
    }
    if (old == stored.collaborations.end()) {
      rc.add(save_collaboration{result}, id, {"collaboration " + id + " " + in_quotes(c.name)});
    } else if (!added.empty()) {
      rc.add(save_collaboration{result}, id, added);
    }
  }
}

void reconcile_organizations(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [key, org] : seed.organizations) {
    const auto old = stored.organizations.find(key);
    if (old == stored.organizations.end()) {
      rc.add(save_organization{org}, org.collaboration,
             {"organization " + org.id + " " + in_quotes(org.name) + " in collaboration " + org.collaboration});
    } else if (old->second.name != org.name) {
      rc.conflict("organization " + org.collaboration + "/" + org.id, "name", in_quotes(org.name),
                  in_quotes(old->second.name), store_wins);
    }
  }
}

void reconcile_people(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [id, p] : seed.people) {
    const auto old = stored.people.find(id);
    const std::string subject = "person " + id;
    const auto collaborations = collaborations_of(seed, id);
    const std::string audit_collaboration = collaborations.empty() ? "" : collaborations.front();
    person result = p;
    std::string zone_change;  // the audit detail when the config's zone replaces the stored one
    std::vector<action> moved_slots;
    if (old != stored.people.end()) {
      const person& s = old->second;
      if (s.name != p.name) rc.conflict(subject, "name", in_quotes(p.name), in_quotes(s.name), store_wins);
      if (p.time_zone_origin == zone_origin::given && s.time_zone_origin == zone_origin::given &&
          s.time_zone != p.time_zone) {
        rc.conflict(subject, "time zone", in_quotes(p.time_zone), in_quotes(s.time_zone), store_wins_command);
      }
      if (s.language != p.language) {
        rc.conflict(subject, "language", in_quotes(p.language), in_quotes(s.language), store_wins_command);
      }
      if (s.quiet != p.quiet)
        rc.conflict(subject, "quiet hours", describe(p.quiet), describe(s.quiet), store_wins_command);
      result = s;
      // Nobody chose a defaulted or learned zone, so a zone the config gives replaces it (a zone
      // given by the config before or by the `tz` command stays: the store wins, as above).
      if (p.time_zone_origin == zone_origin::given && s.time_zone_origin != zone_origin::given) {
        result.time_zone = p.time_zone;
        result.time_zone_origin = zone_origin::given;
        zone_change = subject + ": time zone " + in_quotes(s.time_zone) + " (" +
                      (s.time_zone_origin == zone_origin::learned ? "learned" : "default") + ") -> " +
                      in_quotes(p.time_zone) + " (config)";
        moved_slots = follow_time_zone(stored, id, s.time_zone, p.time_zone, rc.now());
      }
    } else {
      result.identities.clear();
    }
    std::vector<std::string> added;  // audit details of the identities added
    for (const identity& ident : p.identities) {
      if (std::ranges::find(result.identities, ident) != result.identities.end()) continue;
      if (const person* owner = find_person_by_identity(stored, ident); owner != nullptr && owner->id != id) {
        rc.note(subject + ": config lists identity " + describe(ident) + ", store gives it to person " + owner->id +
                " " + std::string(store_wins));
        continue;
      }
      result.identities.push_back(ident);
      added.push_back("identity " + describe(ident) + " of person " + id);
    }
    if (old == stored.people.end()) {
      rc.add(save_person{result}, audit_collaboration, {"person " + id + " " + in_quotes(p.name)});
    } else if (!zone_change.empty()) {
      rc.change(save_person{result}, audit_collaboration, zone_change);
      for (const std::string& detail : added) rc.audit_addition(audit_collaboration, detail);
      for (action& a : moved_slots) rc.also(std::move(a));
    } else if (!added.empty()) {
      rc.add(save_person{result}, audit_collaboration, added);
    }
  }
}

void reconcile_memberships(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [key, m] : seed.memberships) {
    const auto old = stored.memberships.find(key);
    const std::string subject = "membership " + m.person + " in " + m.collaboration;
    if (old == stored.memberships.end()) {
      rc.add(save_membership{m}, m.collaboration,
             {"member " + m.person + " of " + m.collaboration + " (organization " +
              (m.organization.empty() ? std::string("none") : m.organization) + "; roles " + describe(m.roles) +
              "; tier " + std::string(to_string(m.tier)) + ")"});
      continue;
    }
    const membership& s = old->second;
    if (!s.active) {
      rc.note(subject + ": config lists them, store has them removed (the store wins; add them again with a command)");
      continue;
    }
    auto org_name = [](const std::string& org) { return org.empty() ? std::string("none") : in_quotes(org); };
    if (s.organization != m.organization) {
      rc.conflict(subject, "organization", org_name(m.organization), org_name(s.organization), store_wins_command);
    }
    if (s.roles != m.roles) rc.conflict(subject, "roles", describe(m.roles), describe(s.roles), store_wins_command);
    if (s.tier != m.tier) {
      rc.conflict(subject, "tier", std::string(to_string(m.tier)), std::string(to_string(s.tier)), store_wins_command);
    }
  }
}

void reconcile_tiers(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [which, policy] : seed.tiers) {
    const std::string name{to_string(which)};
    const auto old = stored.tiers.find(which);
    if (old == stored.tiers.end()) {
      rc.add(save_tier_policy{which, policy}, "",
             {"tier " + name + " (schedule " + in_quotes(policy.schedule) + ", silence after " +
              format_duration(policy.silence_after) + ", recently active " + format_duration(policy.recently_active) +
              ")"});
      continue;
    }
    // No command changes a tier policy: the config is where it is set, so the config wins.
    const tier_policy& s = old->second;
    std::vector<std::string> changes;
    if (s.schedule != policy.schedule) changes.push_back("schedule " + in_quotes(s.schedule) + " -> " + in_quotes(policy.schedule));
    if (s.silence_after != policy.silence_after) {
      changes.push_back("silence after " + format_duration(s.silence_after) + " -> " + format_duration(policy.silence_after));
    }
    if (s.recently_active != policy.recently_active) {
      changes.push_back("recently active " + format_duration(s.recently_active) + " -> " +
                        format_duration(policy.recently_active));
    }
    if (changes.empty()) continue;
    std::string detail = "tier " + name + ": " + changes.front();
    for (std::size_t i = 1; i < changes.size(); ++i) detail += ", " + changes[i];
    rc.change(save_tier_policy{which, policy}, "", std::move(detail));
  }
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
    return {std::nullopt, {{where, e.msg}}};
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
  if (!in) return {std::nullopt, {{file.string(), "cannot read the config file"}}};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.parent_path(), file.string());
}

config_reconciliation reconcile_with_store(const world& seed, const world& stored, time_point now) {
  reconciler rc(now);
  reconcile_collaborations(rc, seed, stored);
  reconcile_organizations(rc, seed, stored);
  reconcile_people(rc, seed, stored);
  reconcile_memberships(rc, seed, stored);
  reconcile_tiers(rc, seed, stored);
  return rc.take();
}

}  // namespace tandem
