#include "sqlite_store.h"

#include "core/approvals.h"
#include "core/dates.h"
#include "wal_write_combining.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <concepts>
#include <cstring>
#include <filesystem>
#include <limits>
#include <unordered_map>
#include <utility>

namespace tandem {
namespace {

constexpr int busy_timeout_ms = 5000;

// Migration N brings user_version from N-1 to N. Never edit a migration that has shipped: append.
constexpr auto migrations = std::to_array<const char*>({
    R"sql(
CREATE TABLE collaborations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  record_full_text INTEGER NOT NULL,
  rooms TEXT NOT NULL  -- JSON array of {"platform", "workspace", "id"}
) STRICT;

CREATE TABLE organizations (
  collaboration TEXT NOT NULL REFERENCES collaborations(id) DEFERRABLE INITIALLY DEFERRED,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (collaboration, id)
) STRICT;

CREATE TABLE people (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  language TEXT NOT NULL,
  quiet_start INTEGER,  -- local minutes after midnight; both NULL when the person has no quiet hours
  quiet_end INTEGER,
  paused_until INTEGER,
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
) STRICT;

CREATE TABLE identities (
  platform TEXT NOT NULL,
  workspace TEXT NOT NULL,
  user TEXT NOT NULL,
  person TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  position INTEGER NOT NULL,  -- 0 is where Tandem reaches the person
  PRIMARY KEY (platform, workspace, user),
  UNIQUE (person, position)
) STRICT;

CREATE TABLE memberships (
  collaboration TEXT NOT NULL REFERENCES collaborations(id) DEFERRABLE INITIALLY DEFERRED,
  person TEXT NOT NULL REFERENCES people(id) DEFERRABLE INITIALLY DEFERRED,
  organization TEXT NOT NULL,  -- empty for a facilitator without organization
  roles TEXT NOT NULL,         -- comma-separated, e.g. "facilitator,representative"
  tier TEXT NOT NULL,
  active INTEGER NOT NULL,
  PRIMARY KEY (collaboration, person)
) STRICT;

CREATE TABLE tier_policies (
  tier TEXT PRIMARY KEY,
  schedule TEXT NOT NULL,
  silence_after_s INTEGER NOT NULL,
  recently_active_s INTEGER NOT NULL
) STRICT;

CREATE TABLE tasks (
  number INTEGER PRIMARY KEY,
  collaboration TEXT NOT NULL REFERENCES collaborations(id) DEFERRABLE INITIALLY DEFERRED,
  title TEXT NOT NULL,
  assignee_person TEXT NOT NULL,
  assignee_organization TEXT NOT NULL,
  due INTEGER,
  status TEXT NOT NULL,
  note TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE task_updates (
  id INTEGER PRIMARY KEY,
  task INTEGER NOT NULL REFERENCES tasks(number) DEFERRABLE INITIALLY DEFERRED,
  status TEXT NOT NULL,
  note TEXT NOT NULL,
  author TEXT NOT NULL,
  at INTEGER NOT NULL
) STRICT;
CREATE INDEX task_updates_by_task ON task_updates (task, id);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  collaboration TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;

CREATE TABLE responses (
  id INTEGER PRIMARY KEY,
  dedup_key TEXT NOT NULL UNIQUE,
  platform TEXT NOT NULL,
  workspace TEXT NOT NULL,
  user TEXT NOT NULL,
  conversation TEXT NOT NULL,
  direct INTEGER NOT NULL,
  addressed INTEGER NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  handled INTEGER NOT NULL DEFAULT 0,
  recorded_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
CREATE INDEX responses_by_sender ON responses (platform, workspace, user, at);
CREATE INDEX responses_unhandled ON responses (id) WHERE handled = 0;

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  platform TEXT NOT NULL,
  workspace TEXT NOT NULL,
  conversation TEXT NOT NULL,
  user TEXT NOT NULL,
  person TEXT NOT NULL,
  language TEXT NOT NULL,
  kind TEXT NOT NULL,
  values_json TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  sent_at INTEGER,
  failed_at INTEGER
) STRICT;
CREATE INDEX outbox_pending ON outbox (next_attempt, id) WHERE state = 'pending';

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
)sql",
    // 2: what an adapter needs to answer an event where it came from (Slack response_url, ...).
    R"sql(
ALTER TABLE responses ADD COLUMN reply_handle TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reply_handle TEXT NOT NULL DEFAULT '';
)sql",
    // 3: the engagement engine's state: schedules, reminders, silences.
    R"sql(
ALTER TABLE tasks ADD COLUMN reminded_before INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN reminded_on_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN escalated INTEGER NOT NULL DEFAULT 0;

CREATE TABLE engagements (
  collaboration TEXT NOT NULL,
  person TEXT NOT NULL,
  next_nudge INTEGER,
  held_nudge INTEGER,
  next_digest INTEGER,
  last_digest INTEGER,
  PRIMARY KEY (collaboration, person)
) STRICT;

CREATE TABLE silences (
  collaboration TEXT NOT NULL,
  subject TEXT NOT NULL CHECK (subject IN ('person', 'organization', 'collaboration')),
  subject_id TEXT NOT NULL,
  episode INTEGER NOT NULL,
  since INTEGER NOT NULL,
  last_heard INTEGER NOT NULL,
  ended INTEGER,
  told_person INTEGER,
  in_digest INTEGER,
  told_alternate INTEGER,
  PRIMARY KEY (collaboration, subject, subject_id, episode)
) STRICT;

CREATE INDEX responses_by_room ON responses (platform, workspace, conversation, at);
)sql",
    // 4: the shared communications calendar, outcome reports (nudges and their answers, the
    // monthly pulse), the rounds run once per period, and per-collaboration secret tokens.
    R"sql(
CREATE TABLE calendar_events (
  number INTEGER PRIMARY KEY,
  collaboration TEXT NOT NULL REFERENCES collaborations(id) DEFERRABLE INITIALLY DEFERRED,
  organization TEXT NOT NULL,
  day INTEGER NOT NULL,  -- days since 1970-01-01
  title TEXT NOT NULL,
  topics TEXT NOT NULL,  -- JSON array of topic names
  audience TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at INTEGER NOT NULL
) STRICT;

CREATE TABLE nudge_log (
  collaboration TEXT NOT NULL,
  person TEXT NOT NULL,
  sent INTEGER NOT NULL,
  answered INTEGER,  -- the person's first response after it, before their next nudge
  PRIMARY KEY (collaboration, person, sent)
) STRICT;
CREATE INDEX nudge_log_open ON nudge_log (person) WHERE answered IS NULL;

CREATE TABLE pulse_answers (
  collaboration TEXT NOT NULL,
  month TEXT NOT NULL,  -- YYYY-MM, UTC
  person TEXT NOT NULL,
  organization TEXT NOT NULL,
  score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (collaboration, month, person)
) STRICT;

CREATE TABLE collaboration_rounds (
  collaboration TEXT NOT NULL,
  round TEXT NOT NULL,   -- "events", "pulse"
  period TEXT NOT NULL,  -- the week or month last decided
  PRIMARY KEY (collaboration, round)
) STRICT;

CREATE TABLE collaboration_secrets (
  collaboration TEXT NOT NULL,
  purpose TEXT NOT NULL,
  token TEXT NOT NULL,
  PRIMARY KEY (collaboration, purpose)
) STRICT;
)sql",
    // 5: approval rounds and each asked organization's answer.
    R"sql(
