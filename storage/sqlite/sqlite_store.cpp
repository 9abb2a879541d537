#include "sqlite_store.h"

#include "sqlite_action_writer.h"
#include "sqlite_migrations.h"
#include "sqlite_statements.h"
#include "sqlite_world_loader.h"
#include "sqlite_write_ahead_log.h"
#include "wal_write_combining.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <utility>

namespace tandem {

using namespace sqlite_detail;

namespace {

constexpr int busy_timeout_ms = 5000;

}  // namespace

sqlite_store::sqlite_store(const std::string& path, sqlite_durability durability) : durability_(durability) {
  translated("opening " + path, [&] {
    // A file's WAL frames go out in one write per commit (see wal_write_combining.h).
    const std::string vfs = path == ":memory:" ? "" : wal_write_combining_vfs();
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms, vfs);
    if (path != ":memory:") {
      const std::string mode = db_->execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") {
        throw store_error("sqlite store: opening " + path + ": the journal mode stays '" + mode + "', not 'wal'");
      }
      if (durability_ == sqlite_durability::at_sync) {
        // Checkpoints move to sync(), on a connection of their own: SQLite's automatic ones would
        // run inside the owner's commits and hold it up while the database file is synced.
        log_ = std::make_unique<sqlite_write_ahead_log>(*db_, path, vfs, busy_timeout_ms);
      }
    }
    db_->exec("PRAGMA foreign_keys = ON");
    // NORMAL in WAL mode: a commit writes its frames without waiting for the disk, a checkpoint
    // still syncs the WAL before and the database after, so the file never corrupts; sync()
    // makes the commits durable.
    db_->exec(durability_ == sqlite_durability::at_commit ? "PRAGMA synchronous = FULL"
                                                          : "PRAGMA synchronous = NORMAL");
    migrate(*db_);
    statements_ = std::make_unique<statement_cache>(*db_);
    note_commit();
  });
  sync();  // what an earlier run left written but perhaps not synced
}

sqlite_store::~sqlite_store() {
  statements_.reset();
  log_.reset();
  db_.reset();
}

void sqlite_store::sync() {
  if (durability_ == sqlite_durability::at_commit) return;
  // Read before syncing: every commit that returned before this line is on disk after it.
  const std::int64_t committed = committed_outbox_.load();
  if (log_ != nullptr) log_->sync();
  raise_durable_outbox(committed);
}

bool sqlite_store::checkpoint() { return log_ != nullptr && log_->checkpoint(); }

bool sqlite_store::checkpoint_needs_a_pause() { return log_ != nullptr && log_->needs_a_pause(); }

int sqlite_store::latest_schema_version() noexcept { return sqlite_detail::latest_schema_version(); }

std::optional<std::int64_t> sqlite_store::record(const inbound& event, bool keep_text, recorded_as state) {
  return translated("record", [&]() -> std::optional<std::int64_t> {
    const int inserted = execute(
        *statements_,
        "INSERT INTO responses (dedup_key, platform, workspace, user, conversation, direct, addressed, kind, text, at,"
        " reply_handle, handled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING",
        event.dedup_key, event.sender.platform, event.sender.workspace, event.sender.user, event.conversation,
        event.direct, event.addressed, to_string(event.kind), keep_text ? std::string_view{event.text} : "", event.at,
        event.reply_handle, state == recorded_as::handled);
    if (inserted == 0) return std::nullopt;
    return db_->getLastInsertRowid();
  });
}

void sqlite_store::mark_unhandled(std::int64_t response_id) {
  translated("mark_unhandled", [&] {
    if (execute(*statements_, "UPDATE responses SET handled = 0 WHERE id = ?", response_id) == 0) {
      throw store_error("sqlite store: mark_unhandled: no response " + std::to_string(response_id));
    }
  });
}

void sqlite_store::apply(const std::vector<action>& actions, std::optional<std::int64_t> handled_response) {
  translated("apply", [&] {
    const auto mark_handled = [&] {
      if (!handled_response) return;
      const int changed = execute(*statements_, "UPDATE responses SET handled = 1 WHERE id = ?", *handled_response);
      if (changed == 0) {
        throw store_error("sqlite store: apply: no response " + std::to_string(*handled_response) + " to mark handled");
      }
    };
    // Most chatter decides only activity, which the responses row already is: one statement is
    // atomic on its own, without a transaction around it.
    if (std::ranges::all_of(actions, [](const action& a) {
          const auto* activity = std::get_if<note_activity>(&a);
          return activity != nullptr && !activity->answers_nudge && !activity->presence_only;
        })) {
      mark_handled();
      return;
    }
    write_scope transaction(*statements_);
    const action_writer writer(*statements_);
    for (const action& a : actions) std::visit(writer, a);
    mark_handled();
    transaction.commit();
    if (transaction.outermost()) note_commit();
  });
}

void sqlite_store::in_one_transaction(const std::function<void()>& work) {
  std::optional<SQLite::Transaction> transaction;
  translated("begin", [&] { transaction.emplace(*db_, SQLite::TransactionBehavior::IMMEDIATE); });
  work();
  translated("commit", [&] {
    transaction->commit();
    note_commit();
  });
}

world sqlite_store::load() {
  return translated("load", [&] { return load_world(*db_); });
}

std::vector<recorded_response> sqlite_store::unhandled_responses() {
  return translated("unhandled_responses", [&] {
    SQLite::Statement s(*db_,
                        "SELECT id, dedup_key, platform, workspace, user, conversation, direct, addressed, kind, text,"
                        " at, handled, reply_handle FROM responses WHERE handled = 0 ORDER BY id");
    std::vector<recorded_response> responses;
    while (s.executeStep()) {
      row_reader row(s);
      recorded_response r;
      r.id = row.int64();
      r.event.dedup_key = row.text();
      r.event.sender.platform = row.text();
      r.event.sender.workspace = row.text();
      r.event.sender.user = row.text();
      r.event.conversation = row.text();
      r.event.direct = row.flag();
      r.event.addressed = row.flag();
      const std::string kind = row.text();
      r.event.kind = parsed(inbound_kind_from_string(kind), "inbound kind", kind);
      r.event.text = row.text();
      r.event.at = row.time();
      r.handled = row.flag();
      r.event.reply_handle = row.text();
      responses.push_back(std::move(r));
    }
    return responses;
  });
}

std::vector<record_task_update> sqlite_store::task_history(std::int64_t task) {
  return translated("task_history", [&] {
    SQLite::Statement& s =
        statements_->prepared("SELECT status, note, author, at FROM task_updates WHERE task = ? ORDER BY id");
    bind_all(s, task);
    std::vector<record_task_update> history;
    while (s.executeStep()) {
      row_reader row(s);
      record_task_update u;
      u.task = task;
      const std::string status = row.text();
      u.status = parsed(task_status_from_string(status), "task status", status);
      u.note = row.text();
      u.by = row.text();
      u.at = row.time();
      history.push_back(std::move(u));
    }
    return history;
  });
}

std::optional<std::string> sqlite_store::setting(std::string_view key) {
  return translated("setting", [&]() -> std::optional<std::string> {
    SQLite::Statement s(*db_, "SELECT value FROM settings WHERE key = ?");
    bind_all(s, key);
    if (!s.executeStep()) return std::nullopt;
    return row_reader(s).text();
  });
}

void sqlite_store::put_setting(std::string_view key, std::string_view value) {
  translated("put_setting", [&] {
    execute(*statements_,
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key, value);
  });
}

}  // namespace tandem