#include "core/time_zones.h"

#include "core/dates.h"

#include <algorithm>

namespace tandem {
namespace {

/// The instant with the same local date and time in `to` as `at` has in `from`.
time_point same_local_time(time_point at, const std::string& from, const std::string& to) {
  return at_local_minute(local_date(at, from), local_minute_of_day(at, from), to);
}

std::optional<time_point> moved(std::optional<time_point> slot, const std::string& from, const std::string& to,
                                time_point now) {
  if (!slot || *slot <= now) return slot;
  return std::max(same_local_time(*slot, from, to), now);
}

}  // namespace

bool wants_time_zone(const person& p) { return p.time_zone_origin == zone_origin::defaulted; }

std::vector<identity> identities_wanting_time_zone(const world& w, std::string_view platform) {
  std::vector<identity> result;
  for (const auto& [_, p] : w.people) {
    if (!wants_time_zone(p)) continue;
    for (const identity& i : p.identities) {
      if (i.platform == platform) result.push_back(i);
    }
  }
  return result;
}

std::string_view to_string(learned_zone_outcome outcome) {
  switch (outcome) {
    case learned_zone_outcome::kept: return "kept";
    case learned_zone_outcome::unknown_zone: return "unknown time zone";
    case learned_zone_outcome::not_wanted: return "not wanted";
  }
  return "?";
}

std::vector<action> follow_time_zone(const world& w, const std::string& person, const std::string& old_zone,
                                     const std::string& new_zone, time_point now) {
  std::vector<action> result;
  if (old_zone == new_zone) return result;
  for (const auto& [id, _] : w.collaborations) {
    const auto it = w.engagements.find({id, person});
    if (it == w.engagements.end()) continue;
    engagement e = it->second;
    e.next_nudge = moved(e.next_nudge, old_zone, new_zone, now);
    e.next_digest = moved(e.next_digest, old_zone, new_zone, now);
    if (e != it->second) result.emplace_back(save_engagement{std::move(e)});
  }
  return result;
}

learned_zone_decision on_time_zone_learned(const world& w, const identity& who, const std::string& zone,
                                           time_point now) {
  learned_zone_decision decision;
  const person* p = find_person_by_identity(w, who);
  if (p == nullptr) return decision;
  decision.person = p->id;
  if (!wants_time_zone(*p)) return decision;
  if (!is_known_time_zone(zone)) {
    decision.outcome = learned_zone_outcome::unknown_zone;
    return decision;
  }
  decision.outcome = learned_zone_outcome::kept;
  decision.actions.emplace_back(learn_time_zone{p->id, zone});
  for (action& a : follow_time_zone(w, p->id, p->time_zone, zone, now)) decision.actions.push_back(std::move(a));
  std::vector<std::string> collaborations = collaborations_of(w, p->id);
  if (collaborations.empty()) collaborations.emplace_back();  // still audited, outside any collaboration
  const std::string detail = p->id + " " + zone + " (was " + p->time_zone + "; from " + who.platform + ")";
  for (const std::string& collaboration : collaborations) {
    decision.actions.emplace_back(record_audit{audit_entry{now, collaboration, "system", "person.tz_learned", detail}});
  }
  return decision;
}

}  // namespace tandem
