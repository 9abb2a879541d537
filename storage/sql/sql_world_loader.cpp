#include "storage/sql/sql_world_loader.h"

#include "core/approvals.h"
#include "core/store.h"
#include "storage/sql/sql_column_text.h"
#include "storage/sql/sql_statements.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace tandem::sql {

audit_entry audit_entry_of(const row& columns) {
  row_reader row(columns);
  audit_entry e;
  e.at = row.time();
  e.collaboration = row.text();
  e.actor = row.text();
  e.action = row.text();
  e.detail = row.text();
  e.via = row.text();
  return e;
}

namespace {

void load_collaborations(connection& db, world& w) {
  query(db, "SELECT id, name, record_full_text, rooms FROM collaborations", [&](const row& columns) {
    row_reader row(columns);
    collaboration c;
    c.id = row.text();
    c.name = row.text();
    c.record_full_text = row.flag();
    c.rooms = rooms_from_text(row.text());
    w.collaborations[c.id] = std::move(c);
  });
}

void load_organizations(connection& db, world& w) {
  query(db, "SELECT collaboration, id, name FROM organizations", [&](const row& columns) {
    row_reader row(columns);
    organization o;
    o.collaboration = row.text();
    o.id = row.text();
    o.name = row.text();
    w.organizations[{o.collaboration, o.id}] = std::move(o);
  });
}

void load_people(connection& db, world& w) {
  query(db, "SELECT id, name, time_zone, language, quiet_start, quiet_end, paused_until, time_zone_origin FROM people",
        [&](const row& columns) {
          row_reader row(columns);
          person p;
          p.id = row.text();
          p.name = row.text();
          p.time_zone = row.text();
          p.language = row.text();
          const auto quiet_start = row.optional_int64();
          const auto quiet_end = row.optional_int64();
          if (quiet_start && quiet_end)
            p.quiet = quiet_hours{static_cast<int>(*quiet_start), static_cast<int>(*quiet_end)};
          p.paused_until = row.optional_time();
          const std::string origin = row.text();
          p.time_zone_origin = parsed(zone_origin_from_string(origin), "time zone origin", origin);
          w.people[p.id] = std::move(p);
        });

  query(db, "SELECT person, platform, workspace, \"user\" FROM identities ORDER BY person, position",
        [&](const row& columns) {
          row_reader row(columns);
          const std::string owner = row.text();
          auto it = w.people.find(owner);
          if (it == w.people.end()) throw store_error("an identity belongs to unknown person '" + owner + "'");
          identity i;
          i.platform = row.text();
          i.workspace = row.text();
          i.user = row.text();
          it->second.identities.push_back(std::move(i));
        });
}

void load_memberships(connection& db, world& w) {
  query(db, "SELECT collaboration, person, organization, roles, tier, active FROM memberships",
        [&](const row& columns) {
          row_reader row(columns);
          membership m;
          m.collaboration = row.text();
          m.person = row.text();
          m.organization = row.text();
          m.roles = roles_from_text(row.text());
          const std::string tier_name = row.text();
          m.tier = parsed(tier_from_string(tier_name), "tier", tier_name);
          m.active = row.flag();
          w.memberships[{m.collaboration, m.person}] = std::move(m);
        });
}

void load_tiers(connection& db, world& w) {
  query(db, "SELECT tier, schedule, silence_after_s, recently_active_s FROM tier_policies", [&](const row& columns) {
    row_reader row(columns);
    const std::string tier_name = row.text();
    tier_policy policy;
    policy.schedule = row.text();
    policy.silence_after = std::chrono::seconds{row.int64()};
    policy.recently_active = std::chrono::seconds{row.int64()};
    w.tiers[parsed(tier_from_string(tier_name), "tier", tier_name)] = std::move(policy);
  });
}

void load_tasks(connection& db, world& w) {
  query(db,
        "SELECT number, collaboration, title, assignee_person, assignee_organization, due_day, status, note, "
        "created_by, created_at, updated_at, reminded_before, reminded_on_due, escalated FROM tasks",
        [&](const row& columns) {
          row_reader row(columns);
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
        });
}

/// The lines within `audit_window` of the newest, and older ones that date an organization's
/// start, in the order they were written: each part through its own index.
void load_audit(connection& db, world& w) {
  std::int64_t newest = 0;
  query(db, "SELECT max(at) FROM audit", [&](const row& columns) {
    if (!columns.is_null(0)) newest = columns.int64(0);
  });
  const std::int64_t from = newest - std::chrono::duration_cast<std::chrono::seconds>(audit_window).count();
  query(
      db,
      "SELECT at, collaboration, actor, action, detail, via, id FROM audit WHERE at >= $1"
      " UNION ALL SELECT at, collaboration, actor, action, detail, via, id FROM audit"
      " WHERE action IN ('org.add', 'config.add') AND at < $1 ORDER BY id",
      [&](const row& columns) { w.audit.push_back(audit_entry_of(columns)); }, from);
}

/// Each person's latest responses (through any of their identities), oldest first: all of them
/// (presence included) and those that count (answers); those not handled yet join when handled.
void load_recent_responses(connection& db, world& w) {
  const auto at_of = [](const row& r) { return time_point{std::chrono::seconds{r.int64(0)}}; };
  const auto limit = static_cast<std::int64_t>(recent_response_count);
  for (const auto& [id, p] : w.people) {
    for (const identity& i : p.identities) {
      query(
          db,
          "SELECT at FROM responses WHERE platform = $1 AND workspace = $2 AND \"user\" = $3 AND handled = 1"
          " ORDER BY at DESC LIMIT $4",
          [&](const row& r) { note_presence(w, id, at_of(r)); }, i.platform, i.workspace, i.user, limit);
      query(
          db,
          "SELECT at FROM responses WHERE platform = $1 AND workspace = $2 AND \"user\" = $3 AND presence_only = 0"
          " AND handled = 1 ORDER BY at DESC LIMIT $4",
          [&](const row& r) {
            auto& recent = w.recent_answers[id];
            const time_point at = at_of(r);
            recent.insert(std::upper_bound(recent.begin(), recent.end(), at), at);
            while (recent.size() > recent_response_count) recent.pop_front();
          },
          i.platform, i.workspace, i.user, limit);
    }
  }
}

/// When each collaboration's rooms last heard a response.
void load_room_activity(connection& db, world& w) {
  for (const auto& [id, c] : w.collaborations) {
    for (const room& r : c.rooms) {
      query(
          db, "SELECT MAX(at) FROM responses WHERE platform = $1 AND workspace = $2 AND conversation = $3",
          [&](const row& latest) {
            if (latest.is_null(0)) return;
            auto& last = w.room_activity[id];
            last = std::max(last, time_point{std::chrono::seconds{latest.int64(0)}});
          },
          r.platform, r.workspace, r.id);
    }
  }
}

void load_engagements(connection& db, world& w) {
  query(db, "SELECT collaboration, person, next_nudge, held_nudge, next_digest, last_digest FROM engagements",
        [&](const row& columns) {
          row_reader row(columns);
          engagement e;
          e.collaboration = row.text();
          e.person = row.text();
          e.next_nudge = row.optional_time();
          e.held_nudge = row.optional_time();
          e.next_digest = row.optional_time();
          e.last_digest = row.optional_time();
          w.engagements[{e.collaboration, e.person}] = std::move(e);
        });
}

/// The latest episode of each subject's silences.
void load_silences(connection& db, world& w) {
  query(db,
        "SELECT collaboration, subject, subject_id, episode, since, last_heard, ended, told_person, in_digest, "
        "told_alternate FROM silences ORDER BY episode",
        [&](const row& columns) {
          row_reader row(columns);
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
        });
}

void load_calendar_and_outcomes(connection& db, world& w) {
  query(db,
        "SELECT number, collaboration, organization, day, title, topics, audience, added_by, added_at, removed_at FROM "
        "calendar_events",
        [&](const row& columns) {
          row_reader row(columns);
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
            throw store_error("corrupt topics of event E" + std::to_string(e.number) + ": " + error.what());
          }
          e.audience = row.text();
          e.added_by = row.text();
          e.added_at = row.time();
          e.removed_at = row.optional_time();
          w.events[e.number] = std::move(e);
        });
  query(db, "SELECT collaboration, person, sent, answered FROM nudge_log ORDER BY sent", [&](const row& columns) {
    row_reader row(columns);
    std::string collab = row.text();
    std::string person = row.text();
    const time_point sent = row.time();
    w.nudges[{std::move(collab), std::move(person)}].push_back(nudge_record{sent, row.optional_time()});
  });
  query(db, "SELECT collaboration, month, person, organization, score, comment, at FROM pulse_answers",
        [&](const row& columns) {
          row_reader row(columns);
          pulse_answer p;
          p.collaboration = row.text();
          p.month = row.text();
          p.person = row.text();
          p.organization = row.text();
          p.score = row.int32();
          p.comment = row.text();
          p.at = row.time();
          w.pulses[{p.collaboration, p.month, p.person}] = std::move(p);
        });
  query(db, "SELECT collaboration, round, period FROM collaboration_rounds", [&](const row& columns) {
    row_reader row(columns);
    std::string collab = row.text();
    std::string round = row.text();
    w.rounds[{std::move(collab), std::move(round)}] = row.text();
  });
  query(db, "SELECT collaboration, purpose, token FROM collaboration_secrets", [&](const row& columns) {
    row_reader row(columns);
    std::string collab = row.text();
    std::string purpose = row.text();
    w.secrets[{std::move(collab), std::move(purpose)}] = row.text();
  });
  // Dashboard links not used yet and sessions not ended (expired ones are refused by the core).
  query(db,
        "SELECT token_hash, person, collaboration, issued, expires, used FROM dashboard_sign_ins WHERE used IS NULL",
        [&](const row& columns) {
          row_reader row(columns);
          sign_in_grant g;
          g.token_hash = row.text();
          g.person = row.text();
          g.collaboration = row.text();
          g.issued = row.time();
          g.expires = row.time();
          g.used = row.optional_time();
          w.sign_ins[g.token_hash] = g;
        });
  query(db,
        "SELECT id_hash, person, collaboration, started, last_seen, ended FROM dashboard_sessions WHERE ended IS NULL",
        [&](const row& columns) {
          row_reader row(columns);
          dashboard_session d;
          d.id_hash = row.text();
          d.person = row.text();
          d.collaboration = row.text();
          d.started = row.time();
          d.last_seen = row.time();
          d.ended = row.optional_time();
          w.sessions[d.id_hash] = d;
        });
  // Responses per person and UTC month: the months counted once they ended (response_months),
  // then the responses since, through any of the person's identities, counted here. Start-up
  // reads a month or two of responses, however many years the store holds. A response not handled
  // yet (a follower's, or one a crash left) is counted when the core handles it, not here.
  w.monthly_responses.clear();
  query(db, "SELECT person, month, responses FROM response_months", [&](const row& columns) {
    row_reader row(columns);
    std::string person = row.text();
    std::string month = row.text();
    w.monthly_responses[person][month] = static_cast<int>(row.int64());
  });
  std::int64_t counted_until = 0;  // the first second not counted in response_months
  query(
      db, "SELECT value FROM settings WHERE key = $1",
      [&](const row& r) {
        counted_until = std::chrono::duration_cast<std::chrono::seconds>(start_of_counted_month(r.text(0)).time_since_epoch())
                            .count();
      },
      counted_months_setting);
  // The backends name a UTC month differently; the rest of the statement is the same.
  const char* months_sql =
      db.dialect() == dialect::sqlite
          ? "SELECT strftime('%Y-%m', at, 'unixepoch'), COUNT(*) FROM responses"
            " WHERE platform = $1 AND workspace = $2 AND \"user\" = $3 AND presence_only = 0 AND handled = 1"
            " AND at >= $4 GROUP BY 1"
          : "SELECT to_char(to_timestamp(at) AT TIME ZONE 'UTC', 'YYYY-MM'), COUNT(*) FROM responses"
            " WHERE platform = $1 AND workspace = $2 AND \"user\" = $3 AND presence_only = 0 AND handled = 1"
            " AND at >= $4 GROUP BY 1";
  for (const auto& [id, p] : w.people) {
    for (const identity& i : p.identities) {
      query(
          db, months_sql,
          [&](const row& month) { w.monthly_responses[id][month.text(0)] += static_cast<int>(month.int64(1)); },
          i.platform, i.workspace, i.user, counted_until);
    }
  }
}