CREATE TABLE approval_rounds (
  number INTEGER PRIMARY KEY,
  collaboration TEXT NOT NULL REFERENCES collaborations(id) DEFERRABLE INITIALLY DEFERRED,
  title TEXT NOT NULL,
  link TEXT NOT NULL,
  rule TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  opened_by TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by TEXT NOT NULL,
  approved INTEGER NOT NULL
) STRICT;

CREATE TABLE approval_answers (
  round INTEGER NOT NULL REFERENCES approval_rounds(number) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  position INTEGER NOT NULL,  -- the order the organizations were asked in
  organization TEXT NOT NULL,
  state TEXT NOT NULL,
  answered_by TEXT NOT NULL,
  answered_at INTEGER,
  note TEXT NOT NULL,
  expected INTEGER,
  reminded_expected INTEGER NOT NULL,
  reminded_deadline INTEGER NOT NULL,
  escalated INTEGER NOT NULL,
  PRIMARY KEY (round, organization),
  UNIQUE (round, position)
) STRICT;
)sql",
    // 6: where a person's time zone came from (core zone_origin), so that only a zone nobody gave
    // is replaced by one learned from their platform. Earlier stores did not say: a zone other
    // than UTC was written by the config or a command, and so was UTC when the audit shows a `tz`
    // command by the person; the rest is the default.
    R"sql(
ALTER TABLE people ADD COLUMN time_zone_origin TEXT NOT NULL DEFAULT 'given'
  CHECK (time_zone_origin IN ('default', 'given', 'learned'));
UPDATE people SET time_zone_origin = 'default'
  WHERE time_zone = 'UTC' AND id NOT IN (SELECT actor FROM audit WHERE action = 'person.tz');
)sql",
    // 7: a message is checked again just before delivery (core/delivery.h): the outbox keeps what
    // each message is about, and a message found no longer true is 'withdrawn'. SQLite changes a
    // CHECK constraint only by rebuilding the table.
    R"sql(
CREATE TABLE outbox_7 (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  platform TEXT NOT NULL,
  workspace TEXT NOT NULL,
  conversation TEXT NOT NULL,
  user TEXT NOT NULL,
  person TEXT NOT NULL,
  language TEXT NOT NULL,
  reply_handle TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL,
  values_json TEXT NOT NULL,
  about_json TEXT NOT NULL DEFAULT '{}',
  not_before INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'withdrawn')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  sent_at INTEGER,
  failed_at INTEGER,
  withdrawn_at INTEGER
) STRICT;
INSERT INTO outbox_7 (id, key, platform, workspace, conversation, user, person, language, reply_handle, kind,
                      values_json, not_before, state, attempts, next_attempt, last_error, created_at, sent_at, failed_at)
  SELECT id, key, platform, workspace, conversation, user, person, language, reply_handle, kind,
         values_json, not_before, state, attempts, next_attempt, last_error, created_at, sent_at, failed_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_7 RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (next_attempt, id) WHERE state = 'pending';
)sql",
    // 8: a task's due date is the calendar date given (core task::due), not an instant: it reads
    // the same in every zone. Earlier stores kept the last second of that day in the zone of the
    // assignee (for an organization's task, of the facilitator who assigned it) as it was then.
    // The date is the one that instant ends in the assignee's or else the creator's zone as it is
    // now (day_ending_at, registered by `migrate`); when neither explains it, the person moved
    // since, and the date is the one that instant ends in any zone from UTC-12 to UTC+11:59.
    R"sql(
UPDATE tasks SET due = COALESCE(
    day_ending_at(due, (SELECT time_zone FROM people WHERE id = tasks.assignee_person)),
    day_ending_at(due, (SELECT time_zone FROM people WHERE id = tasks.created_by)),
    (due - 43200) / 86400)
  WHERE due IS NOT NULL;
ALTER TABLE tasks RENAME COLUMN due TO due_day;  -- days since 1970-01-01, as calendar_events.day
)sql",
    // 9: a read-only command (`status`, `tasks`...) shows presence but is no response
    // (core note_activity::presence_only): reports and digests do not count it. Rows recorded
    // before this migration all count, as they did. A removed calendar event stays, marked.
    R"sql(
ALTER TABLE responses ADD COLUMN presence_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calendar_events ADD COLUMN removed_at INTEGER;  -- `event remove`: kept for its number
)sql",
    // 10: the web dashboard: sign-in links and sessions, each kept by the SHA-256 of its secret
    // (never the secret itself), and where an audited command came from.
    R"sql(
CREATE TABLE dashboard_sign_ins (
  token_hash TEXT PRIMARY KEY,
  person TEXT NOT NULL,
  collaboration TEXT NOT NULL,
  issued INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  used INTEGER
) STRICT;
CREATE TABLE dashboard_sessions (
  id_hash TEXT PRIMARY KEY,
  person TEXT NOT NULL,
  collaboration TEXT NOT NULL,
  started INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  ended INTEGER
) STRICT;
ALTER TABLE audit ADD COLUMN via TEXT NOT NULL DEFAULT '';
)sql",
});

/// SQL `day_ending_at(seconds, zone)`: the date (days since 1970-01-01) whose last second in
/// `zone` is the instant `seconds`; NULL when it is no day's last second there, or either is NULL.
/// Migration 8 reads the old due instants with it.
void day_ending_at(sqlite3_context* context, int, sqlite3_value** arguments) {
  if (sqlite3_value_type(arguments[0]) == SQLITE_NULL || sqlite3_value_type(arguments[1]) == SQLITE_NULL) {
    sqlite3_result_null(context);
    return;
  }
  const time_point instant{std::chrono::seconds{sqlite3_value_int64(arguments[0])}};
  const std::string zone{reinterpret_cast<const char*>(sqlite3_value_text(arguments[1]))};
  if (!is_known_time_zone(zone)) {
    sqlite3_result_null(context);
    return;
  }
  const date::year_month_day day = local_date(instant, zone);
  if (end_of_day(day, zone) != instant) {
    sqlite3_result_null(context);
    return;
  }
  sqlite3_result_int64(context, date::sys_days{day}.time_since_epoch().count());
}

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

