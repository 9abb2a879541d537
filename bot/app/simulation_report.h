#pragma once
// Printing a simulated timeline (`tandem simulate`).

#include "app/template_catalog.h"
#include "core/simulation.h"

#include <string>
#include <vector>

namespace tandem {

/// One line per entry, `2027-01-04 08:00 | dee | nudge | nudge:delta:dee:1799049600`: what tests compare.
std::string compact_timeline(const std::vector<timeline_entry>& timeline);

/// The timeline as a facilitator reads it: each message at its delivery time in the recipient's
/// zone, with the text they will see; flags marked `!!`; a summary per person at the end.
std::string readable_timeline(const std::vector<timeline_entry>& timeline, const world& w,
                              const template_catalog& templates);

}  // namespace tandem
