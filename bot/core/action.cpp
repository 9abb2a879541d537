#include "action.h"

#include <type_traits>

namespace tandem {

void apply_to_world(world& w, const std::vector<action>& actions) {
  for (const action& a : actions) {
    std::visit(
        [&w](const auto& change) {
          using T = std::decay_t<decltype(change)>;
          if constexpr (std::is_same_v<T, save_collaboration>) {
            w.collaborations[change.value.id] = change.value;
          } else if constexpr (std::is_same_v<T, save_organization>) {
            w.organizations[{change.value.collaboration, change.value.id}] = change.value;
          } else if constexpr (std::is_same_v<T, save_person>) {
            w.people[change.value.id] = change.value;
          } else if constexpr (std::is_same_v<T, save_membership>) {
            w.memberships[{change.value.collaboration, change.value.person}] = change.value;
          } else if constexpr (std::is_same_v<T, save_tier_policy>) {
            w.tiers[change.which] = change.value;
          } else if constexpr (std::is_same_v<T, save_task>) {
            w.tasks[change.value.number] = change.value;
          } else if constexpr (std::is_same_v<T, record_audit>) {
            w.audit.push_back(change.value);
          } else if constexpr (std::is_same_v<T, note_activity>) {
            auto& last = w.last_response[change.person];
            if (change.at > last) last = change.at;
          }
          // send_message and record_task_update are not part of the world.
        },
        a);
  }
}

}  // namespace tandem
