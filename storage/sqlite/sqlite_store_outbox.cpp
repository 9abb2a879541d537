// sqlite_store's outbox: the rows its `apply` inserts (sqlite_action_writer.cpp) handed out once
// their commit is durable, and their state kept as delivery goes.

#include "sqlite_store.h"

#include "sqlite_column_text.h"
#include "sqlite_statements.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace tandem {

using namespace sqlite_detail;

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

#define TANDEM_OUTBOX_COLUMNS                                                                                   \
  "SELECT id, key, platform, workspace, conversation, user, person, language, reply_handle, kind, values_json," \
  " about_json, not_before, state, attempts, next_attempt, last_error FROM outbox "
constexpr const char* due_outbox_sql =
    TANDEM_OUTBOX_COLUMNS "WHERE state = 'pending' AND next_attempt <= ? AND id <= ? ORDER BY next_attempt, id LIMIT ?";
constexpr const char* written_outbox_sql =
    TANDEM_OUTBOX_COLUMNS "WHERE id > ? AND id <= ? AND state = 'pending' AND next_attempt <= ? ORDER BY id LIMIT ?";
constexpr const char* outbox_rows_sql = TANDEM_OUTBOX_COLUMNS "WHERE substr(key, 1, length(?1)) = ?1 ORDER BY id";
#undef TANDEM_OUTBOX_COLUMNS

outbox_row read_outbox_row(const SQLite::Statement& s) {
  row_reader row(s);
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

/// A row limit as SQLite's LIMIT takes it.
std::int64_t bounded(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
}

std::vector<outbox_row> read_outbox_rows(SQLite::Statement& s) {
  std::vector<outbox_row> rows;
  while (s.executeStep()) rows.push_back(read_outbox_row(s));
  s.tryReset();  // leaves no statement running between calls
  return rows;
}

/// Runs an UPDATE of one outbox row whose last parameter is the row id; an unknown id is an error.
template <typename... Values>
void update_outbox_row(statement_cache& statements, std::string_view operation_name, std::int64_t outbox_id,
                       const char* sql, const Values&... values) {
  if (execute(statements, sql, values..., outbox_id) == 0) {
    throw store_error("sqlite store: " + std::string{operation_name} + ": no outbox row " + std::to_string(outbox_id));
  }
}

}  // namespace

std::string_view to_string(outbox_state state) {
  for (const auto& [value, name] : outbox_state_names) {
    if (value == state) return name;
  }
  return "?";
}

void sqlite_store::note_commit() {
  SQLite::Statement& s = statements_->prepared("SELECT COALESCE(MAX(id), 0) FROM outbox");
  const std::int64_t highest = s.executeStep() ? s.getColumn(0).getInt64() : 0;
  s.tryReset();
  committed_outbox_.store(highest);
  if (durability_ == sqlite_durability::at_commit) raise_durable_outbox(highest);
}

void sqlite_store::raise_durable_outbox(std::int64_t to) {
  std::int64_t known = durable_outbox_.load();
  while (known < to && !durable_outbox_.compare_exchange_weak(known, to)) {
  }
}

std::vector<outbox_row> sqlite_store::due_outbox(time_point now, std::size_t limit) {
  return translated("due_outbox", [&] {
    SQLite::Statement& s = statements_->prepared(due_outbox_sql);
    bind_all(s, now, durable_outbox_.load(), bounded(limit));
    return read_outbox_rows(s);
  });
}

std::vector<outbox_row> sqlite_store::written_outbox(time_point now, std::size_t limit) {
  return translated("written_outbox", [&] {
    const std::int64_t durable = durable_outbox_.load();
    const std::int64_t committed = committed_outbox_.load();
    if (committed <= durable) return std::vector<outbox_row>{};
    SQLite::Statement& s = statements_->prepared(written_outbox_sql);
    bind_all(s, durable, committed, now, bounded(limit));
    return read_outbox_rows(s);
  });
}

std::optional<time_point> sqlite_store::next_outbox_attempt_after(time_point after) {
  return translated("next_outbox_attempt_after", [&] {
    SQLite::Statement& s = statements_->prepared(
        "SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending' AND next_attempt > ? AND id <= ?");
    bind_all(s, after, durable_outbox_.load());
    s.executeStep();
    const auto next = row_reader(s).optional_time();
    s.tryReset();
    return next;
  });
}

void sqlite_store::mark_sent(std::int64_t outbox_id, time_point now) {
  translated("mark_sent", [&] {
    update_outbox_row(*statements_, "mark_sent", outbox_id,
                      "UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ? WHERE id = ?", now);
  });
}

void sqlite_store::mark_failed(std::int64_t outbox_id, std::string_view reason, time_point now) {
  translated("mark_failed", [&] {
    update_outbox_row(*statements_, "mark_failed", outbox_id,
                      "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, failed_at = ?"
                      " WHERE id = ?",
                      reason, now);
  });
}

void sqlite_store::retry_later(std::int64_t outbox_id, time_point next_attempt, std::string_view reason) {
  translated("retry_later", [&] {
    update_outbox_row(*statements_, "retry_later", outbox_id,
                      "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?",
                      next_attempt, reason);
  });
}

void sqlite_store::postpone(std::int64_t outbox_id, time_point next_attempt) {
  translated("postpone", [&] {
    update_outbox_row(*statements_, "postpone", outbox_id,
                      "UPDATE outbox SET next_attempt = ? WHERE id = ? AND state = 'pending'", next_attempt);
  });
}

void sqlite_store::withdraw(std::int64_t outbox_id, std::string_view reason, time_point now) {
  translated("withdraw", [&] {
    update_outbox_row(*statements_, "withdraw", outbox_id,
                      "UPDATE outbox SET state = 'withdrawn', last_error = ?, withdrawn_at = ? WHERE id = ?"
                      " AND state = 'pending'",
                      reason, now);
  });
}

std::vector<outbox_row> sqlite_store::outbox_rows(std::string_view key_prefix) {
  return translated("outbox_rows", [&] {
    // substr rather than LIKE: LIKE treats % and _ as wildcards and ignores ASCII case.
    SQLite::Statement& s = statements_->prepared(outbox_rows_sql);
    bind_all(s, key_prefix);
    return read_outbox_rows(s);
  });
}

}  // namespace tandem
