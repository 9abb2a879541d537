#include "storage/sql/sql_store.h"

#include "storage/sql/sql_action_writer.h"
#include "storage/sql/sql_statements.h"
#include "storage/sql/sql_world_loader.h"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

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
    // Most chatter decides only activity, which the responses row already is: one statement is
    // atomic on its own, without a transaction around it.
    if (std::ranges::all_of(actions, [](const action& a) {
          const auto* activity = std::get_if<note_activity>(&a);
          return activity != nullptr && !activity->answers_nudge && !activity->presence_only;
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

audit_lines sql_store::audit_page(const audit_selection& which, std::size_t offset, std::size_t limit) {
  return translated("audit_page", [&] {
    // $2: the kind, matched whole or as the family before a dot; $3: the actor; '' matches all.
    constexpr const char* matching =
        " FROM audit WHERE collaboration = $1 AND ($2 = '' OR action = $2 OR substr(action, 1, length($2) + 1) = $2 || "
        "'.')"
        " AND ($3 = '' OR actor = $3)";
    static const std::string page_sql = std::string{"SELECT at, collaboration, actor, action, detail, via"} + matching +
                                        " ORDER BY id DESC LIMIT $4 OFFSET $5";
    static const std::string count_sql = std::string{"SELECT count(*)"} + matching;
    audit_lines lines;
    db_->begin_snapshot();
    try {
      query(
          *db_, page_sql.c_str(), [&](const row& columns) { lines.entries.push_back(audit_entry_of(columns)); },
          which.collaboration, which.kind, which.actor, static_cast<std::int64_t>(limit),
          static_cast<std::int64_t>(offset));
      query(
          *db_, count_sql.c_str(),
          [&](const row& columns) { lines.total = static_cast<std::size_t>(columns.int64(0)); }, which.collaboration,
          which.kind, which.actor);
      execute(*db_, "COMMIT");
    } catch (const store_error&) {
      roll_back(*db_);
      throw;
    }
    return lines;
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

namespace {

/// The month after `month` ("2026-11").
std::string month_after(std::string_view month) {
  return month_of(start_of_month(month) + std::chrono::days{31});
}

}  // namespace

bool sql_store::count_ended_month(time_point now) {
  return translated("count_ended_month", [&] {
    // The months before this one are counted in response_months.
    std::optional<std::string> first_uncounted;
    query(
        *db_, "SELECT value FROM settings WHERE key = $1", [&](const row& r) { first_uncounted = r.text(0); },
        counted_months_setting);
    const bool started = first_uncounted.has_value();
    if (started) static_cast<void>(start_of_counted_month(*first_uncounted));  // refused unless a month
    std::vector<std::tuple<std::string, std::string, std::string, std::string>> identities;
    query(*db_, "SELECT platform, workspace, \"user\", person FROM identities", [&](const row& columns) {
      row_reader row(columns);
      auto platform = row.text();
      auto workspace = row.text();
      auto user = row.text();
      identities.emplace_back(std::move(platform), std::move(workspace), std::move(user), row.text());
    });
    if (!first_uncounted) {
      // Never counted yet: from the month of the earliest response of anyone Tandem knows.
      std::optional<std::int64_t> earliest;
      for (const auto& [platform, workspace, user, person] : identities) {
        query(
            *db_, "SELECT MIN(at) FROM responses WHERE platform = $1 AND workspace = $2 AND \"user\" = $3",
            [&](const row& r) {
              if (!r.is_null(0)) earliest = std::min(earliest.value_or(r.int64(0)), r.int64(0));
            },
            platform, workspace, user);
      }
      first_uncounted = month_of(earliest ? time_point{std::chrono::seconds{*earliest}} : now);
    }
    const auto settled = [&](const std::string& month) {
      return start_of_month(month_after(month)) + month_settle_days <= now;
    };
    if (!settled(*first_uncounted)) {
      if (!started) put_setting(counted_months_setting, *first_uncounted);
      return false;
    }
    const time_point from = start_of_month(*first_uncounted);
    const time_point to = start_of_month(month_after(*first_uncounted));
    std::map<std::string, std::int64_t> by_person;
    for (const auto& [platform, workspace, user, person] : identities) {
      query(
          *db_,
          "SELECT COUNT(*) FROM responses WHERE platform = $1 AND workspace = $2 AND \"user\" = $3"
          " AND presence_only = 0 AND at >= $4 AND at < $5",
          [&](const row& r) { by_person[person] += r.int64(0); }, platform, workspace, user, from, to);
    }
    write_scope transaction(*db_);
    for (const auto& [person, responses] : by_person) {
      if (responses == 0) continue;
      execute(*db_,
              "INSERT INTO response_months (person, month, responses) VALUES ($1, $2, $3)"
              " ON CONFLICT (person, month) DO UPDATE SET responses = excluded.responses",
              person, *first_uncounted, responses);
    }
    const std::string next = month_after(*first_uncounted);
    execute(*db_,
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            counted_months_setting, next);
    transaction.commit();
    if (transaction.outermost()) note_commit();
    return settled(next);
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
