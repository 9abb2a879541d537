#include "core/collaboration_secrets.h"

#include <array>

namespace tandem {

std::vector<action> missing_secrets(const world& w, const std::function<std::string()>& generate) {
  static constexpr std::array purposes{"calendar", "export"};
  std::vector<action> out;
  for (const auto& [id, _] : w.collaborations) {
    for (const char* purpose : purposes) {
      if (!w.secrets.contains({id, purpose})) out.push_back(save_secret{id, purpose, generate()});
    }
  }
  return out;
}

}  // namespace tandem
