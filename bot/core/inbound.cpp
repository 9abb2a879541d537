#include "core/inbound.h"

#include <array>

namespace tandem {
namespace {
constexpr std::array<std::string_view, 4> kind_names{"message", "command", "reaction", "button"};
}

std::string_view to_string(inbound_kind k) { return kind_names.at(static_cast<std::size_t>(k)); }

std::optional<inbound_kind> inbound_kind_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kind_names.size(); ++i) {
    if (kind_names[i] == s) return static_cast<inbound_kind>(i);
  }
  return std::nullopt;
}

bool keeps_text(const world& w, const inbound& event) {
  if (event.addressed) return true;
  const auto collab = collaboration_of_room(w, room{event.sender.platform, event.sender.workspace, event.conversation});
  return collab && w.collaborations.at(*collab).record_full_text;
}

}  // namespace tandem
