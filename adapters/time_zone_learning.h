#pragma once
// How a platform adapter helps the core learn people's time zones from their profiles on the
// platform (Slack's users.info), for the people whose zone nobody gave. Adapters ask and report;
// the core decides (core/time_zones.h). The runtime implements it over the engine.

#include "core/model.h"
#include "core/time_zones.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tandem {

/// Every method may be called from any thread and returns at once; each `then` is called exactly
/// once, from any thread, possibly before the method returns (an adapter re-posts it to its own
/// strand).
class time_zone_learning {
 public:
  virtual ~time_zone_learning() = default;
  /// The identities on `platform` whose person's zone is only the default (nobody gave one).
  virtual void wanted(std::string platform, std::function<void(std::vector<identity>)> then) = 0;
  /// Whether `who` is one of them: a person has this identity and their zone is only the default.
  virtual void is_wanted(identity who, std::function<void(bool)> then) = 0;
  /// Reports `zone` as the time zone `who`'s platform gives them. The core checks it against the
  /// tz database and keeps it only while their zone is still the default. `then` gets what became
  /// of it, or nothing when it could not be stored (a later report may try again).
  virtual void learned(identity who, std::string zone,
                       std::function<void(std::optional<learned_zone_outcome>)> then) = 0;
};

}  // namespace tandem
