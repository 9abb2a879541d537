#pragma once
// The YAML reader of the config: walks the tree, collects every error with its place
// (`collaborations[0].people[3].tz`), suggests the key meant (did you mean "tz"?), parses the
// values every section shares (durations, sizes, addresses, URLs, ids) and resolves secrets
// written as `{env: NAME}` or `{file: PATH}`. Knows no section; the sections use it.

#include "app/config.h"
#include "app/config_text.h"

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::config_detail {

/// The keys (or values) a place allows.
using keys = std::initializer_list<std::string_view>;

/// `path.key`, or `key` at the top. Pure.
std::string child(const std::string& path, std::string_view key);
/// `path[index]`. Pure.
std::string item(const std::string& path, std::size_t index);
/// True when `word` is one of `allowed`. Pure.
bool one_of(std::string_view word, keys allowed);
/// A known key close to `key`: a common synonym, or one at most two edits away. Pure.
std::optional<std::string_view> suggestion(std::string_view key, keys allowed);
/// "a mapping", "a list", "a single value" or "nothing", for errors. Pure.
std::string_view kind_of(const YAML::Node& node);

bool is_alpha(char c);
bool is_digit(char c);
/// Lowercase letters, digits, `.`, `_` and `-`; 1 to 64 of them. Pure.
bool valid_id(std::string_view id);
/// At most `max_digits` decimal digits and nothing else. Pure.
std::optional<std::uint64_t> parse_digits(std::string_view text, std::size_t max_digits);
/// `30m`, `12h`, `7d`, `2w` or `0`. Pure.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
/// `1048576`, `512KiB`, `1MiB`; more than zero. Pure.
std::optional<std::size_t> parse_size(std::string_view text);

/// A host and port as `http.listen` takes them.
struct listen_address {
  std::string host;  ///< IPv6 without brackets
  std::uint16_t port = 0;
};

/// `127.0.0.1:8080`, `localhost:0`, `[::1]:8080`. Pure.
std::optional<listen_address> parse_listen(std::string_view text);
/// `https://host[:port][/prefix]` (or http://); returns it without a trailing slash. Pure.
std::optional<std::string> parse_base_url(std::string_view text);

/// Walks the YAML tree, collecting every error with its path.
class reader {
 public:
  void fail(std::string path, std::string message) { errors_.push_back({std::move(path), std::move(message)}); }

  std::vector<config_error> take_errors() { return std::move(errors_); }
  /// A setting that is read but should be written otherwise; not an error.
  void warn(std::string path, std::string message) { warnings_.push_back({std::move(path), std::move(message)}); }
  std::vector<config_error> take_warnings() { return std::move(warnings_); }
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
  std::vector<config_error> warnings_;
};

/// `{env: NAME}` or `{file: PATH}` at `node`, resolved now (a relative file against `base_dir`);
/// nothing, with an error reported to `r`, when it is written otherwise or cannot be resolved.
std::optional<secret> read_secret(reader& r, const YAML::Node& node, const std::string& path,
                                  const std::filesystem::path& base_dir);

/// The file named under `key` of `node`, resolved against `base_dir` (`ca_file`); an error when it
/// does not exist; nothing when the key is absent.
std::optional<std::filesystem::path> read_existing_file(reader& r, const YAML::Node& node, std::string_view key,
                                                        const std::string& path,
                                                        const std::filesystem::path& base_dir);

}  // namespace tandem::config_detail
