#pragma once
// The smallest collaboration the app and store tests start an engine on.

#include "core/model.h"

#include <set>
#include <string>
#include <utility>

namespace tandem::testing {

/// Collaboration "river" with the organization "city", a room on the console, Ana its facilitator
/// and Dee a member of the city with `dee_roles`; both reached on the console. No tier policies.
inline world river_seed(std::set<role> dee_roles = {role::participant}) {
  world w;
  w.collaborations["river"] = collaboration{"river", "River", false, {room{"console", "", "river-room"}}};
  w.organizations[{"river", "city"}] = organization{"river", "city", "City"};
  for (auto& [id, roles] : {std::pair{std::string{"ana"}, std::set{role::facilitator}},
                            std::pair{std::string{"dee"}, std::move(dee_roles)}}) {
    person p;
    p.id = id;
    p.name = id;
    p.identities = {identity{"console", "", id}};
    w.people[id] = p;
    w.memberships[{"river", id}] = membership{"river", id, "city", roles, tier::active, true};
  }
  return w;
}

}  // namespace tandem::testing
