#!/usr/bin/env python3
"""The platform-outage drill: Slack's Web API, a Matrix homeserver and incoming webhooks (local
stand-ins, tests/e2e/platforms.py) fail together for a real window while `tandem serve` keeps
deciding: a facilitator's signed script sends a broadcast every second, to the collaboration's
rooms (a Slack channel, a Matrix room, a webhook channel) or to an organization's people (a Slack
DM, a Matrix DM, the organization's webhook channel). For 20 to 32 s from the outage's start,
every destination fails in its own sequence of the ways a platform fails: a slow receiver that
posts the message and never answers (the sender times out after the receiver got it), a stalled
one that never answers and posts nothing, 503s, 429s with a Retry-After (Slack `Retry-After: 3`,
webhooks `Retry-After: 2`, Matrix `retry_after_ms: 2500`), and reset connections; the rest of
each API (`/sync`, `users.info`) answers 503 for 26 s.

Afterwards: every broadcast the script got an answer for is posted at each of its destinations;
posted once (Matrix: a retried txn id is the same event; Slack and webhooks have no idempotency
key, so a message whose attempt timed out after the receiver posted it may be posted again: those
are counted, and no other repeat is allowed); in order per destination (first postings by number);
no attempt to a destination came before the Retry-After of a 429 it was answered (measured from
the moment the stand-in wrote the 429); no outbox row left pending or failed.

Usage: outage_test.py TANDEM_BINARY REPO_ROOT [--after SECONDS] [--drain SECONDS]
"""
import argparse
import hashlib
import hmac
import json
import os
import pathlib
import sqlite3
import tempfile
import threading
import time
from collections import Counter, defaultdict

from e2e import Serve, check, failures, finish, request
from platforms import ERROR, LIMITED, MODES, RESET, SLOW, STALL, IncomingWebhooks, MatrixHomeserver, Outage, SlackWebApi

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("root")
parser.add_argument("--after", type=float, default=5, help="seconds of broadcasts after the outage")
parser.add_argument("--drain", type=float, default=120, help="seconds allowed to deliver everything afterwards")
args = parser.parse_args()

team = "T0123ABCD"
script_secret = "e2e-script-secret-value"
matrix_token = "outage-token"
number_pattern = r"drill m(\d+)\b"
# Each destination's failures, one after the other from the outage's start. One message at a time
# goes to a destination, so a request that times out (15 s for Slack and webhooks, 30 s for
# Matrix) holds it through the next phases: the schedules put the timeouts first and vary the
# order, so that each platform meets every mode (a 429 included) within some 30 s, and the
# outbox's backoff (doubling per attempt) stays short enough to drain within a minute.
outage = Outage({
    "C0123RIVER": [(SLOW, 6), (ERROR, 6), (LIMITED, 8), (RESET, 6)],
    "D0123EMMA": [(STALL, 6), (LIMITED, 8), (ERROR, 6), (RESET, 6)],
    "!river:localhost": [(SLOW, 6), (ERROR, 20), (RESET, 6)],
    "!dm-ben:localhost": [(LIMITED, 8), (ERROR, 6), (RESET, 6)],
    "river": [(STALL, 6), (ERROR, 6), (LIMITED, 8), (RESET, 6)],
    "city": [(SLOW, 6), (LIMITED, 8), (ERROR, 6), (RESET, 6)],
}, others=[(ERROR, 26)])
slack = SlackWebApi(outage, number_pattern, team, {"U0123EMMA": "D0123EMMA"})
matrix = MatrixHomeserver(outage, number_pattern, "@tandem:localhost", matrix_token,
                          {"@ben:localhost": ["!dm-ben:localhost"]})
hooks = IncomingWebhooks(outage, number_pattern)
platforms = [slack, matrix, hooks]

