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
import hashlib
import hmac
import json
import os
import pathlib
import resource
import sqlite3
import sys
import tempfile
import time

from e2e import Serve, check, finish, request

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
script_secret = "e2e-script-secret-value"

config_text = """
store: tandem.db
http: {listen: 127.0.0.1:0}
engine: {quiet_hours: "off"}
adapters:
  console: {enabled: false}
  slack:
    api_base_url: http://127.0.0.1:9/api/
    workspaces:
      - {team_id: T0123ABCD, bot_token: {env: SLACK_BOT_TOKEN}, signing_secret: {env: SLACK_SIGNING_SECRET}}
  webhook:
    channels:
      - {name: ops, kind: signed, secret: {env: TANDEM_E2E_SCRIPT_SECRET}}
collaborations:
  - id: river
    name: River Restoration Alliance
    organizations:
      - {id: backbone, name: Riverside Backbone Trust}
      - {id: city, name: City of Millbrook}
    people:
      - {id: ana, name: Ana Lima, org: backbone, roles: [facilitator],
         identities: [{platform: webhook, workspace: ops, user: ana}]}
      - {id: emma, name: Emma Schulz, org: city, roles: [representative],
         identities: [{platform: slack, workspace: T0123ABCD, user: U0123EMMA}]}
"""


def slack_event(n, text):
    """Slack's envelope of DM number `n`; its dedup key ends with its ts, slack_ts(n)."""
    body = json.dumps({"token": "x", "team_id": "T0123ABCD", "api_app_id": "A1", "type": "event_callback",
                       "event_id": f"Ev{n:06d}", "event_time": int(time.time()),
                       "event": {"type": "message", "channel": "D0123", "channel_type": "im", "user": "U0123EMMA",
                                 "text": text, "ts": slack_ts(n)}})
    ts = str(int(time.time()))
    digest = hmac.new(signing_secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
                           "X-Slack-Signature": "v0=" + digest}


def slack_ts(n):
    return f"1765000000.{n:06d}"


def webhook_message(message_id, text):
    body = json.dumps({"id": message_id, "user": "ana", "text": text})
    ts = str(int(time.time()))
    digest = hmac.new(script_secret.encode(), f"v1:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Tandem-Timestamp": ts,
                           "X-Tandem-Signature": "v1=" + digest}


def post(base, path, message):
    """(status, Retry-After or None) of one signed POST."""
    import urllib.error
    import urllib.request
    body, headers = message
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")


def stored_keys(store):
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT dedup_key FROM responses")]


with tempfile.TemporaryDirectory() as folder:
    folder = pathlib.Path(folder)
    config = folder / "tandem.yaml"
    config.write_text(config_text)
    store = folder / "tandem.db"
    env = dict(os.environ, SLACK_SIGNING_SECRET=signing_secret, SLACK_BOT_TOKEN="xoxb-e2e",
               TANDEM_E2E_SCRIPT_SECRET=script_secret)

    # --- a full disk while serving ---------------------------------------------------------------
    server = Serve(binary, config, env)
    check(server.port is not None, f"serve listens: {server.port}")
    if server.port is not None:
        base = f"http://127.0.0.1:{server.port}"
        check(post(base, "/slack/events", slack_event(1, "hello"))[0] == 200, "a first event is stored")
        pid = server.process.pid
        _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))  # from now on every write fails: a full disk
        slack_status = post(base, "/slack/events", slack_event(2, "while the disk is full"))
        check(slack_status == (503, "5"), f"a Slack event while the disk is full gets 503, Retry-After 5: {slack_status}")
        hook_status = post(base, "/webhook/ops", webhook_message("m-2", "while the disk is full"))
        check(hook_status == (503, "5"), f"a webhook message gets 503, Retry-After 5: {hook_status}")
        command_status = post(base, "/webhook/ops", webhook_message("m-3", "tasks"))
        check(command_status == (503, "5"), f"a webhook command gets 503, Retry-After 5: {command_status}")
        keys = stored_keys(store)
        check(not any(k.endswith(slack_ts(2)) or k.endswith(":m-2") or k.endswith(":m-3") for k in keys),
              f"nothing of them is stored: {keys}")
        time.sleep(1.2)  # the one-second tick writes too: it must fail quietly, not stop Tandem
        check(server.process.poll() is None, "Tandem keeps running while the disk is full")

        resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))  # space returns
        retried = post(base, "/slack/events", slack_event(2, "while the disk is full"))
        check(retried[0] == 200, f"once space returns, the same process stores Slack's retry: {retried}")
        check(post(base, "/webhook/ops", webhook_message("m-2", "while the disk is full"))[0] == 200,
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
