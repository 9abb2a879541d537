#pragma once
// Approval rounds answered by organizations (PRODUCT "Organization representatives"), and the
// handover of a representative's duties to a successor. Pure: no I/O, time comes in as `now`.

#include "core/action.h"
#include "core/command.h"
#include "core/model.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

std::string_view to_string(approval_rule);
std::optional<approval_rule> approval_rule_from_string(std::string_view);
std::string_view to_string(approval_state);
std::optional<approval_state> approval_state_from_string(std::string_view);

/// True for approve, abstain and object: the organization has answered.
bool is_final(approval_state);

/// The number the next `approval open` gets: numbers are never reused.
std::int64_t next_approval_number(const world&);

/// The result of a round by its rule, from the answers as they stand. `all`: every organization
/// approved or abstained, and at least one approved; `majority`: more than half of the
/// organizations asked approved; `no-objection`: nobody objected (silence consents).
bool approval_result(const approval_round&);

/// The engine's side of one command being handled, as these handlers need it. Used on the core
/// strand only, during `handle`.
struct command_scope {
  const world& w;
  const person& sender;
  const std::string& collaboration;
  time_point now;
  const std::string& event_key;  ///< the inbound event's dedup key: messages it causes derive their keys from it
  std::function<void(std::string kind, nlohmann::json values)> reply;  ///< answers the sender where they wrote
  std::function<void(action)> change;                                  ///< state changes, audit lines, messages
};

/// `approval open`, `approval status`, `approval close` (facilitators) and `ack`, `checking`,
/// `approve`, `abstain`, `object`, `approvals` (an asked organization's representatives). Exactly
/// one reply. `approval close` on a round some organizations have not answered lists them and
/// closes only with `confirm`; `approvals` lists the open rounds asking the sender's organization
/// with its answer so far.
void run_approval_command(command_scope& scope, const command& c);

/// `handover org:<id> @old @new` (facilitators): moves the old representative's open tasks and
/// role to the successor, marks the old one as former, and sends the successor an onboarding
/// digest. `resolve` finds a person from a reference as written. Exactly one reply.
void run_handover(command_scope& scope, const command& c,
                  const std::function<const person*(const std::string&)>& resolve);

/// The tick's part for approval rounds: reminders before a representative's expected date and
/// before the deadline, the escalation of organizations still pending near the deadline (to their
/// alternate and the facilitators), and closing rounds at their deadline with the announcement.
/// Keys derive from the round (`approval:<n>:<org>:deadline:<person>`...): repeating sends nothing twice.
std::vector<action> approvals_tick(const world& w, time_point now);

/// The pending approvals of a person's organization in a collaboration, for nudges: each with
/// number, title, deadline and state flags, soonest deadline first. Empty for non-representatives.
nlohmann::json pending_approvals(const world& w, const std::string& collaboration, const person& p);

/// The nudge of a representative with no open task but `approvals` pending (not empty, as
/// pending_approvals gives them): asks for an answer to the first one.
message approval_nudge(const person& p, const std::string& collaboration_name, nlohmann::json approvals);

/// The one-click answers of an approval request: ack, checking, approve, abstain, object (with a reason).
std::vector<answer> approval_answers(std::int64_t number);

/// The open rounds of a collaboration, for the facilitator digest: number, title, deadline (in
/// `zone`), and the organizations still without a final answer (`waiting`, empty when none).
/// Soonest deadline first.
nlohmann::json open_rounds(const world& w, const std::string& collaboration, const std::string& zone);

/// Representatives silent past their threshold, for the facilitator digest: who, their id (`ref`),
/// their organization's id and name, and for how many days.
nlohmann::json handover_suggestions(const world& w, const std::string& collaboration, time_point now);

}  // namespace tandem