# Where each kind of broadcast goes, as (platform, destination) the stand-ins record.
room_destinations = [("slack", "C0123RIVER"), ("matrix", "!river:localhost"), ("webhook", "river")]
people_destinations = [("slack", "D0123EMMA"), ("matrix", "!dm-ben:localhost"), ("webhook", "city")]

config_text = f"""
store: tandem.db
http: {{listen: 127.0.0.1:8080}}
engine: {{quiet_hours: "off"}}
adapters:
  console: {{enabled: false}}
  slack:
    api_base_url: http://127.0.0.1:{slack.port}/api/
    workspaces:
      - {{team_id: {team}, bot_token: {{env: SLACK_BOT_TOKEN}}, signing_secret: {{env: SLACK_SIGNING_SECRET}}}}
  matrix:
    mode: client
    homeserver: http://127.0.0.1:{matrix.port}
    user_id: "@tandem:localhost"
    access_token: {{env: MATRIX_ACCESS_TOKEN}}
  webhook:
    channels:
      - {{name: ops, kind: signed, secret: {{env: TANDEM_E2E_SCRIPT_SECRET}}}}
      - {{name: river, url: {{env: TANDEM_E2E_RIVER_HOOK}}}}
      - {{name: city, url: {{env: TANDEM_E2E_CITY_HOOK}}, organization: {{collaboration: river, id: city}}}}
collaborations:
  - id: river
    name: River Restoration Alliance
    rooms:
      - {{platform: slack, workspace: {team}, id: C0123RIVER}}
      - {{platform: matrix, workspace: localhost, id: "!river:localhost"}}
      - {{platform: webhook, workspace: river, id: river}}
    organizations:
      - {{id: backbone, name: Riverside Backbone Trust}}
      - {{id: city, name: City of Millbrook}}
    people:
      - {{id: ana, name: Ana Lima, org: backbone, roles: [facilitator],
         identities: [{{platform: webhook, workspace: ops, user: ana}}]}}
      - {{id: emma, name: Emma Schulz, org: city, roles: [representative],
         identities: [{{platform: slack, workspace: {team}, user: U0123EMMA}}]}}
      - {{id: ben, name: Ben Okafor, org: city, roles: [participant],
         identities: [{{platform: matrix, workspace: localhost, user: "@ben:localhost"}}]}}
      - {{id: carla, name: Carla Reyes, org: city, roles: [alternate]}}
"""


def signed(body):
    ts = str(int(time.time()))
    digest = hmac.new(script_secret.encode(), f"v1:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Tandem-Timestamp": ts, "X-Tandem-Signature": "v1=" + digest}


def destinations_of(number):
    """Even numbers go to the rooms, odd ones to the city organization's people."""
    return room_destinations if number % 2 == 0 else people_destinations


def posted_numbers():
    """(platform, destination) -> the drill's numbers posted there, in order, repeats included."""
    numbers = defaultdict(list)
    for platform in platforms:
        with platform.lock:
            for destination, number, _ in platform.posted:
                if number is not None:
                    numbers[(platform.name, destination)].append(number)
    return numbers


def all_posted(expected):
    numbers = posted_numbers()
    return all(set(wanted) <= set(numbers[place]) for place, wanted in expected.items())


def metric(base, name):
    status, text = request(base + "/metrics")
    for line in text.splitlines() if status == 200 else []:
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