std::int64_t seconds_of(time_point t) { return static_cast<std::int64_t>(t.time_since_epoch().count()); }

// --- Binding: one overload per value type, bound by position. ---

void bind_one(SQLite::Statement& s, int index, std::string_view value) { s.bind(index, std::string{value}); }
void bind_one(SQLite::Statement& s, int index, std::int64_t value) { s.bind(index, value); }
void bind_one(SQLite::Statement& s, int index, time_point value) { s.bind(index, seconds_of(value)); }

// A template so that pointers and integers never convert to bool silently.
template <std::same_as<bool> Flag>
void bind_one(SQLite::Statement& s, int index, Flag value) {
  s.bind(index, value ? 1 : 0);
}

template <typename T>
void bind_one(SQLite::Statement& s, int index, const std::optional<T>& value) {
  if (value) {
    bind_one(s, index, *value);
  } else {
    s.bind(index);  // NULL
  }
}

template <typename... Values>
void bind_all(SQLite::Statement& s, const Values&... values) {
  int index = 0;
  (bind_one(s, ++index, values), ...);
}

}  // namespace

/// The statements a store runs, each prepared once and reused: preparing (parsing and planning the
/// SQL) costs more than running a small statement.
class statement_cache {
 public:
  explicit statement_cache(SQLite::Database& db) : db_(db) {}

  /// The statement for `sql`, reset, with no values bound. `sql` must have static storage (a
  /// string literal or a constant): statements are found by its address, without hashing the text.
  SQLite::Statement& prepared(const char* sql) {
    if (auto known = statements_.find(sql); known != statements_.end()) {
      known->second->tryReset();  // its result was read, or its error reported, when it last ran
      known->second->clearBindings();
      return *known->second;
    }
    auto statement = std::make_unique<SQLite::Statement>(db_, sql);
    return *statements_.emplace(sql, std::move(statement)).first->second;
  }

  SQLite::Database& database() { return db_; }

 private:
  SQLite::Database& db_;
  std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

namespace {

/// Runs one statement with `values` bound in order; returns the number of rows it changed.
template <typename... Values>
int execute(statement_cache& statements, const char* sql, const Values&... values) {
  SQLite::Statement& s = statements.prepared(sql);
  bind_all(s, values...);
  const int changed = s.exec();
  s.tryReset();  // leaves no statement running between calls
  return changed;
}

// --- Reading: the columns of the current row, left to right. ---

class row_reader {
 public:
  explicit row_reader(const SQLite::Statement& s) : statement_(s) {}

  std::string text() { return next().getString(); }
  std::int64_t int64() { return next().getInt64(); }
  int int32() { return next().getInt(); }
  bool flag() { return int64() != 0; }
  time_point time() { return time_point{std::chrono::seconds{int64()}}; }

  std::optional<std::int64_t> optional_int64() {
    const SQLite::Column column = next();
    if (column.isNull()) return std::nullopt;
    return column.getInt64();
  }

  std::optional<time_point> optional_time() {
    const auto seconds = optional_int64();
    if (!seconds) return std::nullopt;
    return time_point{std::chrono::seconds{*seconds}};
  }

 private:
  SQLite::Column next() { return statement_.getColumn(column_++); }

  const SQLite::Statement& statement_;
  int column_ = 0;
};

template <typename Enum>
Enum parsed(std::optional<Enum> value, std::string_view what, const std::string& text) {
  if (!value) throw store_error("sqlite store: unknown " + std::string{what} + " '" + text + "' in the database");
  return *value;
}

std::string roles_text(const std::set<role>& roles) {
  std::string text;
  for (role r : roles) {
    if (!text.empty()) text += ',';
    text += to_string(r);
  }
  return text;
}

std::set<role> roles_from_text(const std::string& text) {
  std::set<role> roles;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = text.substr(start, comma - start);
    roles.insert(parsed(role_from_string(name), "role", name));
    start = comma + 1;
  }
  return roles;
}

// Invalid UTF-8 in a value is replaced rather than thrown on: failing would roll back the whole
// apply and leave its event unhandled on every retry.
std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string rooms_text(const std::vector<room>& rooms) {
  nlohmann::json list = nlohmann::json::array();
  for (const room& r : rooms) list.push_back({{"platform", r.platform}, {"workspace", r.workspace}, {"id", r.id}});
  return json_text(list);
}

std::vector<room> rooms_from_text(const std::string& text) {
  try {
    std::vector<room> rooms;
    for (const nlohmann::json& item : nlohmann::json::parse(text)) {
      rooms.push_back(room{item.at("platform").get<std::string>(), item.at("workspace").get<std::string>(),
                           item.at("id").get<std::string>()});
    }
    return rooms;
  } catch (const nlohmann::json::exception& e) {
    throw store_error(std::string{"sqlite store: corrupt rooms of a collaboration: "} + e.what());
  }
}

nlohmann::json values_from_text(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw store_error(std::string{"sqlite store: corrupt outbox values: "} + e.what());
  }
}

/// Runs `operation`, reporting SQLite's failures as `store_error` naming the operation.
template <typename Operation>
auto translated(std::string_view operation_name, Operation&& operation) {
  try {
    return std::forward<Operation>(operation)();
  } catch (const SQLite::Exception& e) {
    throw store_error("sqlite store: " + std::string{operation_name} + ": " + e.what());
  }
}

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

/// A unit of writes that is its own transaction when none is open, and a savepoint inside an open
/// one (`in_one_transaction`): undone alone when it fails, committed with the rest otherwise.
class write_scope {
 public:
  explicit write_scope(statement_cache& statements)
      : statements_(statements), nested_(sqlite3_get_autocommit(statements.database().getHandle()) == 0) {
    execute(statements_, nested_ ? "SAVEPOINT write_scope" : "BEGIN IMMEDIATE");
  }
  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;
  ~write_scope() {
    if (done_) return;
    try {
      if (nested_) {
        execute(statements_, "ROLLBACK TO write_scope");
        execute(statements_, "RELEASE write_scope");
      } else {
        execute(statements_, "ROLLBACK");
      }
    } catch (const SQLite::Exception&) {  // a destructor must not throw; SQLite rolls back on its own
    }
  }
  void commit() {
    execute(statements_, nested_ ? "RELEASE write_scope" : "COMMIT");
    done_ = true;
  }
  /// Whether this scope is a transaction of its own (its commit is a commit of the database).
  [[nodiscard]] bool outermost() const { return !nested_; }

