#include "storage/sql/sql_store_copy.h"

#include "core/store.h"
#include "storage/sql/sql_statements.h"

#include <array>
#include <optional>
#include <string_view>

namespace tandem::sql {
namespace {

constexpr std::array tables{
    table_columns{"collaborations", "id, name, record_full_text, rooms", false},
    table_columns{"organizations", "collaboration, id, name", false},
    table_columns{"people", "id, name, time_zone, language, quiet_start, quiet_end, paused_until, time_zone_origin",
                  false},
    table_columns{"identities", "platform, workspace, \"user\", person, position", false},
    table_columns{"memberships", "collaboration, person, organization, roles, tier, active", false},
    table_columns{"tier_policies", "tier, schedule, silence_after_s, recently_active_s", false},
    table_columns{"tasks",
                  "number, collaboration, title, assignee_person, assignee_organization, due_day, status, note,"
                  " created_by, created_at, updated_at, reminded_before, reminded_on_due, escalated",
                  false},
    table_columns{"task_updates", "id, task, status, note, author, at", true},
    table_columns{"audit", "id, at, collaboration, actor, action, detail, via", true},
    table_columns{"responses",
                  "id, dedup_key, platform, workspace, \"user\", conversation, direct, addressed, kind, text, at,"
                  " handled, recorded_at, reply_handle, presence_only",
                  true},
    table_columns{"response_months", "person, month, responses", false},
    table_columns{"outbox",
                  "id, key, platform, workspace, conversation, \"user\", person, language, reply_handle, kind,"
                  " values_json, about_json, not_before, state, attempts, next_attempt, last_error, created_at,"
                  " sent_at, failed_at, withdrawn_at",
                  true},
    table_columns{"settings", "key, value", false},
    table_columns{"engagements", "collaboration, person, next_nudge, held_nudge, next_digest, last_digest", false},
    table_columns{"silences",
                  "collaboration, subject, subject_id, episode, since, last_heard, ended, told_person, in_digest,"
                  " told_alternate",
                  false},
    table_columns{"calendar_events",
                  "number, collaboration, organization, day, title, topics, audience, added_by, added_at, removed_at",
                  false},
    table_columns{"nudge_log", "collaboration, person, sent, answered", false},
    table_columns{"pulse_answers", "collaboration, month, person, organization, score, comment, at", false},
    table_columns{"collaboration_rounds", "collaboration, round, period", false},
    table_columns{"collaboration_secrets", "collaboration, purpose, token", false},
    table_columns{"approval_rounds",
                  "number, collaboration, title, link, rule, deadline, opened_by, opened_at, closed_at, closed_by,"
                  " approved",
                  false},
    table_columns{"approval_answers",
                  "round, position, organization, state, answered_by, answered_at, note, expected,"
                  " reminded_expected, reminded_deadline, escalated",
                  false},
    table_columns{"dashboard_sign_ins", "token_hash, person, collaboration, issued, expires, used", false},
    table_columns{"dashboard_sessions", "id_hash, person, collaboration, started, last_seen, ended", false},
};

/// The statements of one table, built once: they have static storage for the life of the program,
/// as a connection requires, and there are as many as there are tables.
struct table_statements {
  std::string select;
  std::string insert;
  std::string count;
  std::string continue_ids;  ///< PostgreSQL, a table with an identity: its sequence goes on after the copied ids
  int column_count = 0;
};

const std::array<table_statements, tables.size()>& statements() {
  static const auto built = [] {
    std::array<table_statements, tables.size()> all;
    for (std::size_t t = 0; t < tables.size(); ++t) {
      const table_columns& table = tables[t];
      const std::string_view columns = table.columns;
      table_statements& s = all[t];
      s.column_count = 1 + static_cast<int>(std::ranges::count(columns, ','));
      s.select = "SELECT " + std::string{columns} + " FROM " + table.name;
      s.insert = "INSERT INTO " + std::string{table.name} + " (" + std::string{columns} + ") VALUES (";
      for (int i = 1; i <= s.column_count; ++i) s.insert += (i > 1 ? ", $" : "$") + std::to_string(i);
      s.insert += ")";
      s.count = "SELECT COUNT(*) FROM " + std::string{table.name};
      if (table.has_identity) {
        s.continue_ids = "SELECT setval(pg_get_serial_sequence('" + std::string{table.name} +
                         "', 'id'), COALESCE((SELECT MAX(id) FROM " + table.name + "), 0) + 1, false)";
      }
    }
    return all;
  }();
  return built;
}

std::int64_t count_of(connection& db, const std::string& count_sql) {
  std::int64_t n = 0;
  db.query(count_sql.c_str(), {}, [&](const row& r) { n = r.int64(0); });
  return n;
}

/// Copies one table's rows: each column as text or NULL (both backends turn the text of a number
/// back into the number their column holds).
void copy_table(connection& from, connection& to, const table_statements& s) {
  std::vector<std::optional<std::string>> texts(static_cast<std::size_t>(s.column_count));
  std::vector<bound_value> values(texts.size());
  from.query(s.select.c_str(), {}, [&](const row& r) {
    for (int c = 0; c < s.column_count; ++c) {
      auto& text = texts[static_cast<std::size_t>(c)];
      if (r.is_null(c)) {
        text.reset();
      } else {
        text = r.text(c);
      }
      values[static_cast<std::size_t>(c)] = text ? bound_value{std::string_view{*text}} : bound_value{nullptr};
    }
    to.execute(s.insert.c_str(), values);
  });
}

/// After ids were copied into PostgreSQL's identity columns: their sequences go on after them.
void continue_identities(connection& to) {
  if (to.dialect() != dialect::postgresql) return;
  for (const table_statements& s : statements()) {
    if (!s.continue_ids.empty()) to.execute(s.continue_ids.c_str(), {});
  }
}

}  // namespace

std::span<const table_columns> copied_schema() { return tables; }

std::vector<copied_table> copy_rows(connection& from, connection& to) {
  const auto& all = statements();
  for (std::size_t t = 0; t < tables.size(); ++t) {
    if (const std::int64_t n = count_of(to, all[t].count); n > 0) {
      throw store_error("the target is not empty: its table " + std::string{tables[t].name} + " holds " +
                        std::to_string(n) + " rows; copy into a new, empty database");
    }
  }
  from.begin_snapshot();
  to.begin();
  try {
    for (const table_statements& s : all) copy_table(from, to, s);
    continue_identities(to);
    execute(to, "COMMIT");
    execute(from, "COMMIT");
  } catch (const store_error&) {
    roll_back(to);
    roll_back(from);
    throw;
  }
  std::vector<copied_table> copied;
  for (std::size_t t = 0; t < tables.size(); ++t) {
    const std::int64_t source = count_of(from, all[t].count);
    const std::int64_t target = count_of(to, all[t].count);
    if (source != target) {
      throw store_error("table " + std::string{tables[t].name} + ": " + std::to_string(source) +
                        " rows in the source but " + std::to_string(target) + " in the target after the copy");
    }
    copied.push_back({tables[t].name, target});
  }
  return copied;
}

}  // namespace tandem::sql
