// Compares the config's seed with the store: additions with audit lines, and conflict lines. Pure.
#include "app/config_reconcile.h"

#include "app/config_text.h"
#include "core/time_zones.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace tandem {

namespace {

using config_detail::describe;
using config_detail::format_duration;
using config_detail::in_quotes;

constexpr std::string_view store_wins = "(the store wins)";
constexpr std::string_view store_wins_command = "(the store wins; change it with a command)";

/// Builds the reconciliation: additions with their audit lines, and conflict lines.
class reconciler {
 public:
  explicit reconciler(time_point now) : now_(now) {}

  time_point now() const { return now_; }

  /// One save, and one audit line for each thing it adds.
  void add(action a, const std::string& collaboration_id, const std::vector<std::string>& details) {
    result_.additions.push_back(std::move(a));
    for (const std::string& detail : details) {
      result_.additions.emplace_back(record_audit{{now_, collaboration_id, "config", "config.add", detail}});
    }
  }

  void conflict(const std::string& subject, std::string_view what, const std::string& config_says,
                const std::string& store_has, std::string_view outcome) {
    result_.conflicts.push_back(subject + ": config says " + std::string(what) + " " + config_says + ", store has " +
                                store_has + " " + std::string(outcome));
  }

  void note(std::string line) { result_.conflicts.push_back(std::move(line)); }

  /// An audit line for something added by an action already given.
  void audit_addition(const std::string& collaboration_id, const std::string& detail) {
    result_.additions.emplace_back(record_audit{{now_, collaboration_id, "config", "config.add", detail}});
  }

  /// An action that follows from another one (audited with it).
  void also(action a) { result_.additions.push_back(std::move(a)); }

  /// A change the config makes to what the store has, with its audit line.
  void change(action a, const std::string& collaboration_id, std::string detail) {
    result_.additions.push_back(std::move(a));
    result_.additions.emplace_back(record_audit{{now_, collaboration_id, "config", "config.change", std::move(detail)}});
  }

  config_reconciliation take() { return std::move(result_); }

 private:
  time_point now_;
  config_reconciliation result_;
};

void reconcile_collaborations(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [id, c] : seed.collaborations) {
    const auto old = stored.collaborations.find(id);
    const std::string subject = "collaboration " + id;
    collaboration result =
        old == stored.collaborations.end() ? collaboration{id, c.name, c.record_full_text, {}} : old->second;
    if (old != stored.collaborations.end()) {
      if (old->second.name != c.name)
        rc.conflict(subject, "name", in_quotes(c.name), in_quotes(old->second.name), store_wins);
      if (old->second.record_full_text != c.record_full_text) {
        rc.conflict(subject, "record_full_text", c.record_full_text ? "true" : "false",
                    old->second.record_full_text ? "true" : "false", store_wins);
      }
    }
    std::vector<std::string> added;  // audit details of the rooms added
    for (const room& rm : c.rooms) {
      if (std::ranges::find(result.rooms, rm) != result.rooms.end()) continue;
      if (auto owner = collaboration_of_room(stored, rm); owner && *owner != id) {
        rc.note(subject + ": config lists room " + describe(rm) + ", store gives it to collaboration " + *owner + " " +
                std::string(store_wins));
        continue;
      }
      result.rooms.push_back(rm);
      added.push_back("room " + describe(rm) + " in collaboration " + id);
    }
    if (old == stored.collaborations.end()) {
      rc.add(save_collaboration{result}, id, {"collaboration " + id + " " + in_quotes(c.name)});
    } else if (!added.empty()) {
      rc.add(save_collaboration{result}, id, added);
    }
  }
}

void reconcile_organizations(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [key, org] : seed.organizations) {
    const auto old = stored.organizations.find(key);
    if (old == stored.organizations.end()) {
      rc.add(save_organization{org}, org.collaboration,
             {"organization " + org.id + " " + in_quotes(org.name) + " in collaboration " + org.collaboration});
    } else if (old->second.name != org.name) {
      rc.conflict("organization " + org.collaboration + "/" + org.id, "name", in_quotes(org.name),
                  in_quotes(old->second.name), store_wins);
    }
  }
}

