#pragma once
// The SQL stores' `apply`: each action written as rows, inside the caller's transaction.
// Internal to storage/.

#include "core/action.h"
#include "storage/sql/sql_statements.h"

namespace tandem::sql {

/// A unit of writes that is its own transaction when none is open, and a savepoint inside an open
/// one (`in_one_transaction`): undone alone when it fails, committed with the rest otherwise.
class write_scope {
 public:
  /// Begins the transaction or the savepoint. Throws `store_error`.
  explicit write_scope(connection& db);
  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;
  /// Undoes the writes unless committed; never throws.
  ~write_scope();
  /// Commits the transaction, or releases the savepoint into the open one. Throws `store_error`.
  void commit();
  /// Whether this scope is a transaction of its own (its commit is a commit of the database).
  [[nodiscard]] bool outermost() const { return !nested_; }

 private:
  connection& db_;
  bool nested_;
  bool done_ = false;
};

/// Writes each action of an `apply` inside the caller's transaction (a `write_scope`): state rows
/// are upserted, outbox rows inserted unless their key exists, history appended. Throws
/// `store_error`; the caller's scope then undoes what was written.
class action_writer {
 public:
  explicit action_writer(connection& db) : db_(db) {}

  void operator()(const send_message&) const;
  void operator()(const save_collaboration&) const;
  void operator()(const save_organization&) const;
  void operator()(const save_person&) const;
  void operator()(const learn_time_zone&) const;
  void operator()(const save_membership&) const;
  void operator()(const save_tier_policy&) const;
  void operator()(const save_task&) const;
  void operator()(const save_engagement&) const;
  void operator()(const save_silence&) const;
  void operator()(const record_tick&) const;
  void operator()(const record_task_update&) const;
  void operator()(const record_audit&) const;
  // The responses row recorded before the core handled it is the activity; load() derives
  // last_response and the monthly counts from it. Here only the nudge it answers is marked, and
  // the row as presence when it was a read-only command.
  void operator()(const note_activity&) const;
  void operator()(const save_event&) const;
  void operator()(const record_nudge&) const;
  void operator()(const save_pulse&) const;
  void operator()(const save_round&) const;
  void operator()(const save_approval&) const;
  void operator()(const save_sign_in&) const;
  void operator()(const save_session&) const;
  void operator()(const issue_sign_in&) const;
  void operator()(const rotate_secret&) const;
  void operator()(const save_secret&) const;

 private:
  connection& db_;
};

}  // namespace tandem::sql
