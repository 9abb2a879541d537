// The dashboard's overview of one collaboration with 10,000 people, in a world of 100,000 people
// and 1,000,000 responses (bench_world.h), with six months of nudges behind everyone (two a month,
// most answered), silences, open approval rounds, events and an audit log: how long the page data
// and its HTML take together, and how much the page weighs.
//
// Usage: tandem_dashboard_bench [people] [responses_per_person] [runs]

#include "adapters/web/dashboard_html.h"
#include "bench/bench_world.h"
#include "core/dashboard_pages.h"

#include <date/date.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

using namespace tandem;
using namespace tandem::bench;

namespace {

/// What the tick bench's world lacks and the overview reads.
void add_history(world& w, time_point now) {
  int i = 0;
  for (const auto& [key, m] : w.memberships) {
    auto& sent = w.nudges[key];
    for (int week = 26; week > 0; week -= 2, ++i) {
      const time_point at = now - std::chrono::days{7 * week};
      sent.push_back(nudge_record{at, i % 3 == 0 ? std::nullopt : std::optional{at + std::chrono::hours{1 + i % 40}}});
    }
  }
  for (const auto& [id, _] : w.collaborations) {
    for (int o = 0; o < 20; ++o) {
      w.audit.push_back(audit_entry{now - std::chrono::days{400}, id, "config", "config.add",
                                    "organization org-" + std::to_string(o) + " \"Organization " + std::to_string(o) + "\" in collaboration " + id});
    }
    for (int s = 0; s < 40; ++s) {
      const std::string who = "p" + std::to_string(1000 + s * 10);
      silence quiet;
      quiet.collaboration = id;
      quiet.id = who;
      quiet.since = now - std::chrono::days{s};
      quiet.last_heard = now - std::chrono::days{30 + s};
      w.silences[{id, silence_subject::person, who}] = quiet;
    }
    for (std::int64_t r = 0; r < 5; ++r) {
      approval_round round;
      round.number = static_cast<std::int64_t>(w.approvals.size()) + 1;
      round.collaboration = id;
      round.title = "Round " + std::to_string(round.number);
      round.deadline = now + std::chrono::days{7};
      round.opened_at = now - std::chrono::days{3};
      for (int o = 0; o < 20; ++o) {
        approval_answer asked;
        asked.organization = "org-" + std::to_string(o);
        round.answers.push_back(asked);
      }
      w.approvals[round.number] = round;
    }
  }
  for (std::int64_t e = 1; e <= 200; ++e) {
    calendar_event ev;
    ev.number = e;
    ev.collaboration = "collab-" + std::to_string(e % 10);
    ev.day = std::chrono::floor<std::chrono::days>(now) + std::chrono::days{e % 20};
    ev.title = "Event " + std::to_string(e);
    ev.topics = {"news"};
    w.events[e] = ev;
  }
  for (int a = 0; a < 100'000; ++a) {
    w.audit.push_back(audit_entry{now - std::chrono::minutes{a}, "collab-" + std::to_string(a % 10), "system",
                                  "nudge.sent", "p" + std::to_string(a)});
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int people = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const int per_person = argc > 2 ? std::atoi(argv[2]) : 10;
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 15;
  const time_point now = date::sys_days{date::year{2027} / 1 / 4} + std::chrono::hours{10};
  world w = build(people, per_person, now);
  add_history(w, now);
  const web_labels labels = web_labels::load(std::filesystem::path{TANDEM_SOURCE_DIR} / "prompts");
  const dashboard_viewer viewer = *dashboard_viewer_of(w, "collab-0", "p0");
  std::size_t members = 0;
  for (const auto& [key, m] : w.memberships) members += key.first == "collab-0" ? 1U : 0U;
  std::cout << people << " people, " << static_cast<long long>(people) * per_person << " responses; the overview of "
            << members << " people in collab-0, for a facilitator\n";

  std::vector<double> wall, cpu;
  std::size_t bytes = 0;
  for (int i = 0; i < runs; ++i) {
    const auto one = [&] {
      page_frame frame{&labels, viewer, "Collaboration 0", "overview", "csrf", "nonce", {}, {}, now};
      bytes = overview_html(frame, overview(w, viewer, now)).size();
    };
    wall.push_back(milliseconds_of([&] { cpu.push_back(cpu_milliseconds_of(one)); }));
  }
  std::ranges::sort(wall);
  std::cout << "overview (page data and HTML), " << runs << " runs: median " << median(wall) << " ms (CPU " << median(cpu)
            << " ms), fastest " << wall.front() << " ms, slowest " << wall.back() << " ms; " << bytes / 1024
            << " KB\n";
  return 0;
}
