#include "core/simulation.h"

#include "core/delivery.h"
#include "core/engagement.h"
#include "core/engine.h"

#include <date/date.h>

#include <algorithm>
#include <set>
#include <sstream>

namespace tandem {
namespace {

/// The simulation's outbox: messages wait in it until they are due, and then pass the same last
/// look (check_delivery) as in the running bot, so the timeline shows them when they would really
/// arrive, or withdrawn.
class simulated_outbox {
 public:
  simulated_outbox(std::vector<timeline_entry>& timeline, const delivery_observer& observe)
      : timeline_(timeline), observe_(observe) {}

  /// Takes the messages and the system's flags among `actions`.
  void collect(const std::vector<action>& actions) {
    for (const action& a : actions) {
      if (const auto* m = std::get_if<send_message>(&a)) {
        if (is_reply_key(m->key)) continue;  // answers to the script's own commands are not news
        if (keys_.insert(m->key).second) waiting_.push_back(*m);
      } else if (const auto* audit = std::get_if<record_audit>(&a); audit != nullptr && audit->value.actor == "system") {
        timeline_.push_back(timeline_entry{audit->value.at, "", audit->value.action,
                                           message{"flag", {{"action", audit->value.action}, {"detail", audit->value.detail}}}});
      }
    }
  }

  /// Delivers, holds or withdraws, in time order, every message due by `until`.
  void deliver_due(world& w, time_point until) {
    for (;;) {
      auto next = std::ranges::min_element(waiting_, {}, &send_message::not_before);
      if (next == waiting_.end() || next->not_before > until) return;
      send_message m = std::move(*next);
      waiting_.erase(next);
      const time_point at = m.not_before;
      const delivery_decision decision = check_delivery(w, m, at);
      std::vector<action> changes;
      if (const auto* held = std::get_if<hold_until>(&decision)) {
        m.not_before = held->until;
        waiting_.push_back(std::move(m));
        continue;
      }
      if (const auto* gone = std::get_if<withdraw>(&decision)) {
        changes = on_withdrawn(m, gone->reason, at);
      } else {
        const auto& rendered_again = std::get<deliver_now>(decision).rendered_again;
        timeline_.push_back(timeline_entry{at, m.to.person, m.key, rendered_again.value_or(m.body)});
        if (observe_) observe_(w, timeline_.back());
        changes = on_delivered(m, at);
      }
      apply_to_world(w, changes);
      collect(changes);
    }
  }

 private:
  std::vector<timeline_entry>& timeline_;
  const delivery_observer& observe_;
  std::vector<send_message> waiting_;
  std::set<std::string> keys_;  ///< an outbox row is created at most once per key
};

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
                                     std::chrono::minutes step, const delivery_observer& observe) {
  std::ranges::stable_sort(responses, {}, &scripted_response::at);
  std::vector<timeline_entry> timeline;
  simulated_outbox outbox{timeline, observe};
  auto next_response = responses.begin();
  const time_point end = start + std::chrono::days{days};
  int counter = 0;
  for (time_point now = start; now <= end; now += step) {
    for (; next_response != responses.end() && next_response->at <= now; ++next_response) {
      outbox.deliver_due(w, next_response->at);
      const auto p = w.people.find(next_response->person);
      if (p == w.people.end() || p->second.identities.empty()) continue;
      const inbound said{"simulation:" + std::to_string(++counter), p->second.identities.front(), "simulation:dm",
                         true, true, inbound_kind::command, next_response->text, next_response->at, ""};
      auto actions = handle(w, said, next_response->at);
      apply_to_world(w, actions);
      outbox.collect(actions);
    }
    auto actions = tick(w, now);
    apply_to_world(w, actions);
    outbox.collect(actions);
    outbox.deliver_due(w, now);
  }
  std::ranges::stable_sort(timeline, [](const timeline_entry& a, const timeline_entry& b) {
    return std::tie(a.at, a.person, a.key) < std::tie(b.at, b.person, b.key);
  });
  return timeline;
}

}  // namespace tandem
