#pragma once
// A dry run of the engine over simulated time, so that a facilitator can tune cadences before
// going live (`tandem simulate`), and tests can check weeks of behaviour in milliseconds.

#include "core/action.h"
#include "core/model.h"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tandem {

/// Something a person says to Tandem in a direct message at a moment of the simulation.
struct scripted_response {
  time_point at{};
  std::string person;
  std::string text;
  bool operator==(const scripted_response&) const = default;
};

/// Reads a response script: one response per line, `YYYY-MM-DD HH:MM PERSON TEXT…` in UTC;
/// blank lines and lines starting with `#` are skipped. The error names the line.
std::variant<std::vector<scripted_response>, std::string> parse_response_script(std::string_view text);

/// One thing that happened in a simulation: a message delivered to a person (at its delivery
/// time), or a flag the engine raised (a silence, a skipped nudge, an overdue task).
struct timeline_entry {
  time_point at{};
  std::string person;  ///< the recipient; empty for flags
  std::string key;     ///< the outbox key, or the audit action for flags
  message body;        ///< for flags: kind "flag" with values {action, detail}
};

/// Called with each message as it is delivered and the world at that moment (tests check rules).
using delivery_observer = std::function<void(const world&, const timeline_entry&)>;

/// Runs the engine over `days` from `start`, ticking every `step` and handling each scripted
/// response at its time. Messages wait in a simulated outbox and pass the same last look as in
/// the running bot (check_delivery) when due: the timeline shows each when it would really be
/// delivered, and a withdrawal as a flag. Ordered by time. Pure.
std::vector<timeline_entry> simulate(world w, time_point start, int days, std::vector<scripted_response> responses,
                                     std::chrono::minutes step = std::chrono::minutes{15},
                                     const delivery_observer& observe = {});

}  // namespace tandem
