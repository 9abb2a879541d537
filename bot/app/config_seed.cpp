// Builds the seed world from `collaborations`, `tiers` and `engine`, reporting every error with its place.
#include "app/config_seed.h"

#include "app/config_reader.h"
#include "core/dates.h"
#include "core/schedule.h"
#include "core/time_zones.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tandem::config_detail {

namespace {

const keys platforms{"console", "slack", "matrix", "webhook"};
const keys role_names{"facilitator", "representative", "alternate", "participant"};
const keys tier_names{"core", "active", "informed", "observer"};

bool valid_collaboration_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         std::ranges::all_of(id, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

/// `en`, `fra`, `pt-BR`, `zh-Hant`.
bool valid_language(std::string_view lang) {
  const auto dash = lang.find('-');
  const std::string_view base = lang.substr(0, dash);
  if (base.size() < 2 || base.size() > 3 || !std::ranges::all_of(base, [](char c) { return c >= 'a' && c <= 'z'; })) {
    return false;
  }
  if (dash == std::string_view::npos) return true;
  const std::string_view region = lang.substr(dash + 1);
  return region.size() >= 2 && region.size() <= 8 &&
         std::ranges::all_of(region, [](char c) { return is_alpha(c) || is_digit(c); });
}

/// One platform identity as a person entry lists it, with where it was written.
struct listed_identity {
  identity value;
  std::string path;
};

/// What one entry under `people:` says about the person (only what it writes explicitly).
struct person_entry {
  std::string path;
  std::string id;
  bool names_person = false;  ///< the entry has a `name` key (valid or not)
  std::optional<std::string> name;
  std::optional<std::string> time_zone;
  std::optional<std::string> language;
  std::optional<quiet_hours> quiet;
  std::optional<std::vector<listed_identity>> identities;
};

/// A person as assembled from all their entries, and which entry set each detail.
struct person_draft {
  person value;
  std::string first_path;
  bool named = false;                         ///< some entry has a `name` key
  std::map<std::string, std::string> set_at;  ///< field -> path of the entry that wrote it
  std::vector<listed_identity> identities;    ///< as written, when some entry wrote them
};

/// State shared by all collaborations of one file.
class seed_builder {
 public:
  seed_builder(reader& r, world& seed) : r_(r), seed_(seed) {}

  void collaboration_entry(const YAML::Node& node, const std::string& path) {
    if (!r_.expect_map(node, path, {"id", "name", "record_full_text", "rooms", "organizations", "people"})) return;
    collaboration c;
    if (auto id = r_.text(node, "id", path, true)) {
      if (!valid_collaboration_id(*id)) {
        r_.fail(child(path, "id"), "bad id " + in_quotes(*id) + " (use lowercase letters, digits and -)");
      } else if (auto [it, added] = collaboration_paths_.emplace(*id, path); !added) {
        r_.fail(child(path, "id"), "duplicate collaboration " + in_quotes(*id) + " (also at " + it->second + ")");
      }
      c.id = *id;
    }
    if (auto name = r_.non_empty(node, "name", path, true)) c.name = *name;
    if (auto full = r_.flag(node, "record_full_text", path)) c.record_full_text = *full;
    if (auto rooms = r_.list(node, "rooms", path)) {
      for (std::size_t i = 0; i < rooms->size(); ++i) room_entry((*rooms)[i], item(child(path, "rooms"), i), c);
    }
    std::map<std::string, std::string> org_paths;
    if (auto orgs = r_.list(node, "organizations", path)) {
      for (std::size_t i = 0; i < orgs->size(); ++i) {
        organization_entry((*orgs)[i], item(child(path, "organizations"), i), c.id, org_paths);
      }
    }
    bool roles_known = true;
    bool has_facilitator = false;
    std::map<std::string, std::string> person_paths;
    if (auto people = r_.list(node, "people", path, true)) {
      for (std::size_t i = 0; i < people->size(); ++i) {
        auto roles = person_entry_in((*people)[i], item(child(path, "people"), i), c.id, org_paths, person_paths);
        if (!roles)
          roles_known = false;
        else if (roles->contains(role::facilitator))
          has_facilitator = true;
      }
      if (roles_known && !has_facilitator) {
        r_.fail(child(path, "people"), "no facilitator (give at least one person roles: [facilitator])");
      }
    }
    const std::string key = c.id;
    seed_.collaborations[key] = std::move(c);
  }

  /// Checks what only all entries together tell (every person has a name, no identity belongs
  /// to two people), gives people without identities their console default, fills the seed's people.
  void finish() {
    std::map<identity, std::string> owners;
    for (const std::string& id : people_order_) {
      person_draft& draft = drafts_.at(id);
      if (!draft.named) r_.fail(child(draft.first_path, "name"), "required");
      const bool by_default = !draft.set_at.contains("identities");
      if (by_default) draft.identities = {{identity{"console", "", id}, draft.first_path}};
      for (const listed_identity& listed : draft.identities) {
        auto [owner, added] = owners.emplace(listed.value, id);
        if (!added) {
          r_.fail(listed.path, "identity " + describe(listed.value) +
                                   (by_default ? " (the default for a person without identities)" : "") +
                                   " is already claimed by person " + in_quotes(owner->second));
          continue;
        }
        draft.value.identities.push_back(listed.value);
      }
      seed_.people[id] = std::move(draft.value);
    }
  }

 private:
  void room_entry(const YAML::Node& node, const std::string& path, collaboration& c) {
    if (!r_.expect_map(node, path, {"platform", "workspace", "id"})) return;
    auto platform = r_.choice(node, "platform", path, "platform", platforms, true);
    auto workspace = r_.text(node, "workspace", path);
    auto id = r_.non_empty(node, "id", path, true);
    if (!platform || !id) return;
    room rm{*platform, workspace.value_or(""), *id};
    if (auto [it, added] = room_paths_.emplace(rm, path); !added) {
      r_.fail(path, "room " + describe(rm) + " is already listed at " + it->second);
      return;
    }
    c.rooms.push_back(std::move(rm));
  }

  void organization_entry(const YAML::Node& node, const std::string& path, const std::string& collaboration_id,
                          std::map<std::string, std::string>& org_paths) {
    if (!r_.expect_map(node, path, {"id", "name"})) return;
    organization org{collaboration_id, "", ""};
    auto id = r_.text(node, "id", path, true);
    auto name = r_.non_empty(node, "name", path, true);
    if (!id) return;
    if (!valid_id(*id)) {
      r_.fail(child(path, "id"),
              "bad id " + in_quotes(*id) + " (use lowercase letters, digits, \".\", \"_\" and \"-\")");
      return;
    }
    if (auto [it, added] = org_paths.emplace(*id, path); !added) {
      r_.fail(child(path, "id"), "duplicate organization " + in_quotes(*id) + " (also at " + it->second + ")");
      return;
    }
    org.id = *id;
    org.name = name.value_or("");
    seed_.organizations[{collaboration_id, *id}] = std::move(org);
  }

  /// Reads one entry under `people:`; returns its roles, or nothing when they are in error.
  std::optional<std::set<role>> person_entry_in(const YAML::Node& node, const std::string& path,
                                                const std::string& collaboration_id,
                                                const std::map<std::string, std::string>& org_paths,
                                                std::map<std::string, std::string>& person_paths) {
    if (!r_.expect_map(node, path, {"id", "name", "org", "roles", "tier", "tz", "lang", "quiet", "identities"})) {
      return std::nullopt;
    }
    person_entry entry{path, "", node["name"].IsDefined(), {}, {}, {}, {}, {}};
    bool id_ok = false;
    if (auto id = r_.text(node, "id", path, true)) {
      if (!valid_id(*id)) {
        r_.fail(child(path, "id"),
                "bad id " + in_quotes(*id) + " (use lowercase letters, digits, \".\", \"_\" and \"-\")");
      } else if (auto [it, added] = person_paths.emplace(*id, path); !added) {
        r_.fail(child(path, "id"), "duplicate person " + in_quotes(*id) + " (also at " + it->second + ")");
      } else {
        id_ok = true;
      }
      entry.id = *id;
    }
    membership m{collaboration_id, entry.id, "", {role::participant}, tier::active, true};
    std::optional<std::set<role>> roles = roles_of(node, path);
    if (roles) m.roles = *roles;
    if (auto t = r_.choice(node, "tier", path, "tier", tier_names)) m.tier = *tier_from_string(*t);
    if (auto org = r_.text(node, "org", path)) {
      if (!org_paths.contains(*org)) {
        std::vector<std::string_view> known;
        known.reserve(org_paths.size());
        for (const auto& [org_id, _] : org_paths) known.push_back(org_id);
        r_.fail(child(path, "org"),
                "unknown organization " + in_quotes(*org) +
                    (known.empty() ? " (this collaboration has no organizations)" : " (known: " + joined(known) + ")"));
      }
      m.organization = *org;
    } else if (roles && !roles->contains(role::facilitator)) {
      r_.fail(child(path, "org"), "required (only facilitators may have no organization)");
    }
    entry.name = r_.non_empty(node, "name", path);
    if (auto tz = r_.text(node, "tz", path)) {
      if (is_known_time_zone(*tz))
        entry.time_zone = *tz;
      else
        r_.fail(child(path, "tz"), "unknown time zone " + in_quotes(*tz));
    }
    if (auto lang = r_.text(node, "lang", path)) {
      if (valid_language(*lang))
        entry.language = *lang;
      else
        r_.fail(child(path, "lang"),
                "bad language " + in_quotes(*lang) + " (write a language code such as en, fr or pt-BR)");
    }
    if (auto quiet = r_.text(node, "quiet", path)) {
      entry.quiet = parse_quiet_choice(*quiet);
      if (!entry.quiet)
        r_.fail(child(path, "quiet"), "bad quiet hours " + in_quotes(*quiet) + " (write e.g. 19:00-08:00, or off)");
    }
    entry.identities = identities_of(node, path);
    if (id_ok) {
      merge(entry);
      seed_.memberships[{collaboration_id, entry.id}] = std::move(m);
    }
    return roles;
  }

  std::optional<std::set<role>> roles_of(const YAML::Node& node, const std::string& path) {
    const YAML::Node value = node["roles"];
    if (!value.IsDefined()) return std::set<role>{role::participant};
    auto list = r_.list(node, "roles", path);
    if (!list) return std::nullopt;
    if (list->size() == 0) {
      r_.fail(child(path, "roles"), "at least one role (allowed: " + joined(role_names) + ")");
      return std::nullopt;
    }
    std::set<role> roles;
    bool ok = true;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const YAML::Node entry = (*list)[i];
      const std::string entry_path = item(child(path, "roles"), i);
      std::optional<role> parsed = entry.IsScalar() ? role_from_string(entry.Scalar()) : std::nullopt;
      if (!entry.IsScalar()) {
        r_.fail(entry_path, "expected a single value, got " + std::string(kind_of(entry)));
      } else if (!parsed) {
        r_.fail(entry_path, reader::unknown_value("role", entry.Scalar(), role_names));
      }
      if (parsed)
        roles.insert(*parsed);
      else
        ok = false;
    }
    if (!ok) return std::nullopt;
    return roles;
  }

  std::optional<std::vector<listed_identity>> identities_of(const YAML::Node& node, const std::string& path) {
    auto list = r_.list(node, "identities", path);
    if (!list) return std::nullopt;
    const std::string list_path = child(path, "identities");
    if (list->size() == 0) {
      r_.fail(list_path, "at least one identity (e.g. [{platform: console, user: ana}])");
      return std::nullopt;
    }
    std::vector<listed_identity> result;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const YAML::Node entry = (*list)[i];
      const std::string entry_path = item(list_path, i);
      if (!r_.expect_map(entry, entry_path, {"platform", "workspace", "user"})) continue;
      auto platform = r_.choice(entry, "platform", entry_path, "platform", platforms, true);
      auto workspace = r_.text(entry, "workspace", entry_path);
      auto user = r_.non_empty(entry, "user", entry_path, true);
      if (!platform || !user) continue;
      identity id{*platform, workspace.value_or(""), *user};
      if (std::ranges::any_of(result, [&](const listed_identity& l) { return l.value == id; })) {
        r_.fail(entry_path, "identity " + describe(id) + " is listed twice");
        continue;
      }
      result.push_back({std::move(id), entry_path});
    }
    return result;
  }

