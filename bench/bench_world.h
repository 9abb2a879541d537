#pragma once
// The world the benchmarks decide from: 100,000 people in 10 collaborations of 20 organizations,
// ten responses each, tasks, all in memory, as the store would load it.

#include "core/action.h"
#include "core/model.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

namespace tandem::bench {

using namespace std::chrono_literals;

/// `people` people (ten facilitators per collaboration), `responses_per_person` responses each,
/// and one task per ten people, as of `now`.
inline world build(int people, int responses_per_person, time_point now) {
  world w;
  w.tiers[tier::core] = tier_policy{"weekly mon 09:00", std::chrono::days{7}, std::chrono::days{2}};
  w.tiers[tier::active] = tier_policy{"every 2 weeks tue 10:00", std::chrono::days{14}, std::chrono::days{3}};
  w.tiers[tier::informed] = tier_policy{"monthly first mon 09:00", std::chrono::days{45}, std::chrono::days{14}};
  w.tiers[tier::observer] = tier_policy{"never", 0s, 0s};
  const std::vector<std::string> zones{"Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Europe/London"};
  const int collaborations = 10;
  for (int c = 0; c < collaborations; ++c) {
    const std::string id = "collab-" + std::to_string(c);
    w.collaborations[id] = collaboration{id, "Collaboration " + std::to_string(c), false, {room{"slack", "T1", "C" + std::to_string(c)}}};
    for (int o = 0; o < 20; ++o) {
      const std::string org = "org-" + std::to_string(o);
      w.organizations[{id, org}] = organization{id, org, "Organization " + std::to_string(o)};
    }
  }
  for (int i = 0; i < people; ++i) {
    person p;
    p.id = "p" + std::to_string(i);
    p.name = "Person " + std::to_string(i);
    p.time_zone = zones[static_cast<std::size_t>(i) % zones.size()];
    p.identities = {identity{"slack", "T1", "U" + std::to_string(i)}};
    const std::string collab = "collab-" + std::to_string(i % collaborations);
    // Ten facilitators per collaboration; everyone else a participant.
    membership m{collab, p.id, "org-" + std::to_string((i / collaborations) % 20),
                 {i < 10 * collaborations ? role::facilitator : role::participant}, static_cast<tier>(i % 4), true};
    w.memberships[{collab, p.id}] = m;
    // Responses a few days apart, the latest 3 to 5 days ago: within every silence threshold, and
    // outside the core tier's "recently active" window, so the core tier's slot sends real nudges.
    const auto latest = now - std::chrono::days{3 + i % 3};
    for (int r = 0; r < responses_per_person; ++r) note_response(w, p.id, latest - std::chrono::days{2 * r});
    w.people[p.id] = std::move(p);
  }
  for (std::int64_t n = 1; n <= people / 10; ++n) {
    task t;
    t.number = n;
    t.collaboration = "collab-" + std::to_string(n % collaborations);
    t.title = "Task " + std::to_string(n);
    t.assignee_person = "p" + std::to_string(n * 10 + n % 10);
    t.created_by = "p0";
    t.created_at = now - std::chrono::days{10};
    t.due = std::chrono::floor<std::chrono::days>(now + std::chrono::hours{12}) + std::chrono::days{n % 30};
    w.tasks[n] = t;
  }
  return w;
}

/// How much CPU time this thread spends in `f`, in milliseconds: what a busy machine's other
/// work does not add to (unlike the wall time it also shows in the slowest runs).
inline double cpu_milliseconds_of(const auto& f) {
  timespec start{}, end{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  f();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
  return static_cast<double>(end.tv_sec - start.tv_sec) * 1e3 + static_cast<double>(end.tv_nsec - start.tv_nsec) / 1e6;
}

/// How long `f` takes, in milliseconds.
inline double milliseconds_of(const auto& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> values) {
  std::ranges::sort(values);
  return values[values.size() / 2];
}

}  // namespace tandem::bench
