#!/usr/bin/env python3
"""Store failures through the real binary, with Slack events and a signed webhook.

A full disk while serving: the running `tandem serve` gets a file size limit of 0 bytes
(RLIMIT_FSIZE, set from outside with prlimit), so every write to its store fails as on a full
disk: Slack and the webhook get 503 with a Retry-After and nothing is stored; the limit is lifted
and the same process stores the retried event once and goes on. (Why a file size limit: a small
tmpfs needs mount privileges CI may not have, chmod does not stop root, and SQLite's
max_page_count only bounds the database file, not the log every commit is written to.)

A damaged store: bytes of a table's pages overwritten; `tandem serve` refuses to start and says to
restore the last backup with `tandem restore`.

Usage: store_failure_test.py TANDEM_BINARY REPO_ROOT
"""
import json
import pathlib
import resource
import sqlite3
import sys
import tempfile
import time

from e2e import (Serve, check, finish, post_signed, request, signed_platforms_config, signed_platforms_env,
                 slack_event, slack_ts, stored_keys, webhook_message)

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])

with tempfile.TemporaryDirectory() as folder:
    folder = pathlib.Path(folder)
    config = folder / "tandem.yaml"
    config.write_text(signed_platforms_config("tandem.db"))
    store = folder / "tandem.db"
    env = signed_platforms_env()

    # --- a full disk while serving ---------------------------------------------------------------
    server = Serve(binary, config, env)
    check(server.port is not None, f"serve listens: {server.port}")
    if server.port is not None:
        base = f"http://127.0.0.1:{server.port}"
        check(post_signed(base, "/slack/events", slack_event(1, "hello"))[0] == 200, "a first event is stored")
        pid = server.process.pid
        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))  # from now on every write fails: a full disk
        slack_status = post_signed(base, "/slack/events", slack_event(2, "while the disk is full"))
        check(slack_status == (503, "5"), f"a Slack event while the disk is full gets 503, Retry-After 5: {slack_status}")
        hook_status = post_signed(base, "/webhook/ops", webhook_message("m-2", "while the disk is full"))
        check(hook_status == (503, "5"), f"a webhook message gets 503, Retry-After 5: {hook_status}")
        command_status = post_signed(base, "/webhook/ops", webhook_message("m-3", "tasks"))
        check(command_status == (503, "5"), f"a webhook command gets 503, Retry-After 5: {command_status}")
        keys = stored_keys(store)
        check(not any(k.endswith(slack_ts(2)) or k.endswith(":m-2") or k.endswith(":m-3") for k in keys),
              f"nothing of them is stored: {keys}")
        time.sleep(1.2)  # the one-second tick writes too: it must fail quietly, not stop Tandem
        check(server.process.poll() is None, "Tandem keeps running while the disk is full")

        resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))  # space returns
        retried = post_signed(base, "/slack/events", slack_event(2, "while the disk is full"))
        check(retried[0] == 200, f"once space returns, the same process stores Slack's retry: {retried}")
        check(post_signed(base, "/webhook/ops", webhook_message("m-2", "while the disk is full"))[0] == 200,
              "and the webhook's retry")
        status, answer = request(base + "/webhook/ops", *webhook_message("m-3", "tasks"))
        check(status == 200 and "reply" in json.loads(answer), f"the retried command is answered: {status} {answer}")
        keys = stored_keys(store)
        for suffix in [slack_ts(1), slack_ts(2), ":m-2", ":m-3"]:
            found = [k for k in keys if k.endswith(suffix)]
            check(len(found) == 1, f"{suffix} is stored once: {found}")
        check(server.process.poll() is None, "without a restart")
    code = server.stop()
    check(code == 0, f"serve stops with exit code 0: {code}")
    log = "\n".join(server.log_lines)
    check("could not" in log or "store:" in log, "the failed writes are in the log")

    # --- a damaged store at start ----------------------------------------------------------------
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root_page = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'responses'").fetchone()[0]
    check(pages > root_page, f"the store has {pages} pages, responses at page {root_page}")
    with open(store, "r+b") as file:
        file.seek((root_page - 1) * page_size)
        file.write(b"\xa5" * page_size)
    damaged = Serve(binary, config, env)
    code = damaged.wait(timeout=20)
    said = "\n".join(damaged.log_lines)
    check(damaged.port is None and code == 1, f"serve does not start on a damaged store: exit code {code}")
    check("is damaged" in said and "tandem restore" in said, f"it says the store is damaged and how to restore: {said[-600:]}")

finish()
