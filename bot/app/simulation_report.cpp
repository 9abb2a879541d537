#include "app/simulation_report.h"

#include "core/dates.h"
#include "core/markup.h"

#include <map>
#include <sstream>

namespace tandem {

std::string compact_timeline(const std::vector<timeline_entry>& timeline) {
  std::ostringstream out;
  for (const timeline_entry& e : timeline) {
    out << format_local_time(e.at, "UTC") << " | " << (e.person.empty() ? "-" : e.person) << " | " << e.body.kind
        << " | " << e.key << '\n';
  }
  return out.str();
}

std::string readable_timeline(const std::vector<timeline_entry>& timeline, const world& w,
                              const template_catalog& templates) {
  std::ostringstream out;
  std::map<std::string, std::map<std::string, int>> received;  // person -> kind -> count
  for (const timeline_entry& e : timeline) {
    if (e.body.kind == "flag") {
      out << format_local_time(e.at, "UTC") << " UTC  !! " << e.body.values.value("action", "") << ": "
          << e.body.values.value("detail", "") << "\n\n";
      continue;
    }
    if (e.person.empty()) {
      out << format_local_time(e.at, "UTC") << " UTC  -> the collaboration's rooms (" << e.body.kind << ")\n";
      std::istringstream text{markup_to_plain(templates.render(e.body, "en"))};
      for (std::string line; std::getline(text, line);) out << "    " << line << '\n';
      out << '\n';
      continue;
    }
    const auto p = w.people.find(e.person);
    const std::string zone = p != w.people.end() ? p->second.time_zone : "UTC";
    const std::string language = p != w.people.end() ? p->second.language : "en";
    ++received[e.person][e.body.kind];
    out << format_local_time(e.at, zone) << " " << zone << "  -> " << (p != w.people.end() ? p->second.name : e.person)
        << " (" << e.body.kind << ")\n";
    std::istringstream text{markup_to_plain(templates.render(e.body, language))};
    for (std::string line; std::getline(text, line);) out << "    " << line << '\n';
    out << '\n';
  }
  out << "Messages per person:\n";
  for (const auto& [person, kinds] : received) {
    out << "  " << person << ":";
    for (const auto& [kind, count] : kinds) out << ' ' << kind << " x" << count;
    out << '\n';
  }
  return out.str();
}

}  // namespace tandem
