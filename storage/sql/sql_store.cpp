#include "storage/sql/sql_store.h"

#include "storage/sql/sql_action_writer.h"
#include "storage/sql/sql_statements.h"
#include "storage/sql/sql_world_loader.h"

#include <algorithm>
#include <utility>

namespace tandem {

using namespace sql;

sql_store::sql_store(std::unique_ptr<sql::connection> db, durable when) : db_(std::move(db)), durable_(when) {}

sql_store::~sql_store() = default;

std::optional<std::int64_t> sql_store::record(const inbound& event, bool keep_text, recorded_as state) {
  return translated("record", [&]() -> std::optional<std::int64_t> {
    std::optional<std::int64_t> id;
    query(
        *db_,
        "INSERT INTO responses (dedup_key, platform, workspace, \"user\", conversation, direct, addressed, kind, text,"
        " at, reply_handle, handled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        [&](const row& r) { id = r.int64(0); }, event.dedup_key, event.sender.platform, event.sender.workspace,
        event.sender.user, event.conversation, event.direct, event.addressed, to_string(event.kind),
        keep_text ? std::string_view{event.text} : "", event.at, event.reply_handle, state == recorded_as::handled);
    return id;
  });
}

void sql_store::mark_unhandled(std::int64_t response_id) {
  translated("mark_unhandled", [&] {
    if (execute(*db_, "UPDATE responses SET handled = 0 WHERE id = $1", response_id) == 0) {
      throw store_error("no response " + std::to_string(response_id));
    }
  });
}

void sql_store::apply(const std::vector<action>& actions, std::optional<std::int64_t> handled_response) {
  translated("apply", [&] {
    const auto mark_handled = [&] {
      if (!handled_response) return;
      if (execute(*db_, "UPDATE responses SET handled = 1 WHERE id = $1", *handled_response) == 0) {
        throw store_error("no response " + std::to_string(*handled_response) + " to mark handled");
      }
    };
    // Chatter from someone Tandem does not know decides only activity, which the responses row
    // already is: one statement is atomic on its own, without a transaction around it. A known
    // person's response is also counted (response_months), in the same transaction.
    if (std::ranges::all_of(actions, [](const action& a) {
          const auto* activity = std::get_if<note_activity>(&a);
          return activity != nullptr && activity->person.empty() && !activity->answers_nudge &&
                 !activity->presence_only;
        })) {
      mark_handled();
      return;
    }
    write_scope transaction(*db_);
    const action_writer writer(*db_);
    for (const action& a : actions) std::visit(writer, a);
    mark_handled();
    transaction.commit();
    if (transaction.outermost()) note_commit();
  });
}

void sql_store::in_one_transaction(const std::function<void()>& work) {
  translated("begin", [&] { db_->begin(); });
  try {
    work();
  } catch (...) {
    roll_back(*db_);
    throw;
  }
  translated("commit", [&] {
    try {
      execute(*db_, "COMMIT");
    } catch (const store_error&) {
      roll_back(*db_);
      throw;
    }
    note_commit();
  });
}

world sql_store::load() {
  return translated("load", [&] { return load_world(*db_); });
}

std::vector<recorded_response> sql_store::unhandled_responses() {
  return translated("unhandled_responses", [&] {
    std::vector<recorded_response> responses;
    query(*db_,
          "SELECT id, dedup_key, platform, workspace, \"user\", conversation, direct, addressed, kind, text,"
          " at, handled, reply_handle FROM responses WHERE handled = 0 ORDER BY id",
          [&](const row& columns) {
            row_reader row(columns);
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
          });
    return responses;
  });
}

std::vector<record_task_update> sql_store::task_history(std::int64_t task) {
  return translated("task_history", [&] {
    std::vector<record_task_update> history;
    query(
        *db_, "SELECT status, note, author, at FROM task_updates WHERE task = $1 ORDER BY id",
        [&](const row& columns) {
          row_reader row(columns);
          record_task_update u;
          u.task = task;
          const std::string status = row.text();
          u.status = parsed(task_status_from_string(status), "task status", status);
          u.note = row.text();
          u.by = row.text();
          u.at = row.time();
          history.push_back(std::move(u));
        },
        task);
    return history;
  });
}

std::size_t sql_store::forget_text_before(time_point before, std::size_t limit) {
  return translated("forget_text_before", [&] {
    const auto forgotten = execute(*db_,
                                   "UPDATE responses SET text = '' WHERE id IN (SELECT id FROM responses"
                                   " WHERE text <> '' AND at < $1 ORDER BY at LIMIT $2)",
                                   before, static_cast<std::int64_t>(limit));
    return static_cast<std::size_t>(forgotten);
  });
}

std::optional<std::string> sql_store::setting(std::string_view key) {
  return translated("setting", [&]() -> std::optional<std::string> {
    std::optional<std::string> value;
    query(
        *db_, "SELECT value FROM settings WHERE key = $1", [&](const row& r) { value = r.text(0); }, key);
    return value;
  });
}

void sql_store::put_setting(std::string_view key, std::string_view value) {
  translated("put_setting", [&] {
    execute(*db_,
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key, value);
  });
}

std::vector<sql::copied_table> sql_store::copy_to(sql_store& target) {
  try {
    return copy_rows(*db_, *target.db_);
  } catch (const store_error& e) {
    throw store_error("copy from the " + std::string{db_->name()} + " to the " + std::string{target.db_->name()} +
                      ": " + e.what());
  }
}

}  // namespace tandem