 private:
  statement_cache& statements_;
  bool nested_;
  bool done_ = false;
};

void migrate(SQLite::Database& db) {
  const int latest = sqlite_store::latest_schema_version();
  db.createFunction("day_ending_at", 2, true, nullptr, &day_ending_at);
  for (;;) {
    // IMMEDIATE takes the write lock first, so two processes opening the file migrate in turn.
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    const int version = user_version(db);
    if (version > latest || version < 0) {
      throw store_error("sqlite store: " + db.getFilename() + " has schema version " + std::to_string(version) +
                        ", but this Tandem knows versions up to " + std::to_string(latest) +
                        ": it was written by a newer Tandem; upgrade Tandem or use another store file");
    }
    if (version == latest) {
      transaction.commit();
      return;
    }
    db.exec(migrations.at(static_cast<std::size_t>(version)));
    // PRAGMA takes no bound parameters; the value is a number computed here, not outside input.
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    transaction.commit();
  }
}

/// Writes each action of an `apply` inside the caller's transaction.
class action_writer {
 public:
  explicit action_writer(statement_cache& statements) : statements_(statements) {}

  void operator()(const send_message& m) const {
    execute(statements_,
            "INSERT INTO outbox (key, platform, workspace, conversation, user, person, language, reply_handle, kind,"
            " values_json, about_json, not_before, state, attempts, next_attempt, last_error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '')"
            " ON CONFLICT (key) DO NOTHING",
            m.key, m.to.platform, m.to.workspace, m.to.conversation, m.to.user, m.to.person, m.to.language,
            m.to.reply_handle, m.body.kind, json_text(m.body.values), json_text(subject_to_json(m.about)), m.not_before,
            m.not_before);
  }

  void operator()(const save_collaboration& a) const {
    const collaboration& c = a.value;
    execute(statements_,
            "INSERT INTO collaborations (id, name, record_full_text, rooms) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, record_full_text = excluded.record_full_text,"
            " rooms = excluded.rooms",
            c.id, c.name, c.record_full_text, rooms_text(c.rooms));
  }

  void operator()(const save_organization& a) const {
    const organization& o = a.value;
    execute(statements_,
            "INSERT INTO organizations (collaboration, id, name) VALUES (?, ?, ?)"
            " ON CONFLICT (collaboration, id) DO UPDATE SET name = excluded.name",
            o.collaboration, o.id, o.name);
  }

  void operator()(const save_person& a) const {
    const person& p = a.value;
    const auto quiet_start = p.quiet ? std::optional<std::int64_t>{p.quiet->start_minute} : std::nullopt;
    const auto quiet_end = p.quiet ? std::optional<std::int64_t>{p.quiet->end_minute} : std::nullopt;
    // An upsert, not INSERT OR REPLACE: replacing would delete the row and cascade to identities.
    execute(statements_,
            "INSERT INTO people (id, name, time_zone, language, quiet_start, quiet_end, paused_until, time_zone_origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,"
            " language = excluded.language, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,"
            " paused_until = excluded.paused_until, time_zone_origin = excluded.time_zone_origin",
            p.id, p.name, p.time_zone, p.language, quiet_start, quiet_end, p.paused_until,
            to_string(p.time_zone_origin));
    execute(statements_, "DELETE FROM identities WHERE person = ?", p.id);
    std::int64_t position = 0;
    for (const identity& i : p.identities) {
      SQLite::Statement owner(statements_.database(),
                              "SELECT person FROM identities WHERE platform = ? AND workspace = ? AND user = ?");
      bind_all(owner, i.platform, i.workspace, i.user);
      if (owner.executeStep()) {
        throw store_error("sqlite store: apply: identity " + i.platform + "/" + i.workspace + "/" + i.user +
                          " of person '" + p.id + "' already belongs to person '" + owner.getColumn(0).getString() +
                          "'");
      }
      execute(statements_,
              "INSERT INTO identities (platform, workspace, user, person, position) VALUES (?, ?, ?, ?, ?)", i.platform,
              i.workspace, i.user, p.id, position++);
    }
  }

  void operator()(const learn_time_zone& a) const {
    // The condition repeats the core's: a zone someone gave is never replaced, even by a bug.
    execute(
        statements_,
        "UPDATE people SET time_zone = ?, time_zone_origin = 'learned' WHERE id = ? AND time_zone_origin = 'default'",
        a.zone, a.person);
  }

  void operator()(const save_membership& a) const {
    const membership& m = a.value;
    execute(statements_,
            "INSERT INTO memberships (collaboration, person, organization, roles, tier, active)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (collaboration, person) DO UPDATE SET organization = excluded.organization,"
            " roles = excluded.roles, tier = excluded.tier, active = excluded.active",
            m.collaboration, m.person, m.organization, roles_text(m.roles), to_string(m.tier), m.active);
  }

  void operator()(const save_tier_policy& a) const {
    execute(statements_,
            "INSERT INTO tier_policies (tier, schedule, silence_after_s, recently_active_s) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (tier) DO UPDATE SET schedule = excluded.schedule,"
            " silence_after_s = excluded.silence_after_s, recently_active_s = excluded.recently_active_s",
            to_string(a.which), a.value.schedule, static_cast<std::int64_t>(a.value.silence_after.count()),
            static_cast<std::int64_t>(a.value.recently_active.count()));
  }

  void operator()(const save_task& a) const {
    const task& t = a.value;
    const auto due_day = t.due ? std::optional<std::int64_t>{t.due->time_since_epoch().count()} : std::nullopt;
    execute(statements_,
            "INSERT INTO tasks (number, collaboration, title, assignee_person, assignee_organization, due_day, status,"
            " note, created_by, created_at, updated_at, reminded_before, reminded_on_due, escalated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (number) DO UPDATE SET collaboration = excluded.collaboration, title = excluded.title,"
            " assignee_person = excluded.assignee_person, assignee_organization = excluded.assignee_organization,"
            " due_day = excluded.due_day, status = excluded.status, note = excluded.note, created_by = excluded.created_by,"
            " created_at = excluded.created_at, updated_at = excluded.updated_at,"
            " reminded_before = excluded.reminded_before, reminded_on_due = excluded.reminded_on_due,"
            " escalated = excluded.escalated",
            t.number, t.collaboration, t.title, t.assignee_person, t.assignee_organization, due_day, to_string(t.status),
            t.note, t.created_by, t.created_at, t.updated_at, t.reminded_before, t.reminded_on_due, t.escalated);
  }

