#!/usr/bin/env python3
"""End to end through the real binary: a facilitator manages tasks on the console (issue 19).

`tasks all`, `due`, `reassign`, `cancel`; a done task refuses progress until `reopen`; a blank
title is refused; a due date reads the same after the assignee and the reader change zones. The printed replies and
the rows in the SQLite file are checked.
Usage: task_console_test.py TANDEM_BINARY REPO_ROOT
"""
import datetime
import pathlib
import sqlite3
import sys
import tempfile

from e2e import check, demo_config, finish, run_console

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])


with tempfile.TemporaryDirectory() as folder:
    config = demo_config(root, pathlib.Path(folder), any_hour=True)

    session = run_console(binary, config, "ana", [
        'assign @emma "   "',
        'assign @emma "Print the flyers" due 2099-01-02',
        'assign @carla "Map the wetlands" due 2099-01-09',
        "tasks all",
        "due 1 2099-01-05",
        "reassign 2 @emma",
        "cancel 2 the survey moved to spring",
        "cancel 7",
        "/as emma",
        "tasks all",
        "done 1 printed",
        "progress 1 more copies",
        "reopen 1",
        "tz Pacific/Auckland",
        "tasks",
        "/as ana",
        "tz America/Los_Angeles",
        "tasks @emma",
    ])
    out = session.stdout
    check(session.returncode == 0, "the console exits 0 at the end of its input")
    check("A task needs a title: the one given is blank." in out, "a blank title is refused")
    check("Open tasks (2), due soonest first:" in out, "tasks all counts the open tasks")
    check("- #1 Print the flyers (Emma Schulz, due 2099-01-02): open" in out,
          "tasks all shows the assignee, the due date and the state")
    check('tandem: Task #1 "Print the flyers" is now due 2099-01-05 (it was due 2099-01-02).' in out,
          "due confirms the new date and the old one")
    check('tandem -> emma: Ana Lima changed the due date of task #1 "Print the flyers": it is now due 2099-01-05'
          in out, "the assignee hears of the new due date")
    check('tandem: Task #2 "Map the wetlands" now goes to Emma Schulz instead of Carla Reyes' in out,
          "reassign names the old and the new assignee")
    check("tandem -> emma: Ana Lima passed you task #2 Map the wetlands (it was with Carla Reyes)" in out,
          "the new assignee is told")
    check('tandem -> carla: Ana Lima gave task #2 "Map the wetlands" to Emma Schulz: it is no longer yours.' in out,
          "the old assignee is told")
    check('tandem -> emma: Ana Lima cancelled task #2 "Map the wetlands": the survey moved to spring.' in out,
          "the assignee hears of the cancellation")
    check("There is no task #7 in this collaboration." in out, "an unknown task is named")
    check("Sorry, `tasks [all|overdue|blocked|@who|org:<id>]` is for facilitators only." in out,
          "only facilitators see everyone's tasks")
    check('is done: it takes no more updates. To work on it again, first type `reopen 1`' in out,
          "progress on a done task is refused with the reopen hint")
    check('tandem: Task #1 "Print the flyers" is open again (due 2099-01-05).' in out, "reopen is confirmed")
    check('tandem -> ana: Emma Schulz reopened task #1 "Print the flyers"' in out, "the facilitator hears of it")
    check(out.count("- #1 Print the flyers") == 3 and "due 2099-01-05" in out.split("tasks @emma")[1]
          and "2099-01-06" not in out and "2099-01-04" not in out,
          "the due date reads 2099-01-05 everywhere, after the assignee and the reader change zones")

    db = sqlite3.connect(pathlib.Path(folder) / "tandem.db")
    rows = db.execute("select number, assignee_person, due_day, status from tasks order by number").fetchall()
    day = (datetime.date(2099, 1, 5) - datetime.date(1970, 1, 1)).days
    check(rows == [(1, "emma", day, "open"), (2, "emma", (datetime.date(2099, 1, 9) - datetime.date(1970, 1, 1)).days,
                                              "cancelled")],
          f"the tasks are stored with their dates and states: {rows}")
    actions = [row[0] for row in db.execute(
        "select action from audit where actor != 'config' and action like 'task.%' order by id")]
    check(actions == ["task.assign", "task.assign", "task.due", "task.reassign", "task.cancel", "task.done",
                      "task.reopen"], f"the audit log has each change: {actions}")
    db.close()

finish()
