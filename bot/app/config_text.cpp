// How values are written in the config's messages.
#include "app/config_text.h"

#include "core/dates.h"

namespace tandem::config_detail {

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string describe(const identity& id) {
  return id.platform + ":" + (id.workspace.empty() ? "" : id.workspace + "/") + id.user;
}

std::string describe(const room& r) { return r.platform + ":" + (r.workspace.empty() ? "" : r.workspace + "/") + r.id; }

std::string describe(const std::optional<quiet_hours>& quiet) {
  if (!quiet) return "the default";
  if (quiet->empty()) return "off";
  return in_quotes(format_minute_of_day(quiet->start_minute) + "-" + format_minute_of_day(quiet->end_minute));
}

std::string describe(const std::set<role>& roles) {
  std::vector<std::string_view> names;
  names.reserve(roles.size());
  for (role r : roles) names.push_back(to_string(r));
  return joined(names);
}

std::string describe(const std::vector<identity>& ids) {
  std::vector<std::string> names;
  names.reserve(ids.size());
  for (const identity& id : ids) names.push_back(describe(id));
  return "[" + joined(names) + "]";
}

std::string format_duration(std::chrono::seconds d) {
  const auto s = d.count();
  if (s == 0) return "0";
  if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace tandem::config_detail