with tempfile.TemporaryDirectory() as tmp:
    folder = pathlib.Path(tmp)
    config = folder / "outage.yaml"
    config.write_text(config_text)
    env = dict(os.environ, SLACK_SIGNING_SECRET="8f742231b10e8888abcd99yyyzzz85a5", SLACK_BOT_TOKEN="xoxb-e2e",
               MATRIX_ACCESS_TOKEN=matrix_token, TANDEM_E2E_SCRIPT_SECRET=script_secret,
               TANDEM_E2E_RIVER_HOOK=hooks.url("river"), TANDEM_E2E_CITY_HOOK=hooks.url("city"))
    server = Serve(args.tandem, config, env, ["--listen", "127.0.0.1:0"])
    check(server.port is not None, f"serve listens: {server.port}")
    base = f"http://127.0.0.1:{server.port}"
    expected = defaultdict(list)  # (platform, destination) -> numbers acknowledged for it, in order
    acknowledged = []

    def broadcast(number):
        text = f'broadcast "drill m{number}"' + ("" if number % 2 == 0 else " to org:city")
        body = json.dumps({"id": f"drill-{number}", "user": "ana", "text": text})
        for _ in range(5):  # a script sends again until it is answered; the id makes it one command
            status, answer = request(base + "/webhook/ops", body.encode(), signed(body))
            if status == 200:
                acknowledged.append(number)
                for place in destinations_of(number):
                    expected[place].append(number)
                return json.loads(answer)
            time.sleep(0.5)
        return None

    ready = False
    deadline = time.monotonic() + 30
    while server.port is not None and time.monotonic() < deadline:
        status, answer = request(base + "/healthz")
        adapters = json.loads(answer).get("adapters", {}) if status == 200 else {}
        if adapters.get("slack") == "ok" and adapters.get("matrix") == "ok":
            ready = True
            break
        time.sleep(0.2)
    check(ready, f"Slack and Matrix are ready: {adapters}")

    # Before the outage: two broadcasts of each kind reach every destination (DMs opened, the
    # channels known), so what follows is the outage alone.
    number = 0
    first = None
    for number in range(1, 5):
        answer = broadcast(number)
        first = first or answer
    check(first is not None and first.get("reply") is not None and "3" in first["reply"].get("text", ""),
          f"a broadcast is answered with its count: {first}")
    deadline = time.monotonic() + 30
    while not all_posted(expected) and time.monotonic() < deadline:
        time.sleep(0.2)
    check(all_posted(expected), f"before the outage every broadcast arrives: {dict(posted_numbers())}")

    outage.begin()
    print(f"outage: {outage.length():.0f} s; " + "; ".join(
        f"{where}: " + ", ".join(f"{m} {s} s" for m, s in phases) for where, phases in outage.schedules.items()))
    while not outage.over() or time.monotonic() < outage.started + outage.length() + args.after:
        number += 1
        started = time.monotonic()
        broadcast(number)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    ended = outage.started + outage.length()
    deadline = time.monotonic() + args.drain
    while not all_posted(expected) and time.monotonic() < deadline:
        time.sleep(0.2)
    drained = time.monotonic()
    # The last outbox marks may still be on their way to the store.
    store = folder / "tandem.db"
    left = None
    settle = time.monotonic() + 10
    while time.monotonic() < settle:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
            left = dict(db.execute("SELECT state, count(*) FROM outbox WHERE state != 'sent' GROUP BY state").fetchall())
        if not left:
            break
        time.sleep(0.2)
    retries = metric(base, "tandem_outbox_retries_total") or 0
    sent = metric(base, "tandem_outbox_sent_total") or 0
    code = server.stop()
    for platform in platforms:
        platform.stop()

    # ---- what arrived --------------------------------------------------------------------------
    numbers = posted_numbers()
    queued = sum(len(wanted) for wanted in expected.values())
    during = [n for n in acknowledged if n > 4]
    check(len(acknowledged) == number, f"every broadcast was answered: {len(acknowledged)} of {number}")
    missing = {place: sorted(set(wanted) - set(numbers[place])) for place, wanted in expected.items()}
    missing = {place: lost for place, lost in missing.items() if lost}
    check(not missing, f"every queued message was delivered: {queued} queued, missing {missing}")

    # Repeats: a message posted more than once, and whether an attempt of it timed out after the
    # receiver posted it (the slow receiver) or its txn id was sent again (Matrix).
    slow_posted = defaultdict(set)
    for platform in platforms:
        for a in platform.attempts:
            if a.answer == SLOW:
                slow_posted[(platform.name, a.destination)].add(a.number)
    repeats = {place: {n: c for n, c in Counter(posted).items() if c > 1} for place, posted in numbers.items()}
    explained = Counter()
    unexplained = {}
    for place, repeated in repeats.items():
        for n, count in repeated.items():
            if place[0] != "matrix" and n in slow_posted[place]:
                explained[place[0]] += count - 1
            else:
                unexplained[f"{place[0]}:{place[1]}:m{n}"] = count
    check(not unexplained, f"no message posted twice except after a timeout at a receiver that had posted it: "
          f"{unexplained}")
    check(sum(1 for p in repeats if p[0] == "matrix" and repeats[p]) == 0 and matrix.retransmissions > 0,
          f"Matrix: no repeats; {matrix.retransmissions} retried txn ids were answered with their first event")

    disorder = {}
    for place, posted in numbers.items():
        firsts = list(dict.fromkeys(posted))
        if firsts != sorted(firsts):
            disorder[f"{place[0]}:{place[1]}"] = firsts
    check(not disorder, f"in order per destination: {disorder}")

    # Retry-After: the next attempt at the same destination after a 429 was written.
    early = []
    margins = defaultdict(list)  # platform -> (waited - asked) after each 429
    for platform in platforms:
        attempts = sorted(platform.attempts, key=lambda a: a.at)
        for i, a in enumerate(attempts):
            if a.answer != LIMITED or a.answered_at is None:
                continue
            later = next((b for b in attempts[i + 1:] if b.destination == a.destination and b.at > a.answered_at), None)
            if later is None:
                continue
            waited = later.at - a.answered_at
            margins[platform.name].append((waited, a.retry_after))
            if waited < a.retry_after:
                early.append(f"{platform.name}:{a.destination} {waited:.2f} s after a 429 asking {a.retry_after} s")
    check(all(margins[p.name] for p in platforms), f"every platform answered 429s that were retried: "
          f"{ {p.name: len(margins[p.name]) for p in platforms} }")
    check(not early, f"no attempt before its Retry-After: {early}")

    modes = {p.name: Counter(a.answer for a in p.attempts) for p in platforms}
    seen = Counter()
    for counted in modes.values():
        seen.update(counted)
    check(all(seen[m] > 0 for m in MODES), f"every failure mode was met by an attempt: {dict(seen)}")
    check(not left, f"no outbox row is left pending or failed: {left}")
    check(code == 0, f"serve stops with exit code 0 on SIGTERM: {code}")

    # ---- figures -------------------------------------------------------------------------------
    delivered = sum(len(set(posted)) for posted in numbers.values())
    others = sum(1 for p in platforms for _, n, _ in p.posted if n is None)
    print(f"figures: {len(acknowledged)} broadcasts ({len(during)} during or after the outage), {queued} messages "
          f"queued, {delivered} delivered, {sum(explained.values())} repeated after a timeout at the receiver "
          f"({dict(explained)}), {matrix.retransmissions} Matrix txn ids retried and deduplicated; outbox: "
          f"{sent:.0f} sent, {retries:.0f} retries; {others} other messages posted")
    for p in platforms:
        print(f"  {p.name}: {len(p.attempts)} attempts {dict(modes[p.name])}")
        if margins[p.name]:
            least = min(margins[p.name], key=lambda m: m[0] - m[1])
            print(f"    after {len(margins[p.name])} 429s the next attempt came {least[0]:.2f} s later at the "
                  f"earliest (asked {least[1]} s); waits: {', '.join(f'{w:.2f}' for w, _ in margins[p.name])}")
    print(f"  drained {drained - ended:.1f} s after the outage ended ({outage.length():.0f} s outage)")
    if failures:
        print("the bot's log (warnings and errors):")
        print("\n".join(line for line in server.log_lines if '"level":"info"' not in line)[-6000:])

finish()
