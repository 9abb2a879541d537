#pragma once
// People's time zones: which ones a chat platform may fill in (Slack's users.info), and how the
// schedules follow a zone that changes. Pure: no I/O, no clock (time comes in as `now`).

#include "core/action.h"
#include "core/model.h"

#include <string>
#include <string_view>
#include <vector>

namespace tandem {

/// True when nobody gave the person a time zone (config `tz`, the `tz` command) and none was
/// learned yet: the only case in which a zone their platform reports may replace theirs.
bool wants_time_zone(const person& p);

/// The identities on `platform` of the people who want a time zone, in person id order.
std::vector<identity> identities_wanting_time_zone(const world& w, std::string_view platform);

/// What became of a time zone a platform reported for someone.
enum class learned_zone_outcome {
  kept,          ///< their zone was the default; it is this one now (learned)
  unknown_zone,  ///< not a zone of the tz database: their zone stays as it is
  not_wanted,    ///< nobody has that identity, or their zone was given or learned already
};

/// "kept", "unknown time zone", "not wanted": for log lines.
std::string_view to_string(learned_zone_outcome);

/// The decision about one reported zone.
struct learned_zone_decision {
  learned_zone_outcome outcome = learned_zone_outcome::not_wanted;
  std::string person;           ///< the id of the person with the identity; empty when nobody has it
  std::vector<action> actions;  ///< when kept: learn_time_zone, the moved slots, one audit line per collaboration
};

/// Decides about `zone`, which the platform of `who` reports as their time zone, at `now`: kept
/// (validated against the tz database) only when their zone is still the default; the audit
/// says so ("person.tz_learned", actor "system") in each of their collaborations. Pure.
learned_zone_decision on_time_zone_learned(const world& w, const identity& who, const std::string& zone,
                                           time_point now);

/// The person's planned nudge and digest slots, planned in `old_zone`, moved to the same local
/// times in `new_zone` (as `save_engagement`s), so the schedules follow a changed zone from the
/// slot already planned: one nudge per occurrence, at the person's own local time. A slot whose
/// new time has passed comes due at `now`; a slot already due is left to the tick. Pure.
std::vector<action> follow_time_zone(const world& w, const std::string& person, const std::string& old_zone,
                                     const std::string& new_zone, time_point now);

}  // namespace tandem
