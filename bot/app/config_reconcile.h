#pragma once
// Starting with a config on a store that already holds state: what the config adds, and where the
// two disagree.

#include "core/action.h"
#include "core/model.h"

#include <string>
#include <vector>

namespace tandem {

/// What starting with a config means for a store that already holds state.
struct config_reconciliation {
  /// `save_*` actions for entries of the config the store lacks (collaborations, rooms,
  /// organizations, people, identities, memberships, tier policies), each followed by a
  /// `record_audit` by actor "config" with action "config.add".
  std::vector<action> additions;
  /// One line per entry present in both but different, e.g. `person ana: config says time zone
  /// "Europe/Berlin", store has "Europe/Paris" (the store wins; change it with a command)`.
  std::vector<std::string> conflicts;
};

/// Compares the config's `seed` with the `stored` world: the store is the truth, so entries the
/// store already has are never overwritten; differences become conflict lines. Two exceptions,
/// audited as "config.change": tier policies (no command changes them), and a person's time zone
/// that nobody gave (defaulted, or learned from their platform), which a `tz` in the config
/// replaces (their planned slots follow it). A zone the config does not give is no conflict.
/// Audit entries are stamped `now`. Pure.
config_reconciliation reconcile_with_store(const world& seed, const world& stored, time_point now);

}  // namespace tandem
