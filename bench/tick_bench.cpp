// Tick cost of the engagement engine with 100,000 people in 10 collaborations and 1,000,000
// responses behind them: how long one tick takes to decide the due nudges and silences. Reports
// the first tick after a start (it looks at everyone), a steady tick with nobody due, and the tick
// where one tier in one time zone is due (one person in twenty).
//
// Usage: tandem_tick_bench [people] [responses_per_person]

#include "core/engagement.h"

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using namespace tandem;
using namespace std::chrono_literals;

namespace {

world build(int people, int responses_per_person, time_point now) {
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

double milliseconds_of(const auto& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::ranges::sort(values);
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int people = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int per_person = argc > 2 ? std::atoi(argv[2]) : 10;
  // Monday 2027-01-04 07:59 UTC: a minute before Berlin's weekly 09:00 slot.
  const time_point monday = date::sys_days{date::year{2027} / 1 / 4} + 7h + 59min;
  std::cout << "building " << people << " people, " << static_cast<long long>(people) * per_person
            << " responses (the world keeps the latest " << recent_response_count << " per person)\n";
  world w = build(people, per_person, monday);

  std::vector<action> first;
  const double first_ms = milliseconds_of([&] { first = tick(w, monday); });
  apply_to_world(w, first);
  std::cout << "first tick (every schedule computed once): " << first_ms << " ms, " << first.size() << " actions\n";

  std::vector<double> steady;
  std::size_t looked_at = 0;
  for (int i = 1; i <= 7; ++i) {
    world copy = w;
    std::vector<action> actions;
    looked_at = copy.wakes.due(monday + std::chrono::seconds{5 * i}).size();
    steady.push_back(milliseconds_of([&] { actions = tick(copy, monday + std::chrono::seconds{5 * i}); }));
  }
  std::cout << "steady tick, nobody due: median " << median(steady) << " ms, " << looked_at << " members looked at\n";

  // At 08:00 UTC the core tier in Berlin (one person in 20) is due.
  std::vector<double> due;
  std::size_t messages = 0;
  for (int i = 0; i < 5; ++i) {
    world copy = w;
    std::vector<action> actions;
    looked_at = copy.wakes.due(monday + 1min).size();
    due.push_back(milliseconds_of([&] { actions = tick(copy, monday + 1min); }));
    messages = static_cast<std::size_t>(std::ranges::count_if(actions, [](const action& a) {
      return std::holds_alternative<send_message>(a);
    }));
  }
  std::cout << "tick with Berlin's core tier due: median " << median(due) << " ms, " << looked_at << " members looked at, "
            << messages << " messages\n";
  return 0;
}
