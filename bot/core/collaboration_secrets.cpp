#include "core/collaboration_secrets.h"

#include "core/calendar.h"
#include "core/reports.h"

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

void complete_rotations(const world& w, std::vector<action>& actions, const std::function<std::string()>& generate) {
  std::vector<action> replies;
  for (action& a : actions) {
    auto* rotation = std::get_if<rotate_secret>(&a);
    if (rotation == nullptr) continue;
    std::string token = generate();
    send_message reply = std::move(rotation->reply);
    if (rotation->purpose == "calendar") {
      reply.body.values["feed_url"] = calendar_feed_url(w.engine.public_url, rotation->collaboration, token);
    } else {
      auto [csv, json] = export_urls(w.engine.public_url, rotation->collaboration, token);
      reply.body.values["csv_url"] = std::move(csv);
      reply.body.values["json_url"] = std::move(json);
    }
    a = save_secret{rotation->collaboration, rotation->purpose, std::move(token)};
    replies.emplace_back(std::move(reply));
  }
  for (action& reply : replies) actions.push_back(std::move(reply));
}

}  // namespace tandem
