#pragma once
// Small configs for tests of one adapter's config section: that section plus a minimal
// collaboration, parsed as the program would.

#include "app/config.h"

#include <filesystem>
#include <string>
#include <vector>

namespace tandem::testing {

/// Parses `adapters_yaml` (the lines under `adapters:`) with a one-facilitator collaboration, and
/// `http.public_url` when `public_url` is not empty.
inline config_result parse_with_adapters(const std::string& adapters_yaml, const std::string& public_url = "") {
  static const char* const collaboration = R"(
collaborations:
  - id: river
    name: River
    people:
      - {id: ana, name: Ana, roles: [facilitator]}
)";
  const std::string http = public_url.empty() ? "" : "http:\n  public_url: " + public_url + "\n";
  return parse_config(http + "adapters:\n" + adapters_yaml + collaboration, std::filesystem::temp_directory_path());
}

/// Each error as users read it: `path: message`.
inline std::vector<std::string> error_texts(const config_result& result) {
  std::vector<std::string> texts;
  for (const auto& e : result.errors) texts.push_back(to_string(e));
  return texts;
}

}  // namespace tandem::testing