  void operator()(const save_engagement& a) const {
    const engagement& e = a.value;
    execute(statements_,
            "INSERT INTO engagements (collaboration, person, next_nudge, held_nudge, next_digest, last_digest)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collaboration, person) DO UPDATE SET"
            " next_nudge = excluded.next_nudge, held_nudge = excluded.held_nudge,"
            " next_digest = excluded.next_digest, last_digest = excluded.last_digest",
            e.collaboration, e.person, e.next_nudge, e.held_nudge, e.next_digest, e.last_digest);
  }

  void operator()(const save_silence& a) const {
    const silence& s = a.value;
    execute(statements_,
            "INSERT INTO silences (collaboration, subject, subject_id, episode, since, last_heard, ended, told_person,"
            " in_digest, told_alternate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (collaboration, subject, subject_id, episode) DO UPDATE SET since = excluded.since,"
            " last_heard = excluded.last_heard, ended = excluded.ended, told_person = excluded.told_person,"
            " in_digest = excluded.in_digest, told_alternate = excluded.told_alternate",
            s.collaboration, to_string(s.subject), s.id, std::int64_t{s.episode}, s.since, s.last_heard, s.ended,
            s.told_person, s.in_digest, s.told_alternate);
  }

  void operator()(const record_tick& t) const {
    execute(statements_,
            "INSERT INTO settings (key, value) VALUES ('engine.first_tick', ?) ON CONFLICT (key) DO NOTHING",
            std::to_string(t.at.time_since_epoch().count()));
    execute(statements_,
            "INSERT INTO settings (key, value) VALUES ('engine.last_tick', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            std::to_string(t.at.time_since_epoch().count()));
  }

  void operator()(const record_task_update& u) const {
    execute(statements_, "INSERT INTO task_updates (task, status, note, author, at) VALUES (?, ?, ?, ?, ?)", u.task,
            to_string(u.status), u.note, u.by, u.at);
  }

  void operator()(const record_audit& a) const {
    const audit_entry& e = a.value;
    execute(statements_, "INSERT INTO audit (at, collaboration, actor, action, detail, via) VALUES (?, ?, ?, ?, ?, ?)",
            e.at, e.collaboration, e.actor, e.action, e.detail, e.via);
  }

  // The responses row recorded before the core handled it is the activity; load() derives
  // last_response and the monthly counts from it. Here only the nudge it answers is marked, and
  // the row as presence when it was a read-only command.
  void operator()(const note_activity& a) const {
    if (a.presence_only) {
      execute(statements_, "UPDATE responses SET presence_only = 1 WHERE dedup_key = ?", a.response_key);
    }
    if (a.person.empty() || !a.answers_nudge) return;
    execute(statements_,
            "UPDATE nudge_log SET answered = ? WHERE person = ? AND answered IS NULL AND sent <= ?"
            " AND sent = (SELECT MAX(sent) FROM nudge_log AS later WHERE later.collaboration = nudge_log.collaboration"
            " AND later.person = nudge_log.person)",
            a.at, a.person, a.at);
  }

  void operator()(const save_event& a) const {
    const calendar_event& e = a.value;
    execute(statements_,
            "INSERT INTO calendar_events (number, collaboration, organization, day, title, topics, audience, added_by,"
            " added_at, removed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET"
            " collaboration = excluded.collaboration, organization = excluded.organization, day = excluded.day,"
            " title = excluded.title, topics = excluded.topics, audience = excluded.audience,"
            " added_by = excluded.added_by, added_at = excluded.added_at, removed_at = excluded.removed_at",
            e.number, e.collaboration, e.organization, std::int64_t{e.day.time_since_epoch().count()}, e.title,
            json_text(nlohmann::json(e.topics)), e.audience, e.added_by, e.added_at, e.removed_at);
  }

  void operator()(const record_nudge& a) const {
    execute(statements_, "INSERT INTO nudge_log (collaboration, person, sent) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            a.collaboration, a.person, a.sent);
  }

  void operator()(const save_pulse& a) const {
    const pulse_answer& p = a.value;
    execute(
        statements_,
        "INSERT INTO pulse_answers (collaboration, month, person, organization, score, comment, at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (collaboration, month, person) DO UPDATE SET"
        " organization = excluded.organization, score = excluded.score, comment = excluded.comment, at = excluded.at",
        p.collaboration, p.month, p.person, p.organization, std::int64_t{p.score}, p.comment, p.at);
  }

  void operator()(const save_round& a) const {
    execute(statements_,
            "INSERT INTO collaboration_rounds (collaboration, round, period) VALUES (?, ?, ?)"
            " ON CONFLICT (collaboration, round) DO UPDATE SET period = excluded.period",
            a.collaboration, a.round, a.period);
  }

  void operator()(const save_approval& a) const {
    const approval_round& r = a.value;
    execute(
        statements_,
        "INSERT INTO approval_rounds (number, collaboration, title, link, rule, deadline, opened_by, opened_at,"
        " closed_at, closed_by, approved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (number) DO UPDATE SET"
        " collaboration = excluded.collaboration, title = excluded.title, link = excluded.link, rule = excluded.rule,"
        " deadline = excluded.deadline, opened_by = excluded.opened_by, opened_at = excluded.opened_at,"
        " closed_at = excluded.closed_at, closed_by = excluded.closed_by, approved = excluded.approved",
        r.number, r.collaboration, r.title, r.link, to_string(r.rule), r.deadline, r.opened_by, r.opened_at,
        r.closed_at, r.closed_by, r.approved);
    execute(statements_, "DELETE FROM approval_answers WHERE round = ?", r.number);
    std::int64_t position = 0;
    for (const approval_answer& x : r.answers) {
      execute(statements_,
              "INSERT INTO approval_answers (round, position, organization, state, answered_by, answered_at, note,"
              " expected, reminded_expected, reminded_deadline, escalated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              r.number, position++, x.organization, to_string(x.state), x.by, x.at, x.note, x.expected,
              x.reminded_expected, x.reminded_deadline, x.escalated);
    }
  }

  void operator()(const save_sign_in& a) const {
    const sign_in_grant& g = a.value;
    execute(statements_,
            "INSERT INTO dashboard_sign_ins (token_hash, person, collaboration, issued, expires, used)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token_hash) DO UPDATE SET used = excluded.used",
            g.token_hash, g.person, g.collaboration, g.issued, g.expires, g.used);
  }

  void operator()(const save_session& a) const {
    const dashboard_session& d = a.value;
    execute(statements_,
            "INSERT INTO dashboard_sessions (id_hash, person, collaboration, started, last_seen, ended)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id_hash) DO UPDATE SET last_seen = excluded.last_seen,"
            " ended = excluded.ended",
            d.id_hash, d.person, d.collaboration, d.started, d.last_seen, d.ended);
  }

  void operator()(const issue_sign_in&) const {
    throw store_error("sqlite store: a sign-in link reached the store before its token was made (complete_sign_ins)");
  }

  void operator()(const rotate_secret&) const {
    throw store_error("sqlite store: a token rotation reached the store before its token was made (complete_rotations)");
  }

  void operator()(const save_secret& a) const {
    execute(statements_,
            "INSERT INTO collaboration_secrets (collaboration, purpose, token) VALUES (?, ?, ?)"
            " ON CONFLICT (collaboration, purpose) DO UPDATE SET token = excluded.token",
            a.collaboration, a.purpose, a.value);
  }

 private:
  statement_cache& statements_;
};

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

void load_collaborations(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT id, name, record_full_text, rooms FROM collaborations");
  while (s.executeStep()) {
    row_reader row(s);
    collaboration c;
    c.id = row.text();
    c.name = row.text();
    c.record_full_text = row.flag();
    c.rooms = rooms_from_text(row.text());
    w.collaborations[c.id] = std::move(c);
  }
}

void load_organizations(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT collaboration, id, name FROM organizations");
  while (s.executeStep()) {
    row_reader row(s);
    organization o;
    o.collaboration = row.text();
    o.id = row.text();
    o.name = row.text();
    w.organizations[{o.collaboration, o.id}] = std::move(o);
  }
}

void load_people(SQLite::Database& db, world& w) {
  SQLite::Statement people(
      db, "SELECT id, name, time_zone, language, quiet_start, quiet_end, paused_until, time_zone_origin FROM people");
  while (people.executeStep()) {
    row_reader row(people);
    person p;
    p.id = row.text();
    p.name = row.text();
    p.time_zone = row.text();
    p.language = row.text();
    const auto quiet_start = row.optional_int64();
    const auto quiet_end = row.optional_int64();
    if (quiet_start && quiet_end) p.quiet = quiet_hours{static_cast<int>(*quiet_start), static_cast<int>(*quiet_end)};
    p.paused_until = row.optional_time();
    const std::string origin = row.text();
    p.time_zone_origin = parsed(zone_origin_from_string(origin), "time zone origin", origin);
    w.people[p.id] = std::move(p);
  }

  SQLite::Statement identities(db,
                               "SELECT person, platform, workspace, user FROM identities ORDER BY person, position");
  while (identities.executeStep()) {
    row_reader row(identities);
    const std::string owner = row.text();
    auto it = w.people.find(owner);
    if (it == w.people.end()) throw store_error("sqlite store: an identity belongs to unknown person '" + owner + "'");
    identity i;
    i.platform = row.text();
    i.workspace = row.text();
    i.user = row.text();
    it->second.identities.push_back(std::move(i));
  }
}

void load_memberships(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT collaboration, person, organization, roles, tier, active FROM memberships");
  while (s.executeStep()) {
    row_reader row(s);
    membership m;
    m.collaboration = row.text();
    m.person = row.text();
    m.organization = row.text();
    m.roles = roles_from_text(row.text());
    const std::string tier_name = row.text();
    m.tier = parsed(tier_from_string(tier_name), "tier", tier_name);
    m.active = row.flag();
    w.memberships[{m.collaboration, m.person}] = std::move(m);
  }
}

void load_tiers(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT tier, schedule, silence_after_s, recently_active_s FROM tier_policies");
  while (s.executeStep()) {
    row_reader row(s);
    const std::string tier_name = row.text();
    tier_policy policy;
    policy.schedule = row.text();
    policy.silence_after = std::chrono::seconds{row.int64()};
    policy.recently_active = std::chrono::seconds{row.int64()};
    w.tiers[parsed(tier_from_string(tier_name), "tier", tier_name)] = std::move(policy);
  }
}

void load_tasks(SQLite::Database& db, world& w) {
  SQLite::Statement s(db,
                      "SELECT number, collaboration, title, assignee_person, assignee_organization, due_day, status, note,"
                      " created_by, created_at, updated_at, reminded_before, reminded_on_due, escalated FROM tasks");
  while (s.executeStep()) {
    row_reader row(s);
    task t;
    t.number = row.int64();
    t.collaboration = row.text();
    t.title = row.text();
    t.assignee_person = row.text();
    t.assignee_organization = row.text();
    if (const auto day = row.optional_int64()) t.due = std::chrono::sys_days{std::chrono::days{*day}};
    const std::string status = row.text();
    t.status = parsed(task_status_from_string(status), "task status", status);
    t.note = row.text();
    t.created_by = row.text();
    t.created_at = row.time();
    t.updated_at = row.time();
    t.reminded_before = row.flag();
    t.reminded_on_due = row.flag();
    t.escalated = row.flag();
    w.tasks[t.number] = std::move(t);
  }
}

void load_audit(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT at, collaboration, actor, action, detail, via FROM audit ORDER BY id");
  while (s.executeStep()) {
    row_reader row(s);
    audit_entry e;
    e.at = row.time();
    e.collaboration = row.text();
    e.actor = row.text();
    e.action = row.text();
    e.detail = row.text();
    e.via = row.text();
    w.audit.push_back(std::move(e));
  }
}

/// Each person's latest responses (through any of their identities), oldest first: all of them
/// (presence included) and those that count (answers).
void load_recent_responses(SQLite::Database& db, world& w) {
  SQLite::Statement heard(db,
                          "SELECT at FROM responses WHERE platform = ? AND workspace = ? AND user = ?"
                          " ORDER BY at DESC LIMIT ?");
  SQLite::Statement answers(db,
                            "SELECT at FROM responses WHERE platform = ? AND workspace = ? AND user = ?"
                            " AND presence_only = 0 ORDER BY at DESC LIMIT ?");
  const auto at_of = [](SQLite::Statement& s) { return time_point{std::chrono::seconds{s.getColumn(0).getInt64()}}; };
  for (const auto& [id, p] : w.people) {
    for (const identity& i : p.identities) {
      heard.reset();
      bind_all(heard, i.platform, i.workspace, i.user, static_cast<std::int64_t>(recent_response_count));
      while (heard.executeStep()) note_presence(w, id, at_of(heard));
      answers.reset();
      bind_all(answers, i.platform, i.workspace, i.user, static_cast<std::int64_t>(recent_response_count));
      while (answers.executeStep()) {
        auto& recent = w.recent_answers[id];
        const time_point at = at_of(answers);
        recent.insert(std::upper_bound(recent.begin(), recent.end(), at), at);
        while (recent.size() > recent_response_count) recent.pop_front();
      }
    }
  }
}

/// When each collaboration's rooms last heard a response.
void load_room_activity(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT MAX(at) FROM responses WHERE platform = ? AND workspace = ? AND conversation = ?");
  for (const auto& [id, c] : w.collaborations) {
    for (const room& r : c.rooms) {
      s.reset();
      bind_all(s, r.platform, r.workspace, r.id);
      if (s.executeStep() && !s.getColumn(0).isNull()) {
        const time_point at{std::chrono::seconds{s.getColumn(0).getInt64()}};
        auto& last = w.room_activity[id];
        last = std::max(last, at);
      }
    }
  }
}

void load_engagements(SQLite::Database& db, world& w) {
  SQLite::Statement s(
      db, "SELECT collaboration, person, next_nudge, held_nudge, next_digest, last_digest FROM engagements");
  while (s.executeStep()) {
    row_reader row(s);
    engagement e;
    e.collaboration = row.text();
    e.person = row.text();
    e.next_nudge = row.optional_time();
    e.held_nudge = row.optional_time();
    e.next_digest = row.optional_time();
    e.last_digest = row.optional_time();
    w.engagements[{e.collaboration, e.person}] = std::move(e);
  }
}

/// The latest episode of each subject's silences.
void load_silences(SQLite::Database& db, world& w) {
  SQLite::Statement s(db,
                      "SELECT collaboration, subject, subject_id, episode, since, last_heard, ended, told_person,"
                      " in_digest, told_alternate FROM silences ORDER BY episode");
  while (s.executeStep()) {
    row_reader row(s);
    silence x;
    x.collaboration = row.text();
    const std::string subject = row.text();
    x.subject = parsed(silence_subject_from_string(subject), "silence subject", subject);
    x.id = row.text();
    x.episode = row.int32();
    x.since = row.time();
    x.last_heard = row.time();
    x.ended = row.optional_time();
    x.told_person = row.optional_time();
    x.in_digest = row.optional_time();
    x.told_alternate = row.optional_time();
    w.silences[{x.collaboration, x.subject, x.id}] = std::move(x);
  }
}

void load_calendar_and_outcomes(SQLite::Database& db, world& w) {
  SQLite::Statement events(db,
                           "SELECT number, collaboration, organization, day, title, topics, audience, added_by,"
                           " added_at, removed_at FROM calendar_events");
  while (events.executeStep()) {
    row_reader row(events);
    calendar_event e;
    e.number = row.int64();
    e.collaboration = row.text();
    e.organization = row.text();
    e.day = std::chrono::sys_days{std::chrono::days{row.int64()}};
    e.title = row.text();
    const std::string topics = row.text();
    try {
      e.topics = nlohmann::json::parse(topics).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception& error) {
      throw store_error("sqlite store: corrupt topics of event E" + std::to_string(e.number) + ": " + error.what());
    }
    e.audience = row.text();
    e.added_by = row.text();
    e.added_at = row.time();
    e.removed_at = row.optional_time();
    w.events[e.number] = std::move(e);
  }
  SQLite::Statement nudges(db, "SELECT collaboration, person, sent, answered FROM nudge_log ORDER BY sent");
  while (nudges.executeStep()) {
    row_reader row(nudges);
    std::string collab = row.text();
    std::string person = row.text();
    const time_point sent = row.time();
    w.nudges[{std::move(collab), std::move(person)}].push_back(nudge_record{sent, row.optional_time()});
  }
  SQLite::Statement pulses(db,
                           "SELECT collaboration, month, person, organization, score, comment, at FROM pulse_answers");
  while (pulses.executeStep()) {
    row_reader row(pulses);
    pulse_answer p;
    p.collaboration = row.text();
    p.month = row.text();
    p.person = row.text();
    p.organization = row.text();
    p.score = row.int32();
    p.comment = row.text();
    p.at = row.time();
    w.pulses[{p.collaboration, p.month, p.person}] = std::move(p);
  }
  SQLite::Statement rounds(db, "SELECT collaboration, round, period FROM collaboration_rounds");
  while (rounds.executeStep()) {
    row_reader row(rounds);
    std::string collab = row.text();
    std::string round = row.text();
    w.rounds[{std::move(collab), std::move(round)}] = row.text();
  }
  SQLite::Statement secrets(db, "SELECT collaboration, purpose, token FROM collaboration_secrets");
  while (secrets.executeStep()) {
    row_reader row(secrets);
    std::string collab = row.text();
    std::string purpose = row.text();
    w.secrets[{std::move(collab), std::move(purpose)}] = row.text();
  }
  // Dashboard links not used yet and sessions not ended (expired ones are refused by the core).
  SQLite::Statement sign_ins(db,
                             "SELECT token_hash, person, collaboration, issued, expires, used FROM dashboard_sign_ins"
                             " WHERE used IS NULL");
  while (sign_ins.executeStep()) {
    row_reader row(sign_ins);
    sign_in_grant g;
    g.token_hash = row.text();
    g.person = row.text();
    g.collaboration = row.text();
    g.issued = row.time();
    g.expires = row.time();
    g.used = row.optional_time();
    w.sign_ins[g.token_hash] = g;
  }
  SQLite::Statement sessions(db,
                             "SELECT id_hash, person, collaboration, started, last_seen, ended FROM dashboard_sessions"
                             " WHERE ended IS NULL");
  while (sessions.executeStep()) {
    row_reader row(sessions);
    dashboard_session d;
    d.id_hash = row.text();
    d.person = row.text();
    d.collaboration = row.text();
    d.started = row.time();
    d.last_seen = row.time();
    d.ended = row.optional_time();
    w.sessions[d.id_hash] = d;
  }
  // Responses per person and UTC month, through any of their identities: every response, where
  // load_recent_responses saw only the latest.
  w.monthly_responses.clear();
  SQLite::Statement months(db,
                           "SELECT strftime('%Y-%m', at, 'unixepoch'), COUNT(*) FROM responses"
                           " WHERE platform = ? AND workspace = ? AND user = ? AND presence_only = 0 GROUP BY 1");
  for (const auto& [id, p] : w.people) {
    for (const identity& i : p.identities) {
      months.reset();
      bind_all(months, i.platform, i.workspace, i.user);
      while (months.executeStep())
        w.monthly_responses[id][months.getColumn(0).getString()] += months.getColumn(1).getInt();
    }
  }
}

void load_approvals(SQLite::Database& db, world& w) {
  SQLite::Statement rounds(db,
                           "SELECT number, collaboration, title, link, rule, deadline, opened_by, opened_at, closed_at,"
                           " closed_by, approved FROM approval_rounds");
  while (rounds.executeStep()) {
    row_reader row(rounds);
    approval_round r;
    r.number = row.int64();
    r.collaboration = row.text();
    r.title = row.text();
    r.link = row.text();
    const std::string rule = row.text();
    r.rule = parsed(approval_rule_from_string(rule), "approval rule", rule);
    r.deadline = row.time();
    r.opened_by = row.text();
    r.opened_at = row.time();
    r.closed_at = row.optional_time();
    r.closed_by = row.text();
    r.approved = row.flag();
    w.approvals[r.number] = std::move(r);
  }
  SQLite::Statement answers(db,
                            "SELECT round, organization, state, answered_by, answered_at, note, expected,"
                            " reminded_expected, reminded_deadline, escalated FROM approval_answers"
                            " ORDER BY round, position");
  while (answers.executeStep()) {
    row_reader row(answers);
    const std::int64_t number = row.int64();
    approval_answer x;
    x.organization = row.text();
    const std::string state = row.text();
    x.state = parsed(approval_state_from_string(state), "approval state", state);
    x.by = row.text();
    x.at = row.optional_time();
    x.note = row.text();
    x.expected = row.optional_time();
    x.reminded_expected = row.flag();
    x.reminded_deadline = row.flag();
    x.escalated = row.flag();
    auto round = w.approvals.find(number);
    if (round == w.approvals.end())
      throw store_error("sqlite store: an answer to unknown approval round A" + std::to_string(number));
    round->second.answers.push_back(std::move(x));
  }
}

void load_ticks(SQLite::Database& db, world& w) {
  SQLite::Statement s(db, "SELECT key, value FROM settings WHERE key IN ('engine.first_tick', 'engine.last_tick')");
  while (s.executeStep()) {
    const std::string key = s.getColumn(0).getString();
    const time_point at{std::chrono::seconds{std::stoll(s.getColumn(1).getString())}};
    (key == "engine.first_tick" ? w.first_tick : w.last_tick) = at;
  }
}

}  // namespace

std::string_view to_string(outbox_state state) {
  for (const auto& [value, name] : outbox_state_names) {
    if (value == state) return name;
  }
  return "?";
}

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
      wal_path_ = db_->getFilename() + "-wal";
      if (durability_ == sqlite_durability::at_sync) {
        // Checkpoints move to sync(), on a connection of their own: SQLite's automatic ones would
        // run inside the owner's commits and hold it up while the database file is synced.
        sqlite3_wal_hook(db_->getHandle(), &sqlite_store::on_wal_commit, this);
        checkpointer_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE, busy_timeout_ms, vfs);
        // A connection learns that the file is in WAL mode at its first read; until then its
        // checkpoints do nothing.
        (void)checkpointer_->execAndGet("PRAGMA journal_mode");
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
  checkpointer_.reset();
  db_.reset();
  if (wal_descriptor_ >= 0) ::close(wal_descriptor_);
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

void sqlite_store::sync() {
  if (durability_ == sqlite_durability::at_commit) return;
  // Read before syncing: every commit that returned before this line is on disk after it.
  const std::int64_t committed = committed_outbox_.load();
  if (!wal_path_.empty()) {
    const std::lock_guard lock(sync_mutex_);
    if (wal_descriptor_ < 0) {
      wal_descriptor_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_descriptor_ < 0 && errno != ENOENT) {
        throw store_error("sqlite store: sync: cannot open " + wal_path_ + ": " + std::strerror(errno));
      }
      // A WAL file SQLite just created is durable only once its directory entry is.
      const std::string folder = std::filesystem::path(wal_path_).parent_path().string();
      const int directory = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (directory >= 0) {
        (void)::fsync(directory);
        ::close(directory);
      }
    }
    if (wal_descriptor_ >= 0 && ::fdatasync(wal_descriptor_) != 0) {
      throw store_error("sqlite store: sync: the disk did not make " + wal_path_ + " durable: " + std::strerror(errno));
    }
  }
  raise_durable_outbox(committed);
}

