#!/usr/bin/env python3
"""End to end through the real binary: an approval round and a handover in a console session.

On the demo config the facilitator opens a round to the city and the farmers; the city's
representative acknowledges, checks in internally and approves; the farmers' representative objects;
a participant's answer is refused; the facilitator reads the grid, closes the round (majority: not
approved) and hands the city over to a successor, who gets the onboarding digest. The printed
messages and the rows in the SQLite file are checked.
Usage: approval_console_test.py TANDEM_BINARY REPO_ROOT
"""
import pathlib
import sqlite3
import subprocess
import sys
import tempfile

from e2e import check, demo_config, finish

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])


with tempfile.TemporaryDirectory() as folder:
    config = demo_config(root, pathlib.Path(folder), any_hour=True)
    lines = [
        'approval open "Spring campaign budget" to org:city,org:farmers rule majority deadline 2099-01-15',
        "/as carla",
        "ack A1",
        "checking A1 until 2099-01-10",
        "/as farid",
        "object A1",
        "object A1 too early for us",
        "/as emma",
        "approve A1",
        "/as carla",
        "approve A1 the council agreed",
        "/as ana",
        "approval status A1",
        "approval close A1",
        "handover org:city @carla @emma",
    ]
    result = subprocess.run([binary, "console", "--config", str(config), "--as", "ana"],
                            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=30)
    out = result.stdout
    print(out)
    if result.stderr:
        print("stderr:", result.stderr)
    check(result.returncode == 0, "the console exits 0 at the end of its input")
    check('Approval round A1 "Spring campaign budget" is open: I asked City of Millbrook, Valley Farmers '
          'Cooperative (2) to answer by 2099-01-15, rule majority.' in out, "the facilitator is told the round is open")
    check("tandem -> carla: Hi Carla Reyes, Ana Lima asks City of Millbrook to answer approval round A1" in out,
          "the city's representative gets the request in a DM")
    check("tandem -> farid: Hi Farid" in out, "the farmers' representative gets the request")
    check('Noted: City of Millbrook has seen A1 "Spring campaign budget".' in out, "ack is confirmed")
    check('Noted: City of Millbrook is checking A1 "Spring campaign budget" internally, answer expected by '
          '2099-01-10.' in out, "checking with a date is confirmed")
    check("<reason>" in out, "an objection without a reason is refused and shows the form")
    check('Recorded: Valley Farmers Cooperative objects to A1 "Spring campaign budget": too early for us.' in out,
          "the objection is recorded with its reason")
    check("Sorry, `approve` is for organization representatives only." in out, "a participant's answer is refused")
    check('tandem -> ana: Carla' in out and 'answered A1 "Spring campaign budget" for City of Millbrook: approves '
          '(the council agreed).' in out, "the opener hears of the city's answer")
    check("- City of Millbrook: approves (Carla" in out, "the grid shows the city's answer and who gave it")
    check("- Valley Farmers Cooperative: objects (Farid" in out, "the grid shows the farmers' objection")
    check('Approval round A1 "Spring campaign budget" is closed: not approved (rule majority; 1 approve, 0 abstain, '
          '1 object, 0 without an answer).' in out, "closing announces the result by the majority rule")
    check("Done: Emma Schulz now represents City of Millbrook in place of Carla" in out, "the handover is confirmed")
    check("tandem -> emma: Welcome Emma Schulz!" in out and "A1 Spring campaign budget: not approved" in out,
          "the successor gets the onboarding digest with the decision")

    db = sqlite3.connect(pathlib.Path(folder) / "tandem.db")
    round_row = db.execute("select title, rule, closed_by, approved from approval_rounds where number = 1").fetchone()
    check(round_row == ("Spring campaign budget", "majority", "ana", 0), f"the round is stored closed: {round_row}")
    answers = db.execute("select organization, state, answered_by, note from approval_answers where round = 1"
                         " order by position").fetchall()
    check(answers == [("city", "approved", "carla", "the council agreed"),
                      ("farmers", "objected", "farid", "too early for us")], f"the answers are stored: {answers}")
    actions = [row[0] for row in db.execute("select action from audit where actor != 'config' order by id")]
    check(actions == ["approval.open", "approval.ack", "approval.checking", "approval.object", "approval.approve",
                      "approval.close", "member.handover"], f"every step is in the audit log: {actions}")
    roles = db.execute("select person, roles, active from memberships where organization = 'city'"
                       " and person in ('carla', 'emma') order by person").fetchall()
    check(roles == [("carla", "representative", 0), ("emma", "representative", 1)],
          f"the successor holds the role, the predecessor is former: {roles}")
    states = dict(db.execute("select state, count(*) from outbox group by state").fetchall())
    check(list(states) == ["sent"], f"every message went through the outbox and was sent: {states}")
    db.close()

finish()
