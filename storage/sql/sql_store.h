#pragma once
// The core's store over one SQL connection, written once for every SQL backend: what it records,
// applies, loads and hands out of the outbox. A backend (sqlite_store, postgresql_store) opens the
// connection, migrates its schema and says when a commit is durable.

#include "core/store.h"
#include "storage/sql/sql_connection.h"
#include "storage/sql/sql_store_copy.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem {

/// A store on one SQL connection. Every method commits before it returns and reports failures as
/// `store_error` naming the store and the operation. Not thread-safe, but for `sync`: one owner at
/// a time (the core strand).
///
/// The work is split by job: `apply`'s writes (sql_action_writer.cpp), `load`
/// (sql_world_loader.cpp), the outbox (sql_store_outbox.cpp), and the rest here.
class sql_store : public store {
 public:
  /// Whether a commit is durable once it returns, or only at the backend's `sync`.
  enum class durable { at_commit, at_sync };

  /// Takes a connection to a migrated database.
  sql_store(std::unique_ptr<sql::connection> db, durable when);
  ~sql_store() override;
  sql_store(const sql_store&) = delete;
  sql_store& operator=(const sql_store&) = delete;

  /// Inserts a responses row; nothing when the dedup key exists. Returns the new row id or nothing.
  std::optional<std::int64_t> record(const inbound& event, bool keep_text, recorded_as state) override;
  /// Throws `store_error` for an unknown `response_id`.
  void mark_unhandled(std::int64_t response_id) override;
  /// One transaction: upserts state rows (a person's identities are replaced in order), inserts
  /// outbox rows unless their key exists, appends task updates and audit lines, takes from
  /// `note_activity` only the nudge it answers and whether its responses row (by `response_key`)
  /// is presence only (the row is the activity), changes a person's zone by `learn_time_zone`
  /// only while it is the default, and marks `handled_response` handled.
  /// Throws `store_error` and leaves nothing behind when any of it fails (for example an identity
  /// claimed by two people, or an unknown `handled_response`).
  void apply(const std::vector<action>& actions, std::optional<std::int64_t> handled_response) override;
  void in_one_transaction(const std::function<void()>& work) override;
  /// Reads the whole world in one read transaction; `languages` is left at its default, and
  /// `last_response` is the latest handled responses row of each person's identities.
  world load() override;
  /// Unhandled responses in the order they were recorded.
  std::vector<recorded_response> unhandled_responses() override;

  /// Durable pending rows with next_attempt <= now, by next_attempt then id, at most `limit`.
  std::vector<outbox_row> due_outbox(time_point now, std::size_t limit) override;
  /// One statement: the due rows numbered per destination in the order they were queued (by id),
  /// the first of each.
  std::vector<outbox_row> due_outbox_heads(time_point now, std::size_t limit) override;
  /// Pending rows due at `now` committed since the last sync, by id, at most `limit`; none when
  /// commits are durable at once.
  std::vector<outbox_row> written_outbox(time_point now, std::size_t limit) override;
  std::optional<time_point> next_outbox_attempt_after(time_point after) override;
  /// Marks the row sent and counts the attempt. Throws `store_error` for an unknown id.
  void mark_sent(std::int64_t outbox_id, time_point now) override;
  /// Marks the row failed for good, keeps `reason` and counts the attempt. Throws `store_error`
  /// for an unknown id.
  void mark_failed(std::int64_t outbox_id, std::string_view reason, time_point now) override;
  /// Counts an attempt, keeps `reason` and schedules the next one. Throws `store_error` for an
  /// unknown id.
  void retry_later(std::int64_t outbox_id, time_point next_attempt, std::string_view reason) override;
  void postpone(std::int64_t outbox_id, time_point next_attempt) override;
  void withdraw(std::int64_t outbox_id, std::string_view reason, time_point now) override;
  /// Rows whose key starts with `key_prefix` (compared exactly, case-sensitively), by id.
  std::vector<outbox_row> outbox_rows(std::string_view key_prefix) override;
  std::vector<record_task_update> task_history(std::int64_t task) override;
  /// Two statements in one snapshot: the page, through `audit_by_collaboration`, and the count.
  audit_lines audit_page(const audit_selection& which, std::size_t offset, std::size_t limit) override;

  /// One statement: the oldest responses with text before `before`, through their own index.
  std::size_t forget_text_before(time_point before, std::size_t limit) override;
  /// One transaction: a count per identity through `responses_by_sender`, summed by person.
  bool count_ended_month(time_point now) override;

  std::optional<std::string> setting(std::string_view key) override;
  /// Inserts or replaces the value of `key`.
  void put_setting(std::string_view key, std::string_view value) override;

  /// Copies every row of this store into `target`, an empty store of any backend (both are at the
  /// latest schema version once opened): all of it in one transaction of the target, then each
  /// table counted in both. Nothing else may write to either meanwhile. Throws `store_error` when
  /// the target holds any row, a row cannot be written (the target keeps nothing), or the counts
  /// differ.
  std::vector<sql::copied_table> copy_to(sql_store& target);

 protected:
  /// The connection, for the backend's own work (its sync, its checkpoints).
  sql::connection& connection() { return *db_; }
  /// Every outbox row committed before the call is durable now (the backend's sync has run).
  void outbox_synced(std::int64_t committed_before);
  /// The highest outbox row id committed so far: read before a sync, given to `outbox_synced` after.
  [[nodiscard]] std::int64_t committed_outbox() const { return committed_outbox_.load(); }
  /// After the constructor of a backend has opened what it needs: notes the rows already there.
  void note_commit();

  /// Runs `operation`, reporting a `store_error` it throws as one naming the store and `operation_name`.
  template <typename Operation>
  auto translated(std::string_view operation_name, Operation&& operation) {
    try {
      return std::forward<Operation>(operation)();
    } catch (const store_error& e) {
      throw store_error(std::string{db_->name()} + ": " + std::string{operation_name} + ": " + e.what());
    }
  }

 private:
  std::unique_ptr<sql::connection> db_;
  const durable durable_;
  /// The highest outbox row id committed, and the highest whose commit is durable: due_outbox
  /// hands out only durable rows, so nothing is sent for a decision a power cut could undo.
  std::atomic<std::int64_t> committed_outbox_{0};
  std::atomic<std::int64_t> durable_outbox_{0};
};

}  // namespace tandem
