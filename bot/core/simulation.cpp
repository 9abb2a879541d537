#include "simulation.h"

#include "engagement.h"
#include "engine.h"

#include <date/date.h>

#include <algorithm>
#include <sstream>

namespace tandem {
namespace {

void collect(const std::vector<action>& actions, std::vector<timeline_entry>& timeline) {
  for (const action& a : actions) {
    if (const auto* m = std::get_if<send_message>(&a)) {
      if (is_reply_key(m->key)) continue;  // answers to the script's own commands are not news
      timeline.push_back(timeline_entry{m->not_before, m->to.person, m->key, m->body});
    } else if (const auto* audit = std::get_if<record_audit>(&a); audit != nullptr && audit->value.actor == "system") {
      timeline.push_back(timeline_entry{audit->value.at, "", audit->value.action,
                                        message{"flag", {{"action", audit->value.action}, {"detail", audit->value.detail}}}});
    }
  }
}

}  // namespace

std::variant<std::vector<scripted_response>, std::string> parse_response_script(std::string_view text) {
  std::vector<scripted_response> script;
  std::istringstream lines{std::string{text}};
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos || line.starts_with('#')) continue;
    std::istringstream in{line};
    date::sys_seconds at;
    in >> date::parse("%F %H:%M", at);
    std::string person;
    if (in.fail() || !(in >> person)) {
      return "line " + std::to_string(number) + ": write `YYYY-MM-DD HH:MM PERSON TEXT` (UTC), e.g. "
             "`2026-12-07 10:30 emma done 1`";
    }
    std::string rest;
    std::getline(in, rest);
    rest.erase(0, rest.find_first_not_of(' '));
    if (rest.empty()) return "line " + std::to_string(number) + ": what does " + person + " say? (text missing)";
    script.push_back({at, person, rest});
  }
  return script;
}

std::vector<timeline_entry> simulate(world w, time_point start, int days, std::vector<scripted_response> responses,
                                     std::chrono::minutes step) {
  std::ranges::stable_sort(responses, {}, &scripted_response::at);
  std::vector<timeline_entry> timeline;
  auto next_response = responses.begin();
  const time_point end = start + std::chrono::days{days};
  int counter = 0;
  for (time_point now = start; now <= end; now += step) {
    for (; next_response != responses.end() && next_response->at <= now; ++next_response) {
      const auto p = w.people.find(next_response->person);
      if (p == w.people.end() || p->second.identities.empty()) continue;
      const inbound said{"simulation:" + std::to_string(++counter), p->second.identities.front(), "simulation:dm",
                         true, true, inbound_kind::command, next_response->text, next_response->at, ""};
      auto actions = handle(w, said, next_response->at);
      apply_to_world(w, actions);
      collect(actions, timeline);
    }
    auto actions = tick(w, now);
    apply_to_world(w, actions);
    collect(actions, timeline);
  }
  std::ranges::stable_sort(timeline, [](const timeline_entry& a, const timeline_entry& b) {
    return std::tie(a.at, a.person, a.key) < std::tie(b.at, b.person, b.key);
  });
  return timeline;
}

}  // namespace tandem
