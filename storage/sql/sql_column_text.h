#pragma once
// Values the SQL stores keep as text in one column: a membership's roles, a collaboration's
// rooms, JSON. Internal to storage.

#include "core/model.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

namespace tandem::sql {

/// Roles as a comma-separated list, e.g. "facilitator,representative".
std::string roles_text(const std::set<role>& roles);
/// Throws `store_error` for an unknown role.
std::set<role> roles_from_text(const std::string& text);

/// Compact JSON; invalid UTF-8 in a value is replaced.
std::string json_text(const nlohmann::json& value);

/// A JSON array of {"platform", "workspace", "id"}.
std::string rooms_text(const std::vector<room>& rooms);
/// Throws `store_error` when the text is not such an array.
std::vector<room> rooms_from_text(const std::string& text);

/// An outbox row's JSON (its values, what it is about). Throws `store_error` when it is not JSON.
nlohmann::json values_from_text(const std::string& text);

}  // namespace tandem::sql
