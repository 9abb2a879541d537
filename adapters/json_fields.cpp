#include "adapters/json_fields.h"

namespace tandem {

using nlohmann::json;

std::string string_field(const json& object, std::string_view key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

const json& object_field(const json& object, std::string_view key) {
  static const json none;
  if (!object.is_object()) return none;
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : none;
}

bool true_field(const json& object, std::string_view key) {
  if (!object.is_object()) return false;
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace tandem
