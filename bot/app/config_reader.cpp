// The YAML reader: places in errors, did-you-mean, shared value parsers, secrets from env or file.
#include "app/config_reader.h"

#include "core/edit_distance.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <system_error>
#include <utility>

namespace tandem::config_detail {

namespace {

constexpr std::string_view secret_advice = "write secrets as {env: NAME} or {file: PATH}, never in the file";

}  // namespace

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string item(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

bool one_of(std::string_view word, keys allowed) { return std::ranges::find(allowed, word) != allowed.end(); }

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

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

std::optional<std::uint64_t> parse_digits(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits || !std::ranges::all_of(text, is_digit)) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

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

std::optional<std::filesystem::path> read_existing_file(reader& r, const YAML::Node& node, std::string_view key,
                                                        const std::string& path,
                                                        const std::filesystem::path& base_dir) {
  auto name = r.non_empty(node, key, path);
  if (!name) return std::nullopt;
  std::filesystem::path file = base_dir / *name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    r.fail(child(path, key), "file " + in_quotes(file.string()) + " does not exist");
  }
  return file;
}

}  // namespace tandem::config_detail
