#!/usr/bin/env python3
"""End to end through the real binary: the people commands of issue 19 on the demo config.

Ana lists the members and broadcasts to the room and to the representatives; a new member is
welcomed in a DM; Carla adds an event, moves it, and only she or a facilitator may remove it;
Carla sees her organization's open rounds with `approvals`; closing a round some organization
has not answered needs `confirm`. Bad input gets clear errors. The SQLite file has the audit
lines, and the read-only commands are recorded as presence only.
Usage: people_console_test.py TANDEM_BINARY REPO_ROOT
"""
import pathlib
import re
import sqlite3
import sys
import tempfile

from e2e import check, demo_config, finish, run_console

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])


with tempfile.TemporaryDirectory() as folder:
    config = demo_config(root, pathlib.Path(folder), any_hour=True)

    run = run_console(binary, config, "ana", [
        "members org:city",
        "members org:nowhere",
        'broadcast "Kick-off moved to 10:00"',
        'broadcast "Reps: budget call on Friday" to reps',
        'broadcast "Hi" to org:nowhere',
        "broadcast Hi everyone",
        'member add @zoe org:city rep name "Zoe Adams"',
        "/as carla",
        'event add in 2w "Open day" #newsletter',
        "event move E1 in 3w",
        "/as emma",
        "event remove E1",
        "/as ana",
        "event remove E1",
        "event remove E9",
        "event move E1 someday",
        'approval open "Budget" to org:city,org:farmers',
        "/as carla",
        "approve A1 fine by us",
        "approvals",
        "/as emma",
        "approvals",
        "/as ana",
        "approval close A1",
        "approval close A1 confirm",
    ])
    out = run.stdout
    check(run.returncode == 0, "the console exits 0 at the end of its input")
    check("tandem: 3 members of City of Millbrook:" in out, "members of one organization are counted")
    check("- Carla Reyes (City of Millbrook): representative, tier `active`" in out,
          "members shows role and tier")
    check("There is no organization `nowhere` here." in out, "an unknown organization is named")
    check(re.search(r"tandem: Message from Ana Lima to River Restoration Alliance:\n\s+Kick-off moved to 10:00", out),
          "a broadcast without recipients goes to the room")
    check("tandem: Sent to 1 room." in out, "the facilitator is told where it went")
    check(re.search(r"tandem -> carla: Message from Ana Lima to River Restoration Alliance:\n\s+Reps: budget call", out),
          "a broadcast to the representatives is a DM to each")
    check("tandem -> emma: Message from Ana Lima" not in out, "a participant gets no representatives' broadcast")
    check("Sent to 4 people, each at the first hour they allow." in out, "the four representatives are counted")
    check("Put a text in double quotes." in out, "a broadcast without quotes gets a clear error")
    check("tandem: Added Zoe Adams: representative for City of Millbrook, tier active." in out,
          "member add takes a full name")
    check("tandem -> zoe: Hello Zoe Adams, welcome to River Restoration Alliance" in out,
          "the new member is welcomed in a DM")
    check("Type `help` to see everything I can do." in out, "the welcome ends with help")
    check('Moved E1 "Open day" from ' in out, "the one who added an event moves it")
    check("Only Carla Reyes, who added E1, or a facilitator may change it." in out,
          "someone else may not remove it")
    check('tandem: Removed E1 "Open day"' in out, "a facilitator removes it")
    check("There is no event E9 here." in out, "an unknown event is named")
    check("`someday` is not a date I understand." in out, "a bad date is refused")
    check(re.search(r"Open approval rounds for City of Millbrook:\n\s+- A1 Budget, deadline [0-9-]+: "
                    r"approved by Carla Reyes: fine by us", out),
          "approvals shows the organization's answer so far")
    check("Sorry, `approvals` is for organization representatives only." in out,
          "a participant may not run approvals")
    check('A1 "Budget" still waits for 1 organization: Valley Farmers Cooperative. '
          "To close it anyway, write `approval close A1 confirm`." in out,
          "closing a round with an organization unanswered asks for confirmation")
    check('Approval round A1 "Budget" is closed' in out, "confirm closes it")

    db = sqlite3.connect(pathlib.Path(folder) / "tandem.db")
    actions = [row[0] for row in db.execute("select action from audit where actor != 'config' order by id")]
    for action in ("broadcast", "member.add", "event.add", "event.move", "event.remove", "approval.close"):
        check(action in actions, f"the audit log has {action}: {actions}")
    removed = db.execute("select removed_at is not null from calendar_events where number = 1").fetchone()
    check(removed == (1,), f"a removed event stays, marked, so that its number is not reused: {removed}")
    presence = db.execute("select count(*) from responses where presence_only = 1").fetchone()[0]
    check(presence == 4, f"members (twice) and approvals (twice) are recorded as presence only: {presence}")
    people = dict(db.execute("select id, name from people where id = 'zoe'").fetchall())
    check(people == {"zoe": "Zoe Adams"}, f"the new member is stored with the full name: {people}")
    db.close()

finish()
