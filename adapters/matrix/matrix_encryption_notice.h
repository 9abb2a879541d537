#pragma once
// Encrypted rooms: Tandem cannot read them, so it says so once, in a plain notice, in the
// language of whoever wrote the event that showed the room is encrypted.

#include "adapters/adapter_context.h"
#include "adapters/adapter_state.h"
#include "adapters/matrix/matrix_api.h"
#include "adapters/matrix/matrix_translate.h"

#include <set>
#include <string>

namespace tandem::matrix {

/// Tells each encrypted room once ever (remembered in the adapter state) that Tandem cannot read
/// it. Used on the adapter's thread only.
class encryption_notices {
 public:
  /// Everything given must outlive it; `options.text_for` renders the notice.
  encryption_notices(const session_tools& tools, const bot_account& bot);

  /// `room_id` is encrypted, as an event of `sender` shows: tells it, unless it was told before.
  /// A failed notice is tried again at the next encrypted event.
  void room_is_encrypted(const std::string& room_id, const std::string& sender);

 private:
  session_tools tools_;
  const bot_account& bot_;
  std::set<std::string> noticed_;  ///< rooms told (or being told) during this run
};

}  // namespace tandem::matrix
