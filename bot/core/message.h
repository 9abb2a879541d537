#pragma once
// What the core wants said, as a template kind with its values; rendering happens outside.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

/// A message kind names a template in prompts/<lang>/<kind>.mustache; values fill it.
struct message {
  std::string kind;
  nlohmann::json values = nlohmann::json::object();
  bool operator==(const message&) const = default;
};

/// What a template of a kind may use: the names of its top-level values and, for lists,
/// the fields of their items. The template catalog rejects templates that use anything else.
struct message_kind_spec {
  std::string kind;
  std::vector<std::string> variables;
};

/// Every message kind the core can produce, with the variables it always provides.
const std::vector<message_kind_spec>& message_kinds();

}  // namespace tandem