  /// Folds one entry into the person's draft: details written in several entries must agree.
  void merge(const person_entry& entry) {
    auto [it, added] = drafts_.try_emplace(entry.id);
    person_draft& draft = it->second;
    if (added) {
      people_order_.push_back(entry.id);
      draft.first_path = entry.path;
      draft.value.id = entry.id;
    }
    draft.named = draft.named || entry.names_person;
    // True when `field` was not written before (the caller then takes the value); reports a
    // disagreement with an earlier entry when `same` is false.
    auto first_or_agree = [&](std::string_view field, std::string_view what, bool same, const std::string& earlier) {
      auto at = draft.set_at.find(std::string(field));
      if (at == draft.set_at.end()) {
        draft.set_at.emplace(field, entry.path);
        return true;
      }
      if (!same) {
        r_.fail(child(entry.path, field), "person " + in_quotes(entry.id) + " has " + std::string(what) + " " +
                                              earlier + " at " + at->second +
                                              "; a person's details must agree in every collaboration");
      }
      return false;
    };
    person& p = draft.value;
    if (entry.name && first_or_agree("name", "name", *entry.name == p.name, in_quotes(p.name))) p.name = *entry.name;
    if (entry.time_zone && first_or_agree("tz", "time zone", *entry.time_zone == p.time_zone, in_quotes(p.time_zone))) {
      p.time_zone = *entry.time_zone;
      p.time_zone_origin = zone_origin::given;
    }
    if (entry.language && first_or_agree("lang", "language", *entry.language == p.language, in_quotes(p.language))) {
      p.language = *entry.language;
    }
    if (entry.quiet && first_or_agree("quiet", "quiet hours", entry.quiet == p.quiet, describe(p.quiet)))
      p.quiet = entry.quiet;
    if (entry.identities &&
        first_or_agree("identities", "identities", values(*entry.identities) == values(draft.identities),
                       describe(values(draft.identities)))) {
      draft.identities = *entry.identities;
    }
  }

