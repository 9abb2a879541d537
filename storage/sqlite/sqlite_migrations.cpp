#include "storage/sqlite/sqlite_migrations.h"

#include "core/dates.h"
#include "core/store.h"
#include "storage/schema_migration.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <array>
#include <string>

namespace tandem::sqlite_detail {
namespace {

// Each brings user_version from its version - 1 to its version. Never edit a migration that has
// shipped: append. A second backend keeps its own SQL under the same numbers.
constexpr auto migrations = std::to_array<schema_migration>({
    // The first schema: collaborations, people, tasks, the audit, recorded responses, the outbox.
    {1, R"sql(
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
)sql"},
    // What an adapter needs to answer an event where it came from (Slack response_url, ...).
    {2, R"sql(
ALTER TABLE responses ADD COLUMN reply_handle TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reply_handle TEXT NOT NULL DEFAULT '';
)sql"},
    // The engagement engine's state: schedules, reminders, silences.
    {3, R"sql(
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
)sql"},
    // The shared communications calendar, outcome reports (nudges and their answers, the
    // monthly pulse), the rounds run once per period, and per-collaboration secret tokens.
    {4, R"sql(
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
)sql"},
    // Approval rounds and each asked organization's answer.
    {5, R"sql(
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
)sql"},
    // Where a person's time zone came from (core zone_origin), so that only a zone nobody gave
    // is replaced by one learned from their platform. Earlier stores did not say: a zone other
    // than UTC was written by the config or a command, and so was UTC when the audit shows a `tz`
    // command by the person; the rest is the default.
    {6, R"sql(
ALTER TABLE people ADD COLUMN time_zone_origin TEXT NOT NULL DEFAULT 'given'
  CHECK (time_zone_origin IN ('default', 'given', 'learned'));
UPDATE people SET time_zone_origin = 'default'
  WHERE time_zone = 'UTC' AND id NOT IN (SELECT actor FROM audit WHERE action = 'person.tz');
)sql"},
    // A message is checked again just before delivery (core/delivery.h): the outbox keeps what
    // each message is about, and a message found no longer true is 'withdrawn'. SQLite changes a
    // CHECK constraint only by rebuilding the table.
    {7, R"sql(
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
)sql"},
    // A task's due date is the calendar date given (core task::due), not an instant: it reads
    // the same in every zone. Earlier stores kept the last second of that day in the zone of the
    // assignee (for an organization's task, of the facilitator who assigned it) as it was then.
    // The date is the one that instant ends in the assignee's or else the creator's zone as it is
    // now (day_ending_at, registered by `migrate`); when neither explains it, the person moved
    // since, and the date is the one that instant ends in any zone from UTC-12 to UTC+11:59.
    {8, R"sql(
UPDATE tasks SET due = COALESCE(
    day_ending_at(due, (SELECT time_zone FROM people WHERE id = tasks.assignee_person)),
    day_ending_at(due, (SELECT time_zone FROM people WHERE id = tasks.created_by)),
    (due - 43200) / 86400)
  WHERE due IS NOT NULL;
ALTER TABLE tasks RENAME COLUMN due TO due_day;  -- days since 1970-01-01, as calendar_events.day
)sql"},
    // A read-only command (`status`, `tasks`...) shows presence but is no response
    // (core note_activity::presence_only): reports and digests do not count it. Rows recorded
    // before this migration all count, as they did. A removed calendar event stays, marked.
    {9, R"sql(
ALTER TABLE responses ADD COLUMN presence_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calendar_events ADD COLUMN removed_at INTEGER;  -- `event remove`: kept for its number
)sql"},
    // The web dashboard: sign-in links and sessions, each kept by the SHA-256 of its secret
    // (never the secret itself), and where an audited command came from.
    {10, R"sql(
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
)sql"},
    // Retention (`store.keep_text`): the responses whose text is still kept, by when they came,
    // so that forgetting old text finds them without reading every response.
    {11, R"sql(
CREATE INDEX responses_with_text ON responses (at) WHERE text <> '';
)sql"},
    // Counted responses per person of each UTC month that has ended, counted once after it ended
    // (store::count_ended_months), so that loading the world counts only the months still going
    // (issue 21: start-up follows the work, not the history). Months up to the one named by the
    // setting `responses.counted_before` are in it.
    {12, R"sql(
CREATE TABLE response_months (
  person TEXT NOT NULL,
  month TEXT NOT NULL,  -- UTC, "2026-11"
  responses INTEGER NOT NULL,
  PRIMARY KEY (person, month)
) STRICT, WITHOUT ROWID;
)sql"},
    // The audit log read by parts (issue 21: start-up follows the work, not the history): the
    // world loads the lines of the last weeks (by time) and those that date an organization's
    // start (by action); the dashboard pages through one collaboration's lines, newest first.
    {13, R"sql(
CREATE INDEX audit_by_time ON audit (at);
CREATE INDEX audit_by_action ON audit (action, at);
CREATE INDEX audit_by_collaboration ON audit (collaboration, id);
)sql"},
});
static_assert(numbered_from(1, migrations));

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

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

}  // namespace

int latest_schema_version() noexcept { return static_cast<int>(migrations.size()); }

void migrate(SQLite::Database& db) {
  const int latest = latest_schema_version();
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
    db.exec(migrations.at(static_cast<std::size_t>(version)).sql);
    // PRAGMA takes no bound parameters; the value is a number computed here, not outside input.
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    transaction.commit();
  }
}

}  // namespace tandem::sqlite_detail
