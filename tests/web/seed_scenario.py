#!/usr/bin/env python3
"""Gives the dashboard test's store the history a real installation would have, which commands
typed now cannot give: what happened days and weeks ago.

Usage: seed_scenario.py STORE_DB

The store must exist (`tandem console` started once on the scenario config, with its commands:
tasks 1-4, approval round A1, two events) and Tandem must not be running. Everything written here
is something the engine itself writes, only dated in the past; `now` is the clock at seeding.

- The installation started 60 days ago: `engine.first_tick` and the audit lines that added the
  config's organizations and people (`config.add`) are moved back, so that reports count those
  organizations from then on.
- Answers (the `responses` table, as the console adapter records them, already handled): everyone
  who is not silent answered within the last two days of this month (never before this month's
  first second), Emma and Bruno before this month's nudge only; Farid and Hugo (the farmers apart
  from Grace, an observer who is never nudged nor silent) last answered before this month, at
  least 20 days ago.
- This month's nudges (`nudge_log`): one to each member whose tier is nudged; answered by Ana,
  Ben, Carla, Dev and Iris, not by Emma, Farid, Hugo and Bruno. Carla and Iris also wrote in the
  collaboration's room since (so its rooms are not in a lull). Response rates this month:
  backbone 2/2, city 2/3, farmers 0/2, schools 1/2. The next nudge of everyone is a week away
  (`engagements.next_nudge`), so that none goes out while the test runs.
- The farmers' silence: Farid and Hugo were flagged (`silences`, person, episode 1) when their
  tier's 14 days without an answer ran out, and told then; the organization, all of whose people
  that tiers watch are silent, was flagged at the same moment and the facilitators told.
- Task 1 (Emma's newsletter) was created 10 days ago and was due 3 days ago: it is overdue.
"""
import calendar
import os
import sqlite3
import sys
import time

DAY = 86400
COLLABORATION = "river"

store = sys.argv[1]
if not os.path.exists(store):
    sys.exit(f"seed_scenario: no store at {store}")
now = int(time.time())
today = now // DAY  # days since 1970-01-01, UTC
year, month = time.gmtime(now)[:2]
month_start = calendar.timegm((year, month, 1, 0, 0, 0))
# This month's recent past: the last two days, or since the first of the month when that is nearer.
window_start = max(month_start, now - 2 * DAY)


def in_window(fraction):
    """An instant of this month's recent past: 0 is its start, 1 is now."""
    return window_start + int((now - window_start) * fraction)


db = sqlite3.connect(store)
db.execute("PRAGMA foreign_keys = ON")
counter = 0


def answer(person, at, in_room=False):
    """One handled response of `person` on the console at `at`: in a DM to Tandem, or in the
    collaboration's room (whose text is not kept: record_full_text is false)."""
    global counter
    counter += 1
    conversation, direct, text = ("river-room", 0, "") if in_room else (f"console:dm:{person}", 1, "(an answer)")
    db.execute(
        "INSERT INTO responses (dedup_key, platform, workspace, user, conversation, direct, addressed, kind, text,"
        " at, handled, recorded_at, presence_only) VALUES (?, 'console', '', ?, ?, ?, ?, 'message', ?, ?, 1, ?, 0)",
        (f"seed:{counter}", person, conversation, direct, direct, text, at, at))


with db:
    started = now - 60 * DAY
    db.execute("UPDATE settings SET value = ? WHERE key = 'engine.first_tick'", (str(started),))
    db.execute("UPDATE audit SET at = ? WHERE action = 'config.add'", (started,))

    nudged = {  # person: answered this month's nudge
        "ana": True, "ben": True, "carla": True, "dev": True, "iris": True,
        "emma": False, "bruno": False, "farid": False, "hugo": False,
    }
    nudge_sent = in_window(0.2)
    for person, answered in nudged.items():
        answered_at = in_window(0.6) if answered else None
        db.execute("INSERT INTO nudge_log (collaboration, person, sent, answered) VALUES (?, ?, ?, ?)",
                   (COLLABORATION, person, nudge_sent, answered_at))
        if answered:
            answer(person, answered_at)
    for person in ("emma", "bruno"):
        answer(person, in_window(0.1))
    answer("carla", in_window(0.7), in_room=True)
    answer("iris", in_window(0.8), in_room=True)
    db.execute("UPDATE engagements SET next_nudge = ? WHERE next_nudge IS NOT NULL", (now + 7 * DAY,))

    silence_after = 14 * DAY  # the `active` tier's
    last_heard = min(month_start - 3600, now - 20 * DAY)
    for person in ("farid", "hugo"):
        answer(person, last_heard - 7 * DAY)
        answer(person, last_heard)
    flagged = last_heard + silence_after
    for subject, subject_id in (("person", "farid"), ("person", "hugo"), ("organization", "farmers")):
        told = flagged if subject == "person" else None
        db.execute(
            "INSERT INTO silences (collaboration, subject, subject_id, episode, since, last_heard, ended, told_person,"
            " in_digest, told_alternate) VALUES (?, ?, ?, 1, ?, ?, NULL, ?, NULL, NULL)",
            (COLLABORATION, subject, subject_id, flagged, last_heard, told))
    db.execute("INSERT INTO audit (at, collaboration, actor, action, detail) VALUES (?, ?, 'system', ?, ?)",
               (flagged, COLLABORATION, "silence.person", "farid silent for 14 days"))
    db.execute("INSERT INTO audit (at, collaboration, actor, action, detail) VALUES (?, ?, 'system', ?, ?)",
               (flagged, COLLABORATION, "silence.person", "hugo silent for 14 days"))
    db.execute("INSERT INTO audit (at, collaboration, actor, action, detail) VALUES (?, ?, 'system', ?, ?)",
               (flagged, COLLABORATION, "silence.organization", "farmers"))

    created = now - 10 * DAY
    changed = db.execute("UPDATE tasks SET due_day = ?, created_at = ?, updated_at = ? WHERE number = 1",
                         (today - 3, created, created)).rowcount
    if changed != 1:
        sys.exit("seed_scenario: the store has no task 1 (did the first start run its commands?)")
    db.execute("UPDATE task_updates SET at = ? WHERE task = 1", (created,))
    db.execute("UPDATE audit SET at = ? WHERE action = 'task.assign' AND detail LIKE '#1 %'", (created,))

print(f"seed_scenario: {counter} answers, {len(nudged)} nudges, 3 silences, task 1 due {today - 3} (days)")