void reconcile_people(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [id, p] : seed.people) {
    const auto old = stored.people.find(id);
    const std::string subject = "person " + id;
    const auto collaborations = collaborations_of(seed, id);
    const std::string audit_collaboration = collaborations.empty() ? "" : collaborations.front();
    person result = p;
    std::string zone_change;  // the audit detail when the config's zone replaces the stored one
    std::vector<action> moved_slots;
    if (old != stored.people.end()) {
      const person& s = old->second;
      if (s.name != p.name) rc.conflict(subject, "name", in_quotes(p.name), in_quotes(s.name), store_wins);
      if (p.time_zone_origin == zone_origin::given && s.time_zone_origin == zone_origin::given &&
          s.time_zone != p.time_zone) {
        rc.conflict(subject, "time zone", in_quotes(p.time_zone), in_quotes(s.time_zone), store_wins_command);
      }
      if (s.language != p.language) {
        rc.conflict(subject, "language", in_quotes(p.language), in_quotes(s.language), store_wins_command);
      }
      if (s.quiet != p.quiet)
        rc.conflict(subject, "quiet hours", describe(p.quiet), describe(s.quiet), store_wins_command);
      result = s;
      // Nobody chose a defaulted or learned zone, so a zone the config gives replaces it (a zone
      // given by the config before or by the `tz` command stays: the store wins, as above).
      if (p.time_zone_origin == zone_origin::given && s.time_zone_origin != zone_origin::given) {
        result.time_zone = p.time_zone;
        result.time_zone_origin = zone_origin::given;
        zone_change = subject + ": time zone " + in_quotes(s.time_zone) + " (" +
                      (s.time_zone_origin == zone_origin::learned ? "learned" : "default") + ") -> " +
                      in_quotes(p.time_zone) + " (config)";
        moved_slots = follow_time_zone(stored, id, s.time_zone, p.time_zone, rc.now());
      }
    } else {
      result.identities.clear();
    }
    std::vector<std::string> added;  // audit details of the identities added
    for (const identity& ident : p.identities) {
      if (std::ranges::find(result.identities, ident) != result.identities.end()) continue;
      if (const person* owner = find_person_by_identity(stored, ident); owner != nullptr && owner->id != id) {
        rc.note(subject + ": config lists identity " + describe(ident) + ", store gives it to person " + owner->id +
                " " + std::string(store_wins));
        continue;
      }
      result.identities.push_back(ident);
      added.push_back("identity " + describe(ident) + " of person " + id);
    }
    if (old == stored.people.end()) {
      rc.add(save_person{result}, audit_collaboration, {"person " + id + " " + in_quotes(p.name)});
    } else if (!zone_change.empty()) {
      rc.change(save_person{result}, audit_collaboration, zone_change);
      for (const std::string& detail : added) rc.audit_addition(audit_collaboration, detail);
      for (action& a : moved_slots) rc.also(std::move(a));
    } else if (!added.empty()) {
      rc.add(save_person{result}, audit_collaboration, added);
    }
  }
}

void reconcile_memberships(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [key, m] : seed.memberships) {
    const auto old = stored.memberships.find(key);
    const std::string subject = "membership " + m.person + " in " + m.collaboration;
    if (old == stored.memberships.end()) {
      rc.add(save_membership{m}, m.collaboration,
             {"member " + m.person + " of " + m.collaboration + " (organization " +
              (m.organization.empty() ? std::string("none") : m.organization) + "; roles " + describe(m.roles) +
              "; tier " + std::string(to_string(m.tier)) + ")"});
      continue;
    }
    const membership& s = old->second;
    if (!s.active) {
      rc.note(subject + ": config lists them, store has them removed (the store wins; add them again with a command)");
      continue;
    }
    auto org_name = [](const std::string& org) { return org.empty() ? std::string("none") : in_quotes(org); };
    if (s.organization != m.organization) {
      rc.conflict(subject, "organization", org_name(m.organization), org_name(s.organization), store_wins_command);
    }
    if (s.roles != m.roles) rc.conflict(subject, "roles", describe(m.roles), describe(s.roles), store_wins_command);
    if (s.tier != m.tier) {
      rc.conflict(subject, "tier", std::string(to_string(m.tier)), std::string(to_string(s.tier)), store_wins_command);
    }
  }
}

void reconcile_tiers(reconciler& rc, const world& seed, const world& stored) {
  for (const auto& [which, policy] : seed.tiers) {
    const std::string name{to_string(which)};
    const auto old = stored.tiers.find(which);
    if (old == stored.tiers.end()) {
      rc.add(save_tier_policy{which, policy}, "",
             {"tier " + name + " (schedule " + in_quotes(policy.schedule) + ", silence after " +
              format_duration(policy.silence_after) + ", recently active " + format_duration(policy.recently_active) +
              ")"});
      continue;
    }
    // No command changes a tier policy: the config is where it is set, so the config wins.
    const tier_policy& s = old->second;
    std::vector<std::string> changes;
    if (s.schedule != policy.schedule) changes.push_back("schedule " + in_quotes(s.schedule) + " -> " + in_quotes(policy.schedule));
    if (s.silence_after != policy.silence_after) {
      changes.push_back("silence after " + format_duration(s.silence_after) + " -> " + format_duration(policy.silence_after));
    }
    if (s.recently_active != policy.recently_active) {
      changes.push_back("recently active " + format_duration(s.recently_active) + " -> " +
                        format_duration(policy.recently_active));
    }
    if (changes.empty()) continue;
    std::string detail = "tier " + name + ": " + changes.front();
    for (std::size_t i = 1; i < changes.size(); ++i) detail += ", " + changes[i];
    rc.change(save_tier_policy{which, policy}, "", std::move(detail));
  }
}

}  // namespace

config_reconciliation reconcile_with_store(const world& seed, const world& stored, time_point now) {
  reconciler rc(now);
  reconcile_collaborations(rc, seed, stored);
  reconcile_organizations(rc, seed, stored);
  reconcile_people(rc, seed, stored);
  reconcile_memberships(rc, seed, stored);
  reconcile_tiers(rc, seed, stored);
  return rc.take();
}

}  // namespace tandem
