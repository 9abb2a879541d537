#pragma once
// The persistence contract the core needs. Implementations live in storage/.

#include "core/action.h"
#include "core/inbound.h"
#include "core/model.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

/// `withdrawn`: checked again before delivery and found no longer true (core/delivery.h); never sent.
enum class outbox_state { pending, sent, failed, withdrawn };

/// How long after a month ends `store::count_ended_month` counts it.
inline constexpr std::chrono::days month_settle_days{7};

/// A message waiting in (or done with) the durable outbox.
struct outbox_row {
  std::int64_t id = 0;
  send_message item;
  outbox_state state = outbox_state::pending;
  int attempts = 0;
  time_point next_attempt{};
  std::string last_error;
};

/// How far back from its newest line the world holds the audit log (`store::load`): far enough
/// for what decisions read in it (the failed deliveries since the last digest). Older lines stay
/// in the store, read a page at a time (`store::audit_page`); so do the lines that date an
/// organization's start (`org.add`, `config.add`), which the world keeps whatever their age.
inline constexpr std::chrono::days audit_window{45};

/// Which audit lines `store::audit_page` reads: one collaboration's, of an action or its family
/// (`task` matches `task.assign`; empty: all), by one actor (empty: anyone).
struct audit_selection {
  std::string collaboration;
  std::string kind;
  std::string actor;
};

/// A page of audit lines, newest first, and how many lines match in all.
struct audit_lines {
  std::vector<audit_entry> entries;
  std::size_t total = 0;
};

/// Whether a response is recorded as handled by the core already (in the same transaction) or
/// for later (`unhandled_responses`).
enum class recorded_as { unhandled, handled };

/// An inbound event as recorded, with whether the core has handled it yet.
struct recorded_response {
  std::int64_t id = 0;
  inbound event;
  bool handled = false;
};

/// Durable state. Every method is synchronous and commits before it returns; a failure throws
/// `store_error`. A commit may become durable (survive a power cut) only at the next `sync`;
/// the outbox hands out only rows whose commit is durable. Not thread-safe, but for `sync`: one
/// owner at a time (the core strand).
class store {
 public:
  virtual ~store() = default;

  /// Makes every commit that returned before the call durable; blocks until the disk has it.
  /// May run on another thread while the owner goes on (group commit). Throws `store_error` when
  /// the disk refuses: durability is then unknown, and the process should stop.
  virtual void sync() = 0;

  /// Records an inbound event durably (text blanked unless `keep_text`), as handled or not.
  /// Returns the new row id, or nothing when an event with the same dedup key was recorded before.
  /// Record an event as handled only inside `in_one_transaction`, with its handling: if that
  /// fails, `mark_unhandled` it before the transaction commits.
  virtual std::optional<std::int64_t> record(const inbound& event, bool keep_text, recorded_as state) = 0;

  /// Marks a recorded response as not handled yet (its handling failed), for `unhandled_responses`.
  virtual void mark_unhandled(std::int64_t response_id) = 0;

  /// Applies the actions in one transaction: state rows are upserted, outbox rows are inserted
  /// unless their key exists (then left as they are), and `handled_response`, when given, is
  /// marked handled in the same transaction.
  virtual void apply(const std::vector<action>& actions, std::optional<std::int64_t> handled_response) = 0;

  /// Runs `work` (calls of `record` and `apply`) as one transaction, so that a burst of events
  /// costs one durable write (group commit). An `apply` that throws inside it undoes only its own
  /// changes; if `work` throws, or the commit fails, nothing of it is kept and this throws.
  virtual void in_one_transaction(const std::function<void()>& work) = 0;

  /// The whole state the engine decides from.
  virtual world load() = 0;

  /// Recorded events the core has not handled yet (after a crash between record and apply).
  virtual std::vector<recorded_response> unhandled_responses() = 0;

  /// Pending outbox rows whose next attempt is due at `now` and whose commit is durable, oldest
  /// first.
  virtual std::vector<outbox_row> due_outbox(time_point now, std::size_t limit) = 0;
  /// Of the rows `due_outbox` would give, only the first queued (lowest id) of each destination
  /// (platform, workspace, conversation, user), by next attempt then id: what can go at `now`
  /// when each destination takes one message at a time in the order it was queued, so that a
  /// long queue to one place never hides the others.
  virtual std::vector<outbox_row> due_outbox_heads(time_point now, std::size_t limit) = 0;
  /// Pending outbox rows due at `now` whose commit is written but not durable yet, oldest first:
  /// a crash of the process keeps them, a power cut may undo them. None where commits are
  /// durable at once.
  virtual std::vector<outbox_row> written_outbox(time_point now, std::size_t limit) = 0;
  /// The earliest next attempt later than `after` among durable pending rows, if any.
  virtual std::optional<time_point> next_outbox_attempt_after(time_point after) = 0;
  virtual void mark_sent(std::int64_t outbox_id, time_point now) = 0;
  virtual void mark_failed(std::int64_t outbox_id, std::string_view reason, time_point now) = 0;
  /// Counts an attempt and schedules the next one.
  virtual void retry_later(std::int64_t outbox_id, time_point next_attempt, std::string_view reason) = 0;
  /// Moves a pending row's next attempt to `next_attempt` without counting an attempt (its
  /// recipient may not be reached before then).
  virtual void postpone(std::int64_t outbox_id, time_point next_attempt) = 0;
  /// Marks a pending row withdrawn with its reason: it is never sent.
  virtual void withdraw(std::int64_t outbox_id, std::string_view reason, time_point now) = 0;
  /// All outbox rows with the given key prefix (reports, tests).
  virtual std::vector<outbox_row> outbox_rows(std::string_view key_prefix) = 0;

  /// A task's history (assignment, progress notes, blocks, closing), oldest first: detail the
  /// world does not keep, read on demand (the dashboard's task pages).
  virtual std::vector<record_task_update> task_history(std::int64_t task) = 0;

  /// The audit lines `which` selects, newest first: at most `limit` after skipping `offset`, with
  /// how many match in all (the dashboard's audit pages, of any age; see `audit_window`).
  virtual audit_lines audit_page(const audit_selection& which, std::size_t offset, std::size_t limit) = 0;

  /// Retention: blanks the recorded text of at most `limit` responses that came before `before`
  /// (oldest first), keeping the rows themselves (counts, last activity, dedup). Returns how many
  /// it blanked: fewer than `limit` when none older is left.
  virtual std::size_t forget_text_before(time_point before, std::size_t limit) = 0;

  /// Counts once, by person, the responses of the oldest UTC month not counted yet, if it ended
  /// at least `month_settle_days` before `now` (a late back-fill of its events has come by then),
  /// so that `load` reads that month's counts instead of its responses: the world's
  /// `monthly_responses` are the same either way. Returns true when another such month is left.
  virtual bool count_ended_month(time_point now) = 0;

  /// A small key-value table for adapter state such as sync tokens.
  virtual std::optional<std::string> setting(std::string_view key) = 0;
  virtual void put_setting(std::string_view key, std::string_view value) = 0;
};

/// A store operation failed (I/O error, corrupt file, constraint violated by a bug).
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string_view to_string(outbox_state);

}  // namespace tandem
