#pragma once
// The runtime's side of adapters/time_zone_learning.h: adapters' questions and reports about
// people's time zones, answered and applied on the core strand through the engine host.

#include "adapters/time_zone_learning.h"
#include "app/engine_host.h"

#include <functional>

namespace tandem {

/// Runs each question and report on the core strand (`post`), where the engine host lives, and
/// answers there. A report the store cannot take is logged and answered with nothing.
class engine_time_zones final : public time_zone_learning {
 public:
  /// `post` runs a function on the core strand; `clock` is the time changes are stamped with.
  engine_time_zones(engine_host& host, std::function<void(std::function<void()>)> post,
                    std::function<time_point()> clock);

  void wanted(std::string platform, std::function<void(std::vector<identity>)> then) override;
  void is_wanted(identity who, std::function<void(bool)> then) override;
  void learned(identity who, std::string zone, std::function<void(std::optional<learned_zone_outcome>)> then) override;

 private:
  engine_host& host_;
  std::function<void(std::function<void()>)> post_;
  std::function<time_point()> clock_;
};

}  // namespace tandem