  static std::vector<identity> values(const std::vector<listed_identity>& listed) {
    std::vector<identity> result;
    result.reserve(listed.size());
    for (const listed_identity& l : listed) result.push_back(l.value);
    return result;
  }

  reader& r_;
  world& seed_;
  std::map<std::string, std::string> collaboration_paths_;
  std::map<room, std::string> room_paths_;
  std::map<std::string, person_draft> drafts_;
  std::vector<std::string> people_order_;
};

}  // namespace

std::map<tier, tier_policy> default_tiers() {
  using std::chrono::days;
  return {{tier::core, {"weekly mon 09:00", days{7}, days{2}}},
          {tier::active, {"weekly mon 09:00", days{14}, days{3}}},
          {tier::informed, {"monthly first mon 09:00", days{45}, days{14}}},
          {tier::observer, {"never", days{0}, days{0}}}};
}

void read_tiers(reader& r, const YAML::Node& node, std::map<tier, tier_policy>& tiers) {
  if (!r.expect_map(node, "tiers", tier_names, "tier")) return;
  for (auto& [which, policy] : tiers) {
    const std::string name{to_string(which)};
    const YAML::Node entry = node[name];
    const std::string path = child("tiers", name);
    if (!entry.IsDefined() || !r.expect_map(entry, path, {"schedule", "silence_after", "recently_active"})) continue;
    if (auto text = r.text(entry, "schedule", path)) {
      const auto parsed = schedule::parse(*text);
      if (const auto* problem = std::get_if<std::string>(&parsed)) {
        r.fail(child(path, "schedule"), *problem);
      } else {
        policy.schedule = *text;
      }
    }
    if (auto silence = r.duration(entry, "silence_after", path)) policy.silence_after = *silence;
    if (auto recent = r.duration(entry, "recently_active", path)) policy.recently_active = *recent;
  }
}

