#include "core/model.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace tandem {
namespace {

template <typename Enum, std::size_t N>
std::optional<Enum> from_names(const std::array<std::pair<Enum, std::string_view>, N>& names, std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::string_view to_name(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

constexpr std::array role_names{std::pair{role::facilitator, std::string_view{"facilitator"}},
                                std::pair{role::representative, std::string_view{"representative"}},
                                std::pair{role::alternate, std::string_view{"alternate"}},
                                std::pair{role::participant, std::string_view{"participant"}}};
constexpr std::array tier_names{std::pair{tier::core, std::string_view{"core"}},
                                std::pair{tier::active, std::string_view{"active"}},
                                std::pair{tier::informed, std::string_view{"informed"}},
                                std::pair{tier::observer, std::string_view{"observer"}}};
constexpr std::array status_names{std::pair{task_status::open, std::string_view{"open"}},
                                  std::pair{task_status::in_progress, std::string_view{"in_progress"}},
                                  std::pair{task_status::blocked, std::string_view{"blocked"}},
                                  std::pair{task_status::done, std::string_view{"done"}},
                                  std::pair{task_status::cancelled, std::string_view{"cancelled"}}};

constexpr std::array subject_names{std::pair{silence_subject::person, std::string_view{"person"}},
                                   std::pair{silence_subject::organization, std::string_view{"organization"}},
                                   std::pair{silence_subject::collaboration, std::string_view{"collaboration"}}};

constexpr std::array zone_origin_names{std::pair{zone_origin::defaulted, std::string_view{"default"}},
                                       std::pair{zone_origin::given, std::string_view{"given"}},
                                       std::pair{zone_origin::learned, std::string_view{"learned"}}};

}  // namespace

std::string_view to_string(zone_origin o) { return to_name(zone_origin_names, o); }
std::optional<zone_origin> zone_origin_from_string(std::string_view s) { return from_names(zone_origin_names, s); }
std::string_view to_string(silence_subject s) { return to_name(subject_names, s); }
std::optional<silence_subject> silence_subject_from_string(std::string_view s) { return from_names(subject_names, s); }
std::string_view to_string(role r) { return to_name(role_names, r); }
std::string_view to_string(tier t) { return to_name(tier_names, t); }
std::string_view to_string(task_status s) { return to_name(status_names, s); }
std::optional<role> role_from_string(std::string_view s) { return from_names(role_names, s); }
std::optional<tier> tier_from_string(std::string_view s) { return from_names(tier_names, s); }
std::optional<task_status> task_status_from_string(std::string_view s) { return from_names(status_names, s); }

std::string month_of(time_point t) {
  const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(t)};
  const unsigned month = static_cast<unsigned>(day.month());
  return std::to_string(static_cast<int>(day.year())) + (month < 10 ? "-0" : "-") + std::to_string(month);
}

time_point start_of_month(std::string_view month) {
  const auto digits = [&](std::size_t from, std::size_t count) {
    int value = 0;
    for (const char c : month.substr(from, count)) {
      if (c < '0' || c > '9') throw std::invalid_argument("not a month: " + std::string{month});
      value = value * 10 + (c - '0');
    }
    return value;
  };
  if (month.size() != 7 || month[4] != '-') throw std::invalid_argument("not a month: " + std::string{month});
  const std::chrono::year_month_day first{std::chrono::year{digits(0, 4)},
                                          std::chrono::month{static_cast<unsigned>(digits(5, 2))}, std::chrono::day{1}};
  if (!first.ok()) throw std::invalid_argument("not a month: " + std::string{month});
  return std::chrono::sys_days{first};
}

const person* find_person_by_identity(const world& w, const identity& id) {
  if (id.platform == dashboard_platform) {
    auto it = w.people.find(id.user);
    return it == w.people.end() ? nullptr : &it->second;
  }
  for (const auto& [_, p] : w.people) {
    if (std::ranges::find(p.identities, id) != p.identities.end()) return &p;
  }
  return nullptr;
}

const membership* find_membership(const world& w, const std::string& collaboration, const std::string& person) {
  auto it = w.memberships.find({collaboration, person});
  return it == w.memberships.end() ? nullptr : &it->second;
}

std::ranges::subrange<std::map<std::pair<std::string, std::string>, membership>::const_iterator> memberships_of(
    const world& w, const std::string& collaboration) {
  const auto first = w.memberships.lower_bound({collaboration, std::string{}});
  auto last = first;
  while (last != w.memberships.end() && last->first.first == collaboration) ++last;
  return {first, last};
}

bool has_role(const world& w, const std::string& collaboration, const std::string& person, role r) {
  const membership* m = find_membership(w, collaboration, person);
  return m != nullptr && m->active && m->roles.contains(r);
}

std::vector<std::string> collaborations_of(const world& w, const std::string& person) {
  // A few collaborations, many members: one lookup per collaboration rather than a scan of everyone.
  std::vector<std::string> result;
  for (const auto& [id, _] : w.collaborations) {
    const membership* m = find_membership(w, id, person);
    if (m != nullptr && m->active) result.push_back(id);
  }
  return result;
}

std::optional<std::string> collaboration_of_room(const world& w, const room& r) {
  for (const auto& [id, c] : w.collaborations) {
    if (std::ranges::find(c.rooms, r) != c.rooms.end()) return id;
  }
  return std::nullopt;
}

std::int64_t next_task_number(const world& w) { return w.tasks.empty() ? 1 : w.tasks.rbegin()->first + 1; }

std::vector<member_key> wake_index::due(time_point now) const {
  std::vector<member_key> result;
  for (auto it = queue_.begin(); it != queue_.end() && it->first <= now; ++it) result.push_back(it->second);
  return result;
}

void wake_index::set(const member_key& member, std::optional<time_point> wake) {
  if (auto known = wake_of_.find(member); known != wake_of_.end()) {
    queue_.erase({known->second, member});
    if (!wake) {
      wake_of_.erase(known);
      return;
    }
    known->second = *wake;
  } else if (wake) {
    wake_of_.emplace(member, *wake);
  }
  if (wake) queue_.emplace(*wake, member);
}

void wake_index::touch(const member_key& member) {
  if (primed_) set(member, time_point::min());
}

void wake_index::forget() {
  primed_ = false;
  queue_.clear();
  wake_of_.clear();
}

}  // namespace tandem
