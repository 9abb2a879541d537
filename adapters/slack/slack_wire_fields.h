#pragma once
// Reading the fields of Slack's JSON payloads, shared by the parsers of events, slash commands
// and interactivity: required fields, trimming (strings and objects that may be missing or of
// another type are read with adapters/json_fields.h). Pure; no I/O.

#include "adapters/json_fields.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace tandem::slack::wire {

/// Collects the first missing required field of a wire struct, as "`<where>.<key>` missing".
class required_fields {
 public:
  std::string take(const nlohmann::json& object, std::string_view key, std::string_view where = {}) {
    return require(string_field(object, key), key, where);
  }
  /// `value`, noting `key` as missing when it is empty.
  std::string require(std::string value, std::string_view key, std::string_view where = {}) {
    if (value.empty() && missing_.empty()) {
      missing_ = (where.empty() ? "" : std::string(where) + ".") + std::string(key) + " missing";
    }
    return value;
  }
  const std::string& missing() const { return missing_; }

 private:
  std::string missing_;
};

/// `text` without leading and trailing whitespace.
std::string_view trim(std::string_view text);

/// True for a DM channel id ("D…").
bool is_direct_channel(std::string_view channel);

/// `text` parsed as JSON; nothing when it is not JSON.
std::optional<nlohmann::json> parse_json(std::string_view text);

}  // namespace tandem::slack::wire
