#include "adapters/slack/slack_wire_fields.h"

namespace tandem::slack::wire {

using json = nlohmann::json;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

bool is_direct_channel(std::string_view channel) { return channel.starts_with('D'); }

std::optional<json> parse_json(std::string_view text) {
  json value = json::parse(text.begin(), text.end(), nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

}  // namespace tandem::slack::wire