void load_approvals(connection& db, world& w) {
  query(db,
        "SELECT number, collaboration, title, link, rule, deadline, opened_by, opened_at, closed_at, closed_by, "
        "approved FROM approval_rounds",
        [&](const row& columns) {
          row_reader row(columns);
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
        });
  query(db,
        "SELECT round, organization, state, answered_by, answered_at, note, expected, reminded_expected, "
        "reminded_deadline, escalated FROM approval_answers ORDER BY round, position",
        [&](const row& columns) {
          row_reader row(columns);
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
            throw store_error("an answer to unknown approval round A" + std::to_string(number));
          round->second.answers.push_back(std::move(x));
        });
}

void load_ticks(connection& db, world& w) {
  query(db, "SELECT key, value FROM settings WHERE key IN ('engine.first_tick', 'engine.last_tick')",
        [&](const row& r) {
          const time_point at{std::chrono::seconds{std::stoll(r.text(1))}};
          (r.text(0) == "engine.first_tick" ? w.first_tick : w.last_tick) = at;
        });
}

}  // namespace

time_point start_of_counted_month(std::string_view value) {
  try {
    return start_of_month(value);
  } catch (const std::invalid_argument&) {
    throw store_error("the setting " + std::string{counted_months_setting} + " is not a month (\"" +
                      std::string{value} + "\", expected like \"2026-11\")");
  }
}

world load_world(connection& db) {
  // One read transaction, so that the world is a single snapshot.
  db.begin_snapshot();
  world w;
  try {
    load_collaborations(db, w);
    load_organizations(db, w);
    load_people(db, w);
    load_memberships(db, w);
    load_tiers(db, w);
    load_tasks(db, w);
    load_audit(db, w);
    load_recent_responses(db, w);
    load_room_activity(db, w);
    load_engagements(db, w);
    load_silences(db, w);
    load_ticks(db, w);
    load_calendar_and_outcomes(db, w);
    load_approvals(db, w);
  } catch (const store_error&) {
    roll_back(db);
    throw;
  }
  execute(db, "COMMIT");
  return w;
}

}  // namespace tandem::sql