int sqlite_store::on_wal_commit(void* self, sqlite3* db, const char* /*database*/, int frames) {
  static_cast<sqlite_store*>(self)->wal_frames_.store(frames);
  // Nothing is held back after a commit; should SQLite ever write one unrecognised, this keeps
  // the file whole (and wal_frames_found_held_after_commit() tells).
  return write_out_held_wal_frames(db) < 0 ? SQLITE_IOERR_WRITE : SQLITE_OK;
}

bool sqlite_store::checkpoint() {
  const std::lock_guard lock(checkpoint_mutex_);
  const int frames = wal_frames_.load();
  if (frames < frames_at_last_look_) next_checkpoint_at_ = checkpoint_frames;  // the WAL started over
  frames_at_last_look_ = frames;
  if (checkpointer_ == nullptr || frames < next_checkpoint_at_) return false;
  // PASSIVE copies what it can without waiting for the owner; what it leaves, the next one takes.
  // In NORMAL mode the checkpoint syncs the WAL before and the database file after copying.
  int log_frames = 0;
  int copied_frames = 0;
  const int result = sqlite3_wal_checkpoint_v2(checkpointer_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                               &log_frames, &copied_frames);
  if (result != SQLITE_OK && result != SQLITE_BUSY) {
    throw store_error(std::string{"sqlite store: checkpoint: "} + sqlite3_errstr(result));
  }
  next_checkpoint_at_ = frames + checkpoint_frames;
  return copied_frames > 0;
}

bool sqlite_store::checkpoint_needs_a_pause() {
  return checkpointer_ != nullptr && wal_frames_.load() >= paused_checkpoint_frames;
}

int sqlite_store::latest_schema_version() noexcept { return static_cast<int>(migrations.size()); }

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
  return translated("load", [&] {
    // One read transaction, so that the world is a single snapshot.
    SQLite::Transaction transaction(*db_);
    world w;
    load_collaborations(*db_, w);
    load_organizations(*db_, w);
    load_people(*db_, w);
    load_memberships(*db_, w);
    load_tiers(*db_, w);
    load_tasks(*db_, w);
    load_audit(*db_, w);
    load_recent_responses(*db_, w);
    load_room_activity(*db_, w);
    load_engagements(*db_, w);
    load_silences(*db_, w);
    load_ticks(*db_, w);
    load_calendar_and_outcomes(*db_, w);
    load_approvals(*db_, w);
    transaction.commit();
    return w;
  });
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
