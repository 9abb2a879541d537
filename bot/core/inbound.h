#pragma once
// What an adapter hands the core: one platform event, already verified and parsed.

#include "core/model.h"

#include <string>

namespace tandem {

enum class inbound_kind { message, command, reaction, button };

/// One event from a platform. The adapter chooses `dedup_key` (it knows its platform's retries).
struct inbound {
  std::string dedup_key;     ///< e.g. "slack:T1:C1:1355517523.000005", "console:ana:17"
  identity sender;
  std::string conversation;  ///< platform room/channel id; for a DM the DM's id
  bool direct = false;       ///< a direct conversation with Tandem
  bool addressed = false;    ///< meant for Tandem: a command, a DM, a mention, an answer on its message
  inbound_kind kind = inbound_kind::message;
  std::string text;          ///< message text, command text, reaction name or button value
  time_point at{};
  std::string reply_handle;  ///< opaque to the core: what the adapter needs to answer there (copied to replies)
  bool operator==(const inbound&) const = default;
};

std::string_view to_string(inbound_kind);
std::optional<inbound_kind> inbound_kind_from_string(std::string_view);

/// Whether the store may keep the event's text (PRODUCT "Privacy"): always for what is addressed
/// to Tandem, otherwise only when the event's collaboration asks for full text.
bool keeps_text(const world&, const inbound&);

}  // namespace tandem
