#include "storage/sql/sql_action_writer.h"

#include "core/approvals.h"
#include "storage/sql/sql_column_text.h"

#include <cstdint>
#include <optional>
#include <string>

namespace tandem::sql {

write_scope::write_scope(connection& db) : db_(db), nested_(db.in_transaction()) {
  if (nested_) {
    execute(db_, "SAVEPOINT write_scope");
  } else {
    db_.begin();
  }
}

write_scope::~write_scope() {
  if (done_) return;
  try {
    if (nested_) {
      execute(db_, "ROLLBACK TO write_scope");
      execute(db_, "RELEASE write_scope");
    } else {
      execute(db_, "ROLLBACK");
    }
  } catch (const store_error&) {  // a destructor must not throw; the database rolls back on its own
  }
}

void write_scope::commit() {
  execute(db_, nested_ ? "RELEASE write_scope" : "COMMIT");
  done_ = true;
}

void action_writer::operator()(const send_message& m) const {
  execute(db_,
          "INSERT INTO outbox (key, platform, workspace, conversation, \"user\", person, language, reply_handle, kind,"
          " values_json, about_json, not_before, state, attempts, next_attempt, last_error)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', 0, $13, '')"
          " ON CONFLICT (key) DO NOTHING",
          m.key, m.to.platform, m.to.workspace, m.to.conversation, m.to.user, m.to.person, m.to.language,
          m.to.reply_handle, m.body.kind, json_text(m.body.values), json_text(subject_to_json(m.about)), m.not_before,
          m.not_before);
}

void action_writer::operator()(const save_collaboration& a) const {
  const collaboration& c = a.value;
  execute(db_,
          "INSERT INTO collaborations (id, name, record_full_text, rooms) VALUES ($1, $2, $3, $4)"
          " ON CONFLICT (id) DO UPDATE SET name = excluded.name, record_full_text = excluded.record_full_text,"
          " rooms = excluded.rooms",
          c.id, c.name, c.record_full_text, rooms_text(c.rooms));
}

void action_writer::operator()(const save_organization& a) const {
  const organization& o = a.value;
  execute(db_,
          "INSERT INTO organizations (collaboration, id, name) VALUES ($1, $2, $3)"
          " ON CONFLICT (collaboration, id) DO UPDATE SET name = excluded.name",
          o.collaboration, o.id, o.name);
}

void action_writer::operator()(const save_person& a) const {
  const person& p = a.value;
  const auto quiet_start = p.quiet ? std::optional<std::int64_t>{p.quiet->start_minute} : std::nullopt;
  const auto quiet_end = p.quiet ? std::optional<std::int64_t>{p.quiet->end_minute} : std::nullopt;
  // An upsert, not INSERT OR REPLACE: replacing would delete the row and cascade to identities.
  execute(db_,
          "INSERT INTO people (id, name, time_zone, language, quiet_start, quiet_end, paused_until, time_zone_origin)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
          " ON CONFLICT (id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone,"
          " language = excluded.language, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,"
          " paused_until = excluded.paused_until, time_zone_origin = excluded.time_zone_origin",
          p.id, p.name, p.time_zone, p.language, quiet_start, quiet_end, p.paused_until, to_string(p.time_zone_origin));
  execute(db_, "DELETE FROM identities WHERE person = $1", p.id);
  std::int64_t position = 0;
  for (const identity& i : p.identities) {
    query(
        db_, "SELECT person FROM identities WHERE platform = $1 AND workspace = $2 AND \"user\" = $3",
        [&](const row& owner) {
          throw store_error("identity " + i.platform + "/" + i.workspace + "/" + i.user + " of person '" + p.id +
                            "' already belongs to person '" + owner.text(0) + "'");
        },
        i.platform, i.workspace, i.user);
    execute(db_, "INSERT INTO identities (platform, workspace, \"user\", person, position) VALUES ($1, $2, $3, $4, $5)",
            i.platform, i.workspace, i.user, p.id, position++);
  }
}

void action_writer::operator()(const learn_time_zone& a) const {
  // The condition repeats the core's: a zone someone gave is never replaced, even by a bug.
  execute(
      db_,
      "UPDATE people SET time_zone = $1, time_zone_origin = 'learned' WHERE id = $2 AND time_zone_origin = 'default'",
      a.zone, a.person);
}

void action_writer::operator()(const save_membership& a) const {
  const membership& m = a.value;
  execute(db_,
          "INSERT INTO memberships (collaboration, person, organization, roles, tier, active)"
          " VALUES ($1, $2, $3, $4, $5, $6)"
          " ON CONFLICT (collaboration, person) DO UPDATE SET organization = excluded.organization,"
          " roles = excluded.roles, tier = excluded.tier, active = excluded.active",
          m.collaboration, m.person, m.organization, roles_text(m.roles), to_string(m.tier), m.active);
}

void action_writer::operator()(const save_tier_policy& a) const {
  execute(db_,
          "INSERT INTO tier_policies (tier, schedule, silence_after_s, recently_active_s) VALUES ($1, $2, $3, $4)"
          " ON CONFLICT (tier) DO UPDATE SET schedule = excluded.schedule,"
          " silence_after_s = excluded.silence_after_s, recently_active_s = excluded.recently_active_s",
          to_string(a.which), a.value.schedule, static_cast<std::int64_t>(a.value.silence_after.count()),
          static_cast<std::int64_t>(a.value.recently_active.count()));
}

void action_writer::operator()(const save_task& a) const {
  const task& t = a.value;
  const auto due_day = t.due ? std::optional<std::int64_t>{t.due->time_since_epoch().count()} : std::nullopt;
  execute(
      db_,
      "INSERT INTO tasks (number, collaboration, title, assignee_person, assignee_organization, due_day, status,"
      " note, created_by, created_at, updated_at, reminded_before, reminded_on_due, escalated)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
      " ON CONFLICT (number) DO UPDATE SET collaboration = excluded.collaboration, title = excluded.title,"
      " assignee_person = excluded.assignee_person, assignee_organization = excluded.assignee_organization,"
      " due_day = excluded.due_day, status = excluded.status, note = excluded.note, created_by = excluded.created_by,"
      " created_at = excluded.created_at, updated_at = excluded.updated_at,"
      " reminded_before = excluded.reminded_before, reminded_on_due = excluded.reminded_on_due,"
      " escalated = excluded.escalated",
      t.number, t.collaboration, t.title, t.assignee_person, t.assignee_organization, due_day, to_string(t.status),
      t.note, t.created_by, t.created_at, t.updated_at, t.reminded_before, t.reminded_on_due, t.escalated);
}

void action_writer::operator()(const save_engagement& a) const {
  const engagement& e = a.value;
  execute(db_,
          "INSERT INTO engagements (collaboration, person, next_nudge, held_nudge, next_digest, last_digest)"
          " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (collaboration, person) DO UPDATE SET"
          " next_nudge = excluded.next_nudge, held_nudge = excluded.held_nudge,"
          " next_digest = excluded.next_digest, last_digest = excluded.last_digest",
          e.collaboration, e.person, e.next_nudge, e.held_nudge, e.next_digest, e.last_digest);
}

void action_writer::operator()(const save_silence& a) const {
  const silence& s = a.value;
  execute(db_,
          "INSERT INTO silences (collaboration, subject, subject_id, episode, since, last_heard, ended, told_person,"
          " in_digest, told_alternate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
          " ON CONFLICT (collaboration, subject, subject_id, episode) DO UPDATE SET since = excluded.since,"
          " last_heard = excluded.last_heard, ended = excluded.ended, told_person = excluded.told_person,"
          " in_digest = excluded.in_digest, told_alternate = excluded.told_alternate",
          s.collaboration, to_string(s.subject), s.id, std::int64_t{s.episode}, s.since, s.last_heard, s.ended,
          s.told_person, s.in_digest, s.told_alternate);
}

void action_writer::operator()(const record_tick& t) const {
  execute(db_, "INSERT INTO settings (key, value) VALUES ('engine.first_tick', $1) ON CONFLICT (key) DO NOTHING",
          std::to_string(t.at.time_since_epoch().count()));
  execute(db_,
          "INSERT INTO settings (key, value) VALUES ('engine.last_tick', $1)"
          " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          std::to_string(t.at.time_since_epoch().count()));
}

void action_writer::operator()(const record_task_update& u) const {
  execute(db_, "INSERT INTO task_updates (task, status, note, author, at) VALUES ($1, $2, $3, $4, $5)", u.task,
          to_string(u.status), u.note, u.by, u.at);
}

void action_writer::operator()(const record_audit& a) const {
  const audit_entry& e = a.value;
  execute(db_, "INSERT INTO audit (at, collaboration, actor, action, detail, via) VALUES ($1, $2, $3, $4, $5, $6)",
          e.at, e.collaboration, e.actor, e.action, e.detail, e.via);
}

void action_writer::operator()(const note_activity& a) const {
  if (a.presence_only) {
    execute(db_, "UPDATE responses SET presence_only = 1 WHERE dedup_key = $1", a.response_key);
  }
  if (a.person.empty() || !a.answers_nudge) return;
  execute(db_,
          "UPDATE nudge_log SET answered = $1 WHERE person = $2 AND answered IS NULL AND sent <= $3"
          " AND sent = (SELECT MAX(sent) FROM nudge_log AS later WHERE later.collaboration = nudge_log.collaboration"
          " AND later.person = nudge_log.person)",
          a.at, a.person, a.at);
}

void action_writer::operator()(const save_event& a) const {
  const calendar_event& e = a.value;
  execute(db_,
          "INSERT INTO calendar_events (number, collaboration, organization, day, title, topics, audience, added_by,"
          " added_at, removed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (number) DO UPDATE SET"
          " collaboration = excluded.collaboration, organization = excluded.organization, day = excluded.day,"
          " title = excluded.title, topics = excluded.topics, audience = excluded.audience,"
          " added_by = excluded.added_by, added_at = excluded.added_at, removed_at = excluded.removed_at",
          e.number, e.collaboration, e.organization, std::int64_t{e.day.time_since_epoch().count()}, e.title,
          json_text(nlohmann::json(e.topics)), e.audience, e.added_by, e.added_at, e.removed_at);
}

void action_writer::operator()(const record_nudge& a) const {
  execute(db_, "INSERT INTO nudge_log (collaboration, person, sent) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
          a.collaboration, a.person, a.sent);
}

void action_writer::operator()(const save_pulse& a) const {
  const pulse_answer& p = a.value;
  execute(db_,
          "INSERT INTO pulse_answers (collaboration, month, person, organization, score, comment, at)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (collaboration, month, person) DO UPDATE SET"
          " organization = excluded.organization, score = excluded.score, comment = excluded.comment, at = excluded.at",
          p.collaboration, p.month, p.person, p.organization, std::int64_t{p.score}, p.comment, p.at);
}

void action_writer::operator()(const save_round& a) const {
  execute(db_,
          "INSERT INTO collaboration_rounds (collaboration, round, period) VALUES ($1, $2, $3)"
          " ON CONFLICT (collaboration, round) DO UPDATE SET period = excluded.period",
          a.collaboration, a.round, a.period);
}

void action_writer::operator()(const save_approval& a) const {
  const approval_round& r = a.value;
  execute(db_,
          "INSERT INTO approval_rounds (number, collaboration, title, link, rule, deadline, opened_by, opened_at,"
          " closed_at, closed_by, approved) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (number) "
          "DO UPDATE SET"
          " collaboration = excluded.collaboration, title = excluded.title, link = excluded.link, rule = excluded.rule,"
          " deadline = excluded.deadline, opened_by = excluded.opened_by, opened_at = excluded.opened_at,"
          " closed_at = excluded.closed_at, closed_by = excluded.closed_by, approved = excluded.approved",
          r.number, r.collaboration, r.title, r.link, to_string(r.rule), r.deadline, r.opened_by, r.opened_at,
          r.closed_at, r.closed_by, r.approved);
  execute(db_, "DELETE FROM approval_answers WHERE round = $1", r.number);
  std::int64_t position = 0;
  for (const approval_answer& x : r.answers) {
    execute(db_,
            "INSERT INTO approval_answers (round, position, organization, state, answered_by, answered_at, note,"
            " expected, reminded_expected, reminded_deadline, escalated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10, $11)",
            r.number, position++, x.organization, to_string(x.state), x.by, x.at, x.note, x.expected,
            x.reminded_expected, x.reminded_deadline, x.escalated);
  }
}

void action_writer::operator()(const save_sign_in& a) const {
  const sign_in_grant& g = a.value;
  execute(db_,
          "INSERT INTO dashboard_sign_ins (token_hash, person, collaboration, issued, expires, used)"
          " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (token_hash) DO UPDATE SET used = excluded.used",
          g.token_hash, g.person, g.collaboration, g.issued, g.expires, g.used);
}

void action_writer::operator()(const save_session& a) const {
  const dashboard_session& d = a.value;
  execute(db_,
          "INSERT INTO dashboard_sessions (id_hash, person, collaboration, started, last_seen, ended)"
          " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_hash) DO UPDATE SET last_seen = excluded.last_seen,"
          " ended = excluded.ended",
          d.id_hash, d.person, d.collaboration, d.started, d.last_seen, d.ended);
}

void action_writer::operator()(const issue_sign_in&) const {
  throw store_error("a sign-in link reached the store before its token was made (complete_sign_ins)");
}

void action_writer::operator()(const rotate_secret&) const {
  throw store_error("a token rotation reached the store before its token was made (complete_rotations)");
}

void action_writer::operator()(const save_secret& a) const {
  execute(db_,
          "INSERT INTO collaboration_secrets (collaboration, purpose, token) VALUES ($1, $2, $3)"
          " ON CONFLICT (collaboration, purpose) DO UPDATE SET token = excluded.token",
          a.collaboration, a.purpose, a.value);
}

}  // namespace tandem::sql