void read_engine(reader& r, const YAML::Node& node, engine_settings& engine) {
  if (!r.expect_map(node, "engine", {"lateness", "remind_before", "reminder_time", "escalate_after", "lull_after",
                                     "rhythm_factor", "digest", "clash_days", "quiet_hours", "working_days"})) {
    return;
  }
  if (auto text = r.text(node, "quiet_hours", "engine")) {
    if (auto quiet = parse_quiet_choice(*text)) {
      engine.default_quiet = *quiet;
    } else {
      r.fail("engine.quiet_hours", "bad quiet hours " + in_quotes(*text) + " (write e.g. 20:00-08:00, or off)");
    }
  }
  if (auto text = r.text(node, "working_days", "engine")) {
    if (auto days = parse_working_days(*text)) {
      engine.working_days = *days;
    } else {
      r.fail("engine.working_days",
             "bad working days " + in_quotes(*text) + " (write every day, weekdays, or days such as mon-fri or mon,wed,fri)");
    }
  }
  if (auto d = r.duration(node, "lateness", "engine")) engine.lateness = *d;
  if (auto d = r.duration(node, "remind_before", "engine")) engine.remind_before = *d;
  if (auto d = r.duration(node, "escalate_after", "engine")) engine.escalate_after = *d;
  if (auto d = r.duration(node, "lull_after", "engine")) engine.lull_after = *d;
  if (auto time = r.text(node, "reminder_time", "engine")) {
    if (auto minute = parse_minute_of_day(*time)) {
      engine.reminder_minute = *minute;
    } else {
      r.fail("engine.reminder_time", "bad time " + in_quotes(*time) + " (write HH:MM, e.g. 09:00)");
    }
  }
  if (auto factor = r.text(node, "rhythm_factor", "engine")) {
    auto n = parse_digits(*factor, 2);
    if (n && *n >= 1) {
      engine.rhythm_factor = static_cast<int>(*n);
    } else {
      r.fail("engine.rhythm_factor", "bad factor " + in_quotes(*factor) + " (write a whole number from 1 to 99)");
    }
  }
  if (auto text = r.text(node, "digest", "engine")) {
    const auto parsed = schedule::parse(*text);
    if (const auto* problem = std::get_if<std::string>(&parsed)) {
      r.fail("engine.digest", *problem);
    } else {
      engine.digest_schedule = *text;
    }
  }
  if (auto days = r.text(node, "clash_days", "engine")) {
    if (auto n = parse_digits(*days, 2)) {
      engine.clash_days = static_cast<int>(*n);
    } else {
      r.fail("engine.clash_days", "bad number of days " + in_quotes(*days) + " (write a whole number from 0 to 99)");
    }
  }
}

void read_collaborations(reader& r, const YAML::Node& root, world& seed) {
  seed_builder builder(r, seed);
  if (auto collaborations = r.list(root, "collaborations", "", true)) {
    if (collaborations->size() == 0) r.fail("collaborations", "at least one collaboration is needed");
    for (std::size_t i = 0; i < collaborations->size(); ++i) {
      builder.collaboration_entry((*collaborations)[i], item("collaborations", i));
    }
  }
  builder.finish();
}

}  // namespace tandem::config_detail
