#include "storage/sql/sql_column_text.h"

#include "core/store.h"
#include "storage/sql/sql_statements.h"

#include <algorithm>

namespace tandem::sql {

std::string roles_text(const std::set<role>& roles) {
  std::string text;
  for (role r : roles) {
    if (!text.empty()) text += ',';
    text += to_string(r);
  }
  return text;
}

std::set<role> roles_from_text(const std::string& text) {
  std::set<role> roles;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = text.substr(start, comma - start);
    roles.insert(parsed(role_from_string(name), "role", name));
    start = comma + 1;
  }
  return roles;
}

// Invalid UTF-8 in a value is replaced rather than thrown on: failing would roll back the whole
// apply and leave its event unhandled on every retry.
std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string rooms_text(const std::vector<room>& rooms) {
  nlohmann::json list = nlohmann::json::array();
  for (const room& r : rooms) list.push_back({{"platform", r.platform}, {"workspace", r.workspace}, {"id", r.id}});
  return json_text(list);
}

std::vector<room> rooms_from_text(const std::string& text) {
  try {
    std::vector<room> rooms;
    for (const nlohmann::json& item : nlohmann::json::parse(text)) {
      rooms.push_back(room{item.at("platform").get<std::string>(), item.at("workspace").get<std::string>(),
                           item.at("id").get<std::string>()});
    }
    return rooms;
  } catch (const nlohmann::json::exception& e) {
    throw store_error(std::string{"corrupt rooms of a collaboration: "} + e.what());
  }
}

nlohmann::json values_from_text(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw store_error(std::string{"corrupt outbox values: "} + e.what());
  }
}

}  // namespace tandem::sql
