#!/usr/bin/env python3
"""Backups and restores through the real binary, with a signed webhook and a Mattermost receiver.

`tandem backup` runs while commands are being written: the backup holds every command
acknowledged before it began. `tandem restore` is refused while that Tandem runs and for files
that are not good backups (missing, not a database, not a Tandem store, a newer schema, damaged);
once Tandem is stopped it replaces the store, and Tandem started on it goes on where the backup
was: the commands are there, the notices queued in it are delivered once (the receiver was down
when they were queued), notices already sent before it are not sent again, and the next task
number follows the backup's.

Usage: backup_restore_test.py TANDEM_BINARY REPO_ROOT
"""
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from e2e import Serve, check, finish, request

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
script_secret = "e2e-script-secret-value"

received = []
received_event = threading.Condition()
receiver_state = {"up": True}


class receiver(http.server.BaseHTTPRequestHandler):
    """A Mattermost incoming webhook: keeps what it accepts; answers 503 while it is down."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        up = receiver_state["up"]
        if up:
            with received_event:
                received.append(json.loads(body)["text"])
                received_event.notify_all()
        self.send_response(200 if up else 503)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), receiver)
threading.Thread(target=hooks.serve_forever, daemon=True).start()

config_text = f"""
store: tandem.db
http: {{listen: 127.0.0.1:0, public_url: https://tandem.example.org}}
engine: {{quiet_hours: "off"}}
adapters:
  console: {{enabled: false}}
  webhook:
    channels:
      - {{name: ops, kind: signed, secret: {{env: TANDEM_E2E_SCRIPT_SECRET}}}}
      - {{name: city, dialect: mattermost, url: {{env: TANDEM_E2E_CITY_HOOK}},
         organization: {{collaboration: river, id: city}}}}
collaborations:
  - id: river
    name: River Restoration Alliance
    organizations:
      - {{id: backbone, name: Riverside Backbone Trust}}
      - {{id: city, name: City of Millbrook}}
    people:
      - {{id: ana, name: Ana Lima, org: backbone, roles: [facilitator],
         identities: [{{platform: webhook, workspace: ops, user: ana}}]}}
      - {{id: emma, name: Emma Schulz, org: city, roles: [representative]}}
"""


def signed(message_id, text):
    body = json.dumps({"id": message_id, "user": "ana", "text": text})
    ts = str(int(time.time()))
    digest = hmac.new(script_secret.encode(), f"v1:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Tandem-Timestamp": ts,
                           "X-Tandem-Signature": "v1=" + digest}


def assign(base, n):
    """Assigns task "Flyer n" to Emma; (status, task number in the reply or None)."""
    status, answer = request(base + "/webhook/ops", *signed(f"cmd-{n}", f'assign @emma "Flyer {n}"'))
    reply = json.loads(answer).get("reply", {}).get("text", "") if status == 200 else ""
    number = re.search(r"#(\d+)", reply)
    return status, int(number.group(1)) if number else None


def tandem(*args):
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, env=env)
    return result.returncode, result.stdout + result.stderr


def flyers(texts):
    return sorted(int(n) for text in texts for n in re.findall(r"Flyer (\d+)", text))


def wait_for_notices(count, within=20):
    with received_event:
        received_event.wait_for(lambda: len(received) >= count, timeout=within)


with tempfile.TemporaryDirectory() as folder:
    folder = pathlib.Path(folder)
    config = folder / "tandem.yaml"
    config.write_text(config_text)
    store = folder / "tandem.db"
    backup = folder / "backups" / "tandem-backup.db"
    backup.parent.mkdir()
    env = dict(os.environ, TANDEM_E2E_SCRIPT_SECRET=script_secret,
               TANDEM_E2E_CITY_HOOK=f"http://127.0.0.1:{hooks.server_port}/hooks/city")

    server = Serve(binary, config, env)
    check(server.port is not None, f"serve listens: {server.port}")
    base = f"http://127.0.0.1:{server.port}"
    # Five notices go out before the backup; their rows are sent in it.
    for n in range(1, 6):
        assign(base, n)
    wait_for_notices(5)
    check(flyers(received) == [1, 2, 3, 4, 5], f"the first five notices reach the receiver: {flyers(received)}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            if db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0] == 0:
                break
        time.sleep(0.05)

    # The receiver goes down: what is assigned from now on waits in the outbox. Commands keep
    # coming while the backup runs.
    receiver_state["up"] = False
    acknowledged = {}  # n -> task number
    acknowledged_before_backup = set()
    writing = {"on": True}

    def write_commands():
        n = 6
        while writing["on"]:
            status, number = assign(base, n)
            if status == 200:
                acknowledged[n] = number
            n += 1

    writer = threading.Thread(target=write_commands)
    writer.start()
    while len(acknowledged) < 20:
        time.sleep(0.01)
    acknowledged_before_backup = set(acknowledged)
    code, said = tandem("backup", str(backup), "--config", str(config))
    during = len(acknowledged) - len(acknowledged_before_backup)
    time.sleep(0.3)
    writing["on"] = False
    writer.join()
    check(code == 0 and "checked" in said, f"tandem backup succeeds while Tandem serves: {said.strip()}")
    print(f"{len(acknowledged_before_backup)} commands acknowledged before the backup began, {during} while it ran,"
          f" {len(acknowledged)} in all")

    code, said = tandem("restore", str(backup), "--config", str(config))
    check(code == 1 and "in use by a running Tandem (process " + str(server.process.pid) + ")" in said,
          f"restore is refused while Tandem runs, naming its process: {said.strip()}")
    check(server.stop() == 0, "serve stops with exit code 0")

    # Refusals of files that are not good backups.
    code, said = tandem("restore", str(folder / "nothing.db"), "--config", str(config))
    check(code == 1 and "no such file" in said, f"a missing file is refused: {said.strip()}")
    (folder / "notes.txt").write_text("not a database\n" * 500)
    code, said = tandem("restore", str(folder / "notes.txt"), "--config", str(config))
    check(code == 1 and "not a usable SQLite database" in said, f"a file that is not a database is refused: {said.strip()}")
    with sqlite3.connect(folder / "other.db") as db:
        db.execute("CREATE TABLE notes (x)")
    code, said = tandem("restore", str(folder / "other.db"), "--config", str(config))
    check(code == 1 and "not a Tandem store" in said, f"another program's database is refused: {said.strip()}")
    shutil.copy(backup, folder / "newer.db")
    with sqlite3.connect(folder / "newer.db") as db:
        db.execute("PRAGMA user_version = 999")
    code, said = tandem("restore", str(folder / "newer.db"), "--config", str(config))
    check(code == 1 and "written by a newer Tandem" in said, f"a newer schema is refused: {said.strip()}")
    shutil.copy(backup, folder / "damaged.db")
    with sqlite3.connect(folder / "damaged.db") as db:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root_page = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'responses'").fetchone()[0]
    with open(folder / "damaged.db", "r+b") as file:  # the responses table's first page overwritten
        file.seek((root_page - 1) * page_size)
        file.write(b"\xa5" * page_size)
    code, said = tandem("restore", str(folder / "damaged.db"), "--config", str(config))
    check(code == 1 and "damaged" in said, f"a damaged backup is refused: {said.strip()}")
    code, said = tandem("backup", str(store), "--config", str(config))
    check(code == 1 and "is the store itself" in said, f"a backup onto the store itself is refused: {said.strip()}")
    code, said = tandem("backup", str(backup))
    check(code != 0 and "--config" in said, f"backup without a store says how to name one: {said.strip()[:200]}")

    code, said = tandem("restore", str(backup), "--store", str(store))
    check(code == 0 and "now holds" in said, f"restore succeeds once Tandem is stopped: {said.strip()}")
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        keys = {row[0] for row in db.execute("SELECT dedup_key FROM responses")}
        tasks = db.execute("SELECT count(*) FROM tasks").fetchone()[0]
    restored = {n for n in acknowledged if any(k.endswith(f":cmd-{n}") for k in keys)}
    check(acknowledged_before_backup <= restored,
          f"every command acknowledged before the backup began is in the restored store "
          f"({len(acknowledged_before_backup)} of them; {len(restored)} restored)")

    receiver_state["up"] = True
    already = len(received)
    server = Serve(binary, config, env)
    check(server.port is not None, f"Tandem starts on the restored store: {server.port}")
    base = f"http://127.0.0.1:{server.port}"
    wait_for_notices(already + len(restored))
    status, number = assign(base, 100000)
    check(status == 200 and number == tasks + 1, f"the next task number follows the backup's {tasks}: #{number}")
    wait_for_notices(already + len(restored) + 1)
    time.sleep(1.5)  # a notice sent twice would arrive by now
    after = flyers(received[already:])
    check(after == sorted(list(restored) + [100000]),
          f"each notice queued in the backup is delivered once, none sent before it again: {after[:8]}… "
          f"({len(after)} notices for {len(restored)} restored commands and the new one)")
    check(server.stop() == 0, "serve stops with exit code 0")
    hooks.shutdown()

    # A PostgreSQL store is backed up with PostgreSQL's own tools: both commands say so and stop.
    for command in ("backup", "restore"):
        code, said = tandem(command, str(pathlib.Path(folder) / "pg.dump"), "--store",
                            "postgresql://tandem@127.0.0.1:1/tandem")
        check(code == 2 and "is a PostgreSQL database" in said and "pg_dump" in said,
              f"tandem {command} of a PostgreSQL store points to pg_dump: {code} {said.strip()}")

finish()
