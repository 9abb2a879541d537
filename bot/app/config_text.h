#pragma once
// How the config's messages write values: quoted text, lists, identities, rooms, roles, quiet
// hours and durations, the same in the reader's errors and the reconciliation's conflict lines.

#include "core/model.h"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::config_detail {

/// `"text"`. Pure.
std::string in_quotes(std::string_view text);

/// The words separated by ", ". Pure.
template <typename Range>
std::string joined(const Range& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

/// `platform:workspace/user`, or `platform:user` without a workspace. Pure.
std::string describe(const identity& id);
/// `platform:workspace/id`, or `platform:id` without a workspace. Pure.
std::string describe(const room& r);
/// `"19:00-08:00"`, `off`, or `the default`. Pure.
std::string describe(const std::optional<quiet_hours>& quiet);
/// The role names separated by ", ". Pure.
std::string describe(const std::set<role>& roles);
/// `[console:ana, slack:T1/U2]`. Pure.
std::string describe(const std::vector<identity>& ids);

/// `0`, `7d`, `12h`, `30m` or `45s`: the largest unit that divides it. Pure.
std::string format_duration(std::chrono::seconds d);

}  // namespace tandem::config_detail
