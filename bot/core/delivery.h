#pragma once
// The last look before a message leaves: is it still true, and may its recipient be reached now?
// Pure: the outbox dispatcher (and the simulation) ask it about every due message.

#include "core/action.h"
#include "core/model.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace tandem {

/// Deliver now: as decided, or (a nudge) rendered again from the world as it stands.
struct deliver_now {
  std::optional<message> rendered_again;  ///< nothing: the message as it was decided
  bool operator==(const deliver_now&) const = default;
};

/// Not yet: the recipient may not be reached before `until` (quiet hours, a pause, a day off).
struct hold_until {
  time_point until{};
  bool operator==(const hold_until&) const = default;
};

/// Never: the reason the message was decided for is gone.
struct withdraw {
  std::string reason;  ///< e.g. "task #4 is done", for the audit line and the outbox row
  bool operator==(const withdraw&) const = default;
};

using delivery_decision = std::variant<deliver_now, hold_until, withdraw>;

/// Checks a due message once more, against the world at `now`. Withdrawn: anything to a person
/// no longer known or no longer a member of the subject's collaboration; a message about a task
/// that is closed, reassigned or re-dated; about an approval round that closed, or whose
/// organization gave its final answer, or sent to someone who no longer answers for it; about a
/// silence episode that ended. Held: anything to a person, other than a reply to their own command,
/// while they may not be reached (reachable_at). Rooms are never held. Otherwise delivered, a nudge
/// rendered from the world at `now`.
delivery_decision check_delivery(const world& w, const send_message& m, time_point now);

/// What delivering `m` at `at` changes: a nudge counts as sent (record_nudge) only then.
std::vector<action> on_delivered(const send_message& m, time_point at);

/// What withdrawing `m` at `at` for `reason` records: the audit line `outbox.withdrawn`.
std::vector<action> on_withdrawn(const send_message& m, const std::string& reason, time_point at);

/// Where a message goes, named for facilitators: `platform:place`, the place being the room or
/// channel (`slack:C0123`, `matrix:!room:example.org`, `webhook:ops`) or, for a direct message,
/// `@person` (`slack:@ana`).
std::string delivery_place(const destination& to);

/// The audit action of a message given up by the outbox.
inline constexpr std::string_view failed_delivery_action = "outbox.failed";

/// What giving up `m` at `at` for `reason` records: the audit line `outbox.failed` with
/// "<delivery_place>: <reason>", which the facilitators' digest and `status` list.
std::vector<action> on_failed(const send_message& m, const std::string& reason, time_point at);

}  // namespace tandem
