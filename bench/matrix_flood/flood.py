#!/usr/bin/env python3
"""Matrix flood benchmark: the flood homeserver (core 0) sends 100,000 messages to the room of
`tandem serve` (core 1, client mode, deploy/matrix/matrix.yaml pointed at it), 1,000 per /sync,
then 1,000 commands one after another. Reports events durably recorded per second end to end,
the bot's peak RSS and CPU, reply latency p50/p99 (command entering the homeserver -> reply
arriving there), and checks the store afterwards: every message people posted is one row.

Usage: flood.py TANDEM_BINARY HOMESERVER_BINARY REPO_ROOT [--runs 3] [--events 100000] [--batch 1000]
                [--commands 1000] [--perf FILE]   (perf record -g of the bot during the flood of run 1)
"""
import argparse
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("homeserver")
parser.add_argument("root")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--events", type=int, default=100000)
parser.add_argument("--batch", type=int, default=1000)
parser.add_argument("--commands", type=int, default=1000)
parser.add_argument("--perf", default="")
parser.add_argument("--quiet", type=float, default=0,
                    help="before each run, wait up to this many seconds for a 1-minute load average under 0.3")
args = parser.parse_args()
root = pathlib.Path(args.root)
token = "flood-token"
room = "!flood:localhost"
ticks_per_second = os.sysconf("SC_CLK_TCK")


def config_text(port, store):
    text = (root / "deploy" / "matrix" / "matrix.yaml").read_text()
    replacements = [
        ("store: tandem.db", f"store: {store}"),
        ("homeserver: http://synapse:8008", f"homeserver: http://127.0.0.1:{port}"),
        ("  level: info", "  level: warn"),
        ("    rooms: []", f'    rooms: [{{platform: matrix, workspace: localhost, id: "{room}"}}]'),
    ]
    for old, new in replacements:
        if old not in text:
            sys.exit(f"deploy/matrix/matrix.yaml no longer contains {old!r}: update flood.py")
        text = text.replace(old, new)
    return text


def cpu_seconds(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def peak_rss_mb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_average():
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


def wait_for_quiet(within):
    deadline = time.monotonic() + within
    while load_average() >= 0.3 and time.monotonic() < deadline:
        time.sleep(5)


def one_run(run, folder):
    if args.quiet:
        wait_for_quiet(args.quiet)
    load = load_average()
    store = folder / f"run{run}.db"
    events_out = folder / f"run{run}.events"
    hs = subprocess.Popen(["taskset", "-c", "0", args.homeserver, "--mode", "paced", "--events", str(args.events),
                           "--batch", str(args.batch), "--commands", str(args.commands), "--token", token,
                           "--events-out", str(events_out)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = json.loads(hs.stdout.readline())["listening"]
    config = folder / f"run{run}.yaml"
    config.write_text(config_text(port, store))
    log = open(folder / f"run{run}.log", "w")
    bot = subprocess.Popen(["taskset", "-c", "1", args.tandem, "serve", "--config", str(config), "--listen",
                            "127.0.0.1:0"], env=dict(os.environ, MATRIX_ACCESS_TOKEN=token),
                           stdout=subprocess.DEVNULL, stderr=log)
    perf = None
    if args.perf and run == 1:
        perf = subprocess.Popen(["perf", "record", "-F", "2000", "--call-graph", "dwarf,32768", "-o", args.perf,
                                 "-p", str(bot.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = None
    cpu_start = cpu_end = 0.0
    for line in hs.stdout:
        message = json.loads(line)
        if "flood_started" in message:
            cpu_start = cpu_seconds(bot.pid)
        elif "flood_done" in message:
            cpu_end = cpu_seconds(bot.pid)
        elif "report" in message:
            report = message["report"]
            break
    cpu = cpu_end - cpu_start
    rss = peak_rss_mb(bot.pid)
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    bot.send_signal(signal.SIGTERM)
    bot.wait(timeout=30)
    hs.stdin.write("quit\n")
    hs.stdin.close()
    hs.wait(timeout=30)
    log.close()

    posted = events_out.read_text().split()
    db = sqlite3.connect(store)
    stored = {row[0] for row in db.execute("SELECT dedup_key FROM responses WHERE dedup_key LIKE 'matrix:%'")}
    rows = db.execute("SELECT count(*) FROM responses WHERE dedup_key LIKE 'matrix:%'").fetchone()[0]
    missing = sum(1 for event_id in posted if "matrix:" + event_id not in stored)
    replies = db.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    db.close()
    return {
        "load": load,
        "events_per_second": report["flood_events_per_second"],
        "flood_seconds": report["flood_seconds"],
        "server_cpu": report["server_cpu_seconds_in_flood"],
        "bot_cpu": cpu,
        "rss_mb": rss,
        "p50": report["reply_ms_p50"],
        "p99": report["reply_ms_p99"],
        "max": report["reply_ms_max"],
        "posted": len(posted),
        "rows": rows,
        "missing": missing,
        "answered": report["commands_answered"],
        "commands": report["commands"],
        "duplicates": report["duplicate_replies"],
        "replies_sent": replies,
        "limited": report["limited_syncs"],
        "syncs": report["syncs"],
    }


results = []
with tempfile.TemporaryDirectory() as tmp:
    folder = pathlib.Path(tmp)
    print(f"Tandem: {args.events} messages in batches of {args.batch} per /sync, then {args.commands} commands "
          f"(homeserver on core 0, Tandem on core 1)")
    for run in range(1, args.runs + 1):
        r = one_run(run, folder)
        results.append(r)
        ok = r["missing"] == 0 and r["rows"] == r["posted"] and r["answered"] == r["commands"] and r["duplicates"] == 0
        print(f"  run {run}: {r['events_per_second']:,.0f} events/s recorded end to end ({r['flood_seconds']:.2f} s); "
              f"reply p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, max {r['max']:.2f} ms; peak RSS {r['rss_mb']:.1f} MB "
              f"(load average {r['load']:.2f} before the run)")
        print(f"    in the flood: bot CPU {r['bot_cpu']:.2f} s ({r['bot_cpu'] * 1e6 / max(1, r['posted'] - r['commands']):.1f} µs per event), "
              f"homeserver CPU {r['server_cpu']:.2f} s; {r['syncs']} syncs, {r['limited']} limited")
        print(f"    posted {r['posted']}, stored {r['rows']} rows, {r['missing']} missing; commands {r['commands']}, "
              f"answered {r['answered']}, duplicate replies {r['duplicates']}: " + ("all stored once" if ok else "NOT ALL STORED ONCE"))
# For bench/run-all.sh.
print("summary " + json.dumps({"events": args.events, "batch": args.batch, "commands": args.commands, "runs": results}))
sys.exit(0 if all(r["missing"] == 0 for r in results) else 1)
