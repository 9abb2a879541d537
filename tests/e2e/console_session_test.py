#!/usr/bin/env python3
"""End to end through the real binary: a console session on the demo config.

The facilitator assigns a task, the participant lists and finishes it; the printed replies and
the rows in the SQLite file are checked; a second run sees the same state and answers nothing twice.
Usage: console_session_test.py TANDEM_BINARY REPO_ROOT
"""
import pathlib
import sqlite3
import subprocess
import sys
import tempfile

from e2e import check, demo_config, finish, run_console

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])


with tempfile.TemporaryDirectory() as folder:
    demo = (root / "deploy" / "demo.yaml").read_text()
    check("listen: 127.0.0.1:8080" in demo, "the demo config listens on 127.0.0.1:8080")
    config = demo_config(root, pathlib.Path(folder), any_hour=True)

    first = run_console(binary, config, "ana", [
        'assign @emma "Print the flyers" due 2099-01-02',
        "/as emma",
        "tasks",
        "done 1 shipped",
        "frobnicate",
        "/as ana",
        "status",
    ])
    out = first.stdout
    check(first.returncode == 0, "the console exits 0 at the end of its input")
    check('tandem: Task #1 "Print the flyers" assigned to Emma Schulz, due 2099-01-02.' in out,
          "the facilitator is told the task was assigned")
    check("tandem -> emma: Ana Lima gave you a new task: #1 Print the flyers (due 2099-01-02)." in out,
          "the assignee's notice is shown with its recipient")
    check("(now typing as emma)" in out, "/as switches the person typing")
    check("- #1 Print the flyers (due 2099-01-02)" in out, "tasks lists the new task")
    check('tandem: Done: task #1 "Print the flyers". Thank you!' in out, "done is confirmed")
    check('tandem -> ana: Emma Schulz finished task #1 "Print the flyers": shipped' in out,
          "the facilitator hears that the task is done")
    check("I don't know the command `frobnicate`." in out, "an unknown command gets a clear error")
    check("River Restoration Alliance: 0 open tasks (0 overdue, 0 blocked), 1 done." in out, "status counts the done task")

    db = sqlite3.connect(pathlib.Path(folder) / "tandem.db")
    task = db.execute("select title, assignee_person, status, note from tasks where number = 1").fetchone()
    check(task == ("Print the flyers", "emma", "done", "shipped"), f"the task row is stored as done: {task}")
    responses = db.execute("select count(*), sum(handled) from responses").fetchone()
    check(responses == (5, 5), f"every typed command is recorded and handled: {responses}")
    states = dict(db.execute("select state, count(*) from outbox group by state").fetchall())
    check(states == {"sent": 7}, f"every reply and notice went through the outbox and was sent: {states}")
    actions = [row[0] for row in db.execute("select action from audit where actor != 'config' order by id")]
    check(actions == ["task.assign", "task.done"], f"the audit log has the assignment and the completion: {actions}")
    people = db.execute("select count(*) from people").fetchone()[0]
    check(people == 8, f"the demo's people were seeded into the store: {people}")
    db.close()

    second = run_console(binary, config, "emma", ["tasks"])
    check("You have no open tasks. Nice work!" in second.stdout, "a restart keeps the done task done")
    check(second.stdout.count("tandem:") == 1, "a restart answers only the new command")
    db = sqlite3.connect(pathlib.Path(folder) / "tandem.db")
    check(db.execute("select count(*) from outbox").fetchone()[0] == 8, "a restart sends nothing twice")
    check(db.execute("select count(*) from people").fetchone()[0] == 8, "a restart seeds nothing twice")
    db.close()

    unknown = subprocess.run([binary, "console", "--config", str(config), "--as", "nobody"],
                             input="", capture_output=True, text=True, timeout=30)
    check(unknown.returncode == 2 and "--as nobody: no such person" in unknown.stderr,
          "an unknown --as person is refused with a clear error")

    valid = subprocess.run([binary, "check-config", str(config)], capture_output=True, text=True, timeout=30)
    check(valid.returncode == 0 and "ok (collaborations: 1, organizations: 3, people: 8)" in valid.stdout,
          f"check-config accepts the demo config: {valid.stdout.strip()}")
    broken = pathlib.Path(folder) / "broken.yaml"
    broken.write_text(demo.replace("tz: Europe/London", "tz: Europe/Londn", 1))
    invalid = subprocess.run([binary, "check-config", str(broken)], capture_output=True, text=True, timeout=30)
    check(invalid.returncode == 1 and
          'collaborations[0].people[1].tz: unknown time zone "Europe/Londn"' in invalid.stdout,
          f"check-config names the broken entry by its path: {invalid.stdout.strip()}")

finish()
