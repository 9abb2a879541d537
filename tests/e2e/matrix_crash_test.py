#!/usr/bin/env python3
"""Nothing lost, nothing twice across SIGKILL: the flood homeserver (bench/matrix_flood) pours
messages into the room of `tandem serve` (client mode, deploy/matrix/matrix.yaml pointed at it)
at a fixed rate, every 50th a command that gets a reply; the bot is killed with SIGKILL at random
moments, stays down a random while (so the backlog can outgrow its /sync filter's limit and come
as a `limited` timeline to back-fill), and is started again on the same store. At the end every
message people posted must be a row of the store's responses table, and every command must have
exactly one reply in the room (a retransmitted txn id is the same message, not a duplicate).

Usage: matrix_crash_test.py TANDEM_BINARY HOMESERVER_BINARY REPO_ROOT [--kills 3] [--events 4000]
                            [--rate 2500] [--seed N]
The defaults are the short CI version (well under 30 s); bench/matrix_flood/crash.sh runs 20 kills
over a flood of 100,000.
"""
import argparse
import json
import os
import pathlib
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

from e2e import check, failures, finish

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("homeserver")
parser.add_argument("root")
parser.add_argument("--kills", type=int, default=3)
parser.add_argument("--events", type=int, default=6000)
parser.add_argument("--rate", type=float, default=3000)
parser.add_argument("--command-every", type=int, default=50)
parser.add_argument("--seed", type=int, default=None)
parser.add_argument("--deadline", type=float, default=60, help="seconds to catch up after the last restart")
args = parser.parse_args()
root = pathlib.Path(args.root)
seed = args.seed if args.seed is not None else random.randrange(1 << 30)
rng = random.Random(seed)
token = "crash-token"
room = "!flood:localhost"
print(f"seed {seed}: {args.kills} kills in a flood of {args.events} messages at {args.rate:.0f}/s")


def config_text(port, store):
    text = (root / "deploy" / "matrix" / "matrix.yaml").read_text()
    for old, new in [("store: tandem.db", f"store: {store}"),
                     ("homeserver: http://synapse:8008", f"homeserver: http://127.0.0.1:{port}"),
                     ("  level: info", "  level: warn"),
                     ("    rooms: []", f'    rooms: [{{platform: matrix, workspace: localhost, id: "{room}"}}]')]:
        if old not in text:
            sys.exit(f"deploy/matrix/matrix.yaml no longer contains {old!r}: update matrix_crash_test.py")
        text = text.replace(old, new)
    return text


with tempfile.TemporaryDirectory() as tmp:
    folder = pathlib.Path(tmp)
    store = folder / "tandem.db"
    events_out = folder / "events.txt"
    hs = subprocess.Popen([args.homeserver, "--mode", "rate", "--events", str(args.events), "--rate", str(args.rate),
                           "--command-every", str(args.command_every), "--token", token,
                           "--events-out", str(events_out)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = json.loads(hs.stdout.readline())["listening"]
    lines = queue.Queue()
    state = {"served": 0}

    def read_homeserver():
        for line in hs.stdout:
            message = json.loads(line)
            if "served" in message:
                state["served"] = message["served"]
            else:
                lines.put(message)

    threading.Thread(target=read_homeserver, daemon=True).start()

    def wait_for(key, within):
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                message = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if key in message:
                return message
        return None

    config = folder / "matrix.yaml"
    config.write_text(config_text(port, store))
    log = open(folder / "tandem.log", "w")
    env = dict(os.environ, MATRIX_ACCESS_TOKEN=token)

    def start_bot():
        return subprocess.Popen([args.tandem, "serve", "--config", str(config), "--listen", "127.0.0.1:0"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)

    bot = start_bot()
    started = wait_for("flood_started", 20)
    check(started is not None, "the bot's first /sync with a stored token starts the flood")
    kills = []
    flood_seconds = args.events / args.rate
    # The bot's filter takes 1,000 events per /sync: after the first kill it stays down long enough
    # for a larger backlog, which comes as a `limited` timeline to back-fill from /messages.
    limited_downtime = 1.5 * 1000 / args.rate
    for k in range(args.kills if started else 0):
        time.sleep(rng.uniform(0.05, flood_seconds / max(1, args.kills)))
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        kills.append(state["served"])
        time.sleep(limited_downtime if k == 0 else rng.uniform(0, 0.4))
        bot = start_bot()
    print(f"killed at stream positions {kills}")
    while not lines.empty():  # what the killed runs said; wait for the last one to catch up
        lines.get()
    caught_up = wait_for("caught_up", args.deadline)
    check(caught_up is not None, f"after {len(kills)} kills the bot caught up within {args.deadline:.0f} s")
    # The replies have all arrived; the bot may still be marking the last outbox rows sent.
    drain_deadline = time.monotonic() + 15
    while caught_up and time.monotonic() < drain_deadline:
        with sqlite3.connect(store) as db:
            if db.execute("SELECT count(*) FROM outbox WHERE state != 'sent'").fetchone()[0] == 0:
                break
        time.sleep(0.1)
    hs.stdin.write("report\n")
    hs.stdin.flush()
    report = (wait_for("report", 10) or {}).get("report", {})
    bot.send_signal(signal.SIGTERM)
    try:
        code = bot.wait(timeout=15)
    except subprocess.TimeoutExpired:
        bot.kill()
        code = None
    hs.stdin.write("quit\n")
    hs.stdin.close()
    hs.wait(timeout=15)
    log.close()

    posted = events_out.read_text().split() if events_out.exists() else []
    db = sqlite3.connect(store)
    stored = {row[0] for row in db.execute("SELECT dedup_key FROM responses WHERE dedup_key LIKE 'matrix:%'")}
    unsent = db.execute("SELECT count(*) FROM outbox WHERE state != 'sent'").fetchone()[0]
    db.close()
    lost = [event_id for event_id in posted if "matrix:" + event_id not in stored]
    print(f"report: {json.dumps(report)}")
    during = sum(1 for position in kills if position < args.events)
    check(len(kills) == args.kills, f"{len(kills)} SIGKILLs at random points, {during} while the flood ran")
    check(len(posted) == args.events, f"the homeserver holds the {args.events} messages people posted: {len(posted)}")
    check(not lost, f"no event lost: {len(lost)} of {len(posted)} missing from the store's responses"
          + (f" (first: {lost[:3]})" if lost else ""))
    commands = report.get("commands", -1)
    check(commands == args.events // args.command_every and report.get("commands_answered") == commands,
          f"every command was answered: {report.get('commands_answered')} of {commands}")
    check(report.get("duplicate_replies") == 0,
          f"no reply twice: {report.get('duplicate_replies')} duplicates "
          f"({report.get('retransmissions')} retransmitted txn ids answered with the first event)")
    check(report.get("other_bot_messages") == 0, f"no other message from the bot: {report.get('other_bot_messages')}")
    check(unsent == 0, f"every outbox row is sent: {unsent} not")
    check(code == 0, f"the last run stops with exit code 0 on SIGTERM: {code}")
    if args.kills > 0 and kills and kills[0] < args.events - 1000:
        check(report.get("limited_syncs", 0) >= 1 and report.get("messages_requests", 0) >= 1,
              f"a backlog after a kill came as a limited timeline and was back-filled: "
              f"{report.get('limited_syncs')} limited, {report.get('messages_requests')} /messages pages")
    if failures:
        print("the bot's log (warnings and errors):")
        print((folder / "tandem.log").read_text()[-4000:])

finish()
