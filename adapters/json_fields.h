#pragma once
// Reading the fields of JSON that comes from outside (platform payloads, and the answers of
// platform APIs) without exceptions: a field of another type than expected reads as absent, as
// nlohmann's `value()` would not (it throws, and a thrown exception in a completion handler
// ends the program). Pure; no I/O.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace tandem {

/// The string under `key`, or "" when `object` is not an object or the field is absent or not a
/// string.
std::string string_field(const nlohmann::json& object, std::string_view key);

/// The object under `key`, or null when `object` is not an object or the field is absent or not
/// an object.
const nlohmann::json& object_field(const nlohmann::json& object, std::string_view key);

/// True only when the field under `key` is JSON `true`.
bool true_field(const nlohmann::json& object, std::string_view key);

}  // namespace tandem
