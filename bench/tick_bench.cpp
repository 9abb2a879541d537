// Tick cost of the engagement engine with 100,000 people in 10 collaborations and 1,000,000
// responses behind them: how long one tick takes to decide the due nudges and silences. Reports
// the first tick after a start (it looks at everyone), a steady tick with nobody due, and the tick
// where one tier in one time zone is due (one person in twenty).
//
// Usage: tandem_tick_bench [people] [responses_per_person]

#include "bench/bench_world.h"
#include "core/engagement.h"

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using namespace tandem;
using namespace tandem::bench;
using namespace std::chrono_literals;


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
