// sql_store's outbox: the rows its `apply` inserts (sql_action_writer.cpp) handed out once
// their commit is durable, and their state kept as delivery goes.

#include "storage/sql/sql_column_text.h"
#include "storage/sql/sql_statements.h"
#include "storage/sql/sql_store.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace tandem {

using namespace sql;

namespace {

constexpr std::array outbox_state_names{std::pair{outbox_state::pending, std::string_view{"pending"}},
                                        std::pair{outbox_state::sent, std::string_view{"sent"}},
                                        std::pair{outbox_state::failed, std::string_view{"failed"}},
                                        std::pair{outbox_state::withdrawn, std::string_view{"withdrawn"}}};

std::optional<outbox_state> outbox_state_from_string(std::string_view text) {
  for (const auto& [state, name] : outbox_state_names) {
    if (name == text) return state;
  }
  return std::nullopt;
}

#define TANDEM_OUTBOX_FIELDS                                                                                 \
  "id, key, platform, workspace, conversation, \"user\", person, language, reply_handle, kind, values_json," \
  " about_json, not_before, state, attempts, next_attempt, last_error"
#define TANDEM_OUTBOX_COLUMNS "SELECT " TANDEM_OUTBOX_FIELDS " FROM outbox "
constexpr const char* due_outbox_sql = TANDEM_OUTBOX_COLUMNS
    "WHERE state = 'pending' AND next_attempt <= $1 AND id <= $2 ORDER BY next_attempt, id LIMIT $3";
constexpr const char* due_outbox_heads_sql =
    "SELECT " TANDEM_OUTBOX_FIELDS " FROM (SELECT " TANDEM_OUTBOX_FIELDS
    ", row_number() OVER (PARTITION BY platform,"
    " workspace, conversation, \"user\" ORDER BY id) AS place FROM outbox WHERE state = 'pending'"
    " AND next_attempt <= $1 AND id <= $2) AS due WHERE place = 1 ORDER BY next_attempt, id LIMIT $3";
constexpr const char* written_outbox_sql = TANDEM_OUTBOX_COLUMNS
    "WHERE id > $1 AND id <= $2 AND state = 'pending' AND next_attempt <= $3 ORDER BY id LIMIT $4";
constexpr const char* outbox_rows_sql =
    TANDEM_OUTBOX_COLUMNS "WHERE substr(key, 1, length(CAST($1 AS TEXT))) = $1 ORDER BY id";
#undef TANDEM_OUTBOX_COLUMNS
#undef TANDEM_OUTBOX_FIELDS

outbox_row read_outbox_row(const sql::row& columns) {
  row_reader row(columns);
  outbox_row o;
  o.id = row.int64();
  o.item.key = row.text();
  o.item.to.platform = row.text();
  o.item.to.workspace = row.text();
  o.item.to.conversation = row.text();
  o.item.to.user = row.text();
  o.item.to.person = row.text();
  o.item.to.language = row.text();
  o.item.to.reply_handle = row.text();
  o.item.body.kind = row.text();
  o.item.body.values = values_from_text(row.text());
  o.item.about = subject_from_json(values_from_text(row.text()));
  o.item.not_before = row.time();
  const std::string state = row.text();
  o.state = parsed(outbox_state_from_string(state), "outbox state", state);
  o.attempts = row.int32();
  o.next_attempt = row.time();
  o.last_error = row.text();
  return o;
}

/// A row limit as LIMIT takes it.
std::int64_t bounded(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

template <typename... Values>
std::vector<outbox_row> read_outbox_rows(connection& db, const char* sql, const Values&... values) {
  std::vector<outbox_row> rows;
  query(
      db, sql, [&](const sql::row& r) { rows.push_back(read_outbox_row(r)); }, values...);
  return rows;
}

/// Runs an UPDATE of one outbox row whose last parameter is the row id; an unknown id is an error.
template <typename... Values>
void update_outbox_row(connection& db, std::int64_t outbox_id, const char* sql, const Values&... values) {
  if (execute(db, sql, values..., outbox_id) == 0) throw store_error("no outbox row " + std::to_string(outbox_id));
}

}  // namespace

std::string_view to_string(outbox_state state) {
  for (const auto& [value, name] : outbox_state_names) {
    if (value == state) return name;
  }
  return "?";
}

void sql_store::note_commit() {
  std::int64_t highest = 0;
  query(*db_, "SELECT COALESCE(MAX(id), 0) FROM outbox", [&](const row& r) { highest = r.int64(0); });
  committed_outbox_.store(highest);
  if (durable_ == durable::at_commit) outbox_synced(highest);
}

void sql_store::outbox_synced(std::int64_t committed_before) {
  std::int64_t known = durable_outbox_.load();
  while (known < committed_before && !durable_outbox_.compare_exchange_weak(known, committed_before)) {
  }
}

std::vector<outbox_row> sql_store::due_outbox(time_point now, std::size_t limit) {
  return translated("due_outbox", [&] {
    return read_outbox_rows(*db_, due_outbox_sql, now, durable_outbox_.load(), bounded(limit));
  });
}

std::vector<outbox_row> sql_store::due_outbox_heads(time_point now, std::size_t limit) {
  return translated("due_outbox_heads", [&] {
    return read_outbox_rows(*db_, due_outbox_heads_sql, now, durable_outbox_.load(), bounded(limit));
  });
}

std::vector<outbox_row> sql_store::written_outbox(time_point now, std::size_t limit) {
  return translated("written_outbox", [&] {
    const std::int64_t durable_now = durable_outbox_.load();
    const std::int64_t committed = committed_outbox_.load();
    if (committed <= durable_now) return std::vector<outbox_row>{};
    return read_outbox_rows(*db_, written_outbox_sql, durable_now, committed, now, bounded(limit));
  });
}

std::optional<time_point> sql_store::next_outbox_attempt_after(time_point after) {
  return translated("next_outbox_attempt_after", [&] {
    std::optional<time_point> next;
    query(
        *db_, "SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending' AND next_attempt > $1 AND id <= $2",
        [&](const row& r) { next = row_reader(r).optional_time(); }, after, durable_outbox_.load());
    return next;
  });
}

void sql_store::mark_sent(std::int64_t outbox_id, time_point now) {
  translated("mark_sent", [&] {
    update_outbox_row(*db_, outbox_id,
                      "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $1 WHERE id = $2", now);
  });
}

void sql_store::mark_failed(std::int64_t outbox_id, std::string_view reason, time_point now) {
  translated("mark_failed", [&] {
    update_outbox_row(*db_, outbox_id,
                      "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $1, failed_at = $2"
                      " WHERE id = $3",
                      reason, now);
  });
}

void sql_store::retry_later(std::int64_t outbox_id, time_point next_attempt, std::string_view reason) {
  translated("retry_later", [&] {
    update_outbox_row(*db_, outbox_id,
                      "UPDATE outbox SET attempts = attempts + 1, next_attempt = $1, last_error = $2 WHERE id = $3",
                      next_attempt, reason);
  });
}

void sql_store::postpone(std::int64_t outbox_id, time_point next_attempt) {
  translated("postpone", [&] {
    update_outbox_row(*db_, outbox_id, "UPDATE outbox SET next_attempt = $1 WHERE id = $2 AND state = 'pending'",
                      next_attempt);
  });
}

void sql_store::withdraw(std::int64_t outbox_id, std::string_view reason, time_point now) {
  translated("withdraw", [&] {
    update_outbox_row(*db_, outbox_id,
                      "UPDATE outbox SET state = 'withdrawn', last_error = $1, withdrawn_at = $2 WHERE id = $3"
                      " AND state = 'pending'",
                      reason, now);
  });
}

std::vector<outbox_row> sql_store::outbox_rows(std::string_view key_prefix) {
  return translated("outbox_rows", [&] {
    // substr rather than LIKE: LIKE treats % and _ as wildcards and ignores ASCII case.
    return read_outbox_rows(*db_, outbox_rows_sql, key_prefix);
  });
}

}  // namespace tandem
