#include "app/learned_time_zones.h"

#include <spdlog/spdlog.h>

namespace tandem {

engine_time_zones::engine_time_zones(engine_host& host, std::function<void(std::function<void()>)> post,
                                     std::function<time_point()> clock)
    : host_(host), post_(std::move(post)), clock_(std::move(clock)) {}

void engine_time_zones::wanted(std::string platform, std::function<void(std::vector<identity>)> then) {
  post_([this, platform = std::move(platform), then = std::move(then)] {
    then(identities_wanting_time_zone(host_.current(), platform));
  });
}

void engine_time_zones::is_wanted(identity who, std::function<void(bool)> then) {
  post_([this, who = std::move(who), then = std::move(then)] {
    const person* p = find_person_by_identity(host_.current(), who);
    then(p != nullptr && wants_time_zone(*p));
  });
}

void engine_time_zones::learned(identity who, std::string zone,
                                std::function<void(std::optional<learned_zone_outcome>)> then) {
  post_([this, who = std::move(who), zone = std::move(zone), then = std::move(then)] {
    try {
      then(host_.learn_time_zone(who, zone, clock_()).outcome);
    } catch (const store_error& e) {
      spdlog::error("store: the time zone learned for {}/{} was not kept: {}", who.platform, who.user, e.what());
      then(std::nullopt);
    }
  });
}

}  // namespace tandem
