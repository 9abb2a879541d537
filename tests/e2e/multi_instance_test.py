#!/usr/bin/env python3
"""Several `tandem serve` on one PostgreSQL database, the leader killed with SIGKILL twice under
load. Three instances start on the same config; the first leads, the others follow. Load threads
send signed Slack channel messages and slash commands to any live instance, as a reverse proxy
would, and send again what was not acknowledged (a slash command is not sent again: Slack shows
the person an error). Thirty people have a daily nudge at the same minute. The leader is killed
while it delivers those nudges, and again a few seconds after a follower took over; each killed
instance is started again and follows.

At the end: every acknowledged event is one row of the responses table; every acknowledged slash
command is answered exactly once (in its HTTP answer or through its response_url); every nudge
was sent, and twice at most where Slack, which takes no idempotency key, had it in flight when its
sender was killed; nothing is left in the outbox; each failover took under 10 s (printed).

Usage: multi_instance_test.py TANDEM_BINARY [--instances 3] [--kills 2] [--seed N]
The database is a new one in the cluster CTest started (tests/postgresql/cluster.sh), whose URL
file TANDEM_TEST_POSTGRESQL_URL_FILE names.
"""
import argparse
import datetime
import json
import os
import pathlib
import random
import signal
import tempfile
import threading
import time
from collections import Counter

from e2e import (Serve, SlackWebApi, channel_message_event, check, failures, finish, post_to, psql, request,
                 send_as_slack, serve_in_background, signing_secret, skip, slack_ts, slash_command)

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("--instances", type=int, default=3)
parser.add_argument("--kills", type=int, default=2)
parser.add_argument("--seed", type=int, default=None)
args = parser.parse_args()
url_file = os.environ.get("TANDEM_TEST_POSTGRESQL_URL_FILE")
if not url_file or not pathlib.Path(url_file).exists():
    skip("no PostgreSQL cluster for the tests (run through ctest, which starts one)")
cluster = pathlib.Path(url_file).read_text().strip()
seed = args.seed if args.seed is not None else random.randrange(1 << 30)
rng = random.Random(seed)
database = f"tandem_multi_{rng.randrange(1 << 30)}"
team = "T0123ABCD"
nudged = [f"U0NUDGE{i:02d}" for i in range(30)]
print(f"seed {seed}: {args.instances} instances, {args.kills} leader kills")


def sql(statement, db=database):
    return psql(f"{cluster}/{db}", statement)


lock = threading.Lock()
response_url_answers = Counter()  # command number -> answers through its response_url
nudges_received = Counter()       # DM channel -> chat.postMessage calls
nudge_moments = []                # (monotonic time, channel) of each
nudge_arrived = threading.Event()


class slack_api(SlackWebApi):
    """Slack's Web API counting the commands' response_url answers and the nudges sent by DM."""

    def responded(self, n):
        with lock:
            response_url_answers[n] += 1

    def called(self, method, fields):
        channel = fields.get("channel", "")
        if method == "chat.postMessage" and channel.startswith("DU0NUDGE"):
            with lock:
                nudges_received[channel] += 1
                nudge_moments.append((time.monotonic(), channel))
                if sum(nudges_received.values()) >= 5:
                    nudge_arrived.set()


api = serve_in_background(slack_api)

# The nudges' minute: the next one at least 25 s away (start-up and load come first).
nudge_at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=85)).replace(second=0,
                                                                                                   microsecond=0)
people = "\n".join(
    f"      - {{id: n{i:02d}, name: Nudged {i:02d}, org: city, roles: [participant], tier: core, tz: UTC,\n"
    f"         identities: [{{platform: slack, workspace: {team}, user: {user}}}]}}" for i, user in enumerate(nudged))
config_text = f"""
store: {cluster}/{database}
http: {{listen: 127.0.0.1:0}}
engine: {{quiet_hours: "off", digest: never}}
tiers:
  core: {{schedule: "daily {nudge_at:%H:%M}", silence_after: 7d, recently_active: 2d}}
adapters:
  console: {{enabled: false}}
  slack:
    api_base_url: http://127.0.0.1:{api.server_port}/api/
    workspaces:
      - {{team_id: {team}, bot_token: {{env: SLACK_BOT_TOKEN}}, signing_secret: {{env: SLACK_SIGNING_SECRET}}}}
collaborations:
  - id: river
    name: River Restoration Alliance
    rooms:
      - {{platform: slack, workspace: {team}, id: C0123RIVER}}
    organizations:
      - {{id: backbone, name: Riverside Backbone Trust}}
      - {{id: city, name: City of Millbrook}}
    people:
      - {{id: ana, name: Ana Lima, org: backbone, roles: [facilitator], tier: observer,
         identities: [{{platform: slack, workspace: {team}, user: U0123ANA}}]}}
      - {{id: emma, name: Emma Schulz, org: city, roles: [representative], tier: observer,
         identities: [{{platform: slack, workspace: {team}, user: U0123EMMA}}]}}
{people}
"""


state = {"running": True}
instances = []  # the live Serve objects; the load picks one at random for each request
figures = Counter()
acked_events = set()
acked_commands = set()
answered_in_body = Counter()


def some_instance():
    """The port of a live instance, chosen at random (as a reverse proxy would), or None."""
    with lock:
        live = [s for s in instances if s.port is not None and s.process.poll() is None]
    return rng.choice(live).port if live else None


def event_load():
    n = 0
    while state["running"]:
        n += 1

        def to_some_instance(body, headers):
            port = some_instance()
            return post_to(port, "/slack/events", body, headers)[0] if port else None

        # Slack sends an event again until it is acknowledged (here: until 50 tries after the load).
        acknowledged, tries = send_as_slack(to_some_instance, channel_message_event(n, team, authorized_bot=True), 0.05,
                                            lambda tries: state["running"] or tries < 50)
        figures["event requests"] += tries
        if acknowledged:
            acked_events.add(slack_ts(n))


def command_load():
    n = 0
    while state["running"]:
        n += 1
        port = some_instance()
        if port is None:
            time.sleep(0.05)
            continue
        body, headers = slash_command(n, team, f"http://127.0.0.1:{api.server_port}/respond/{n}")
        status, answer = post_to(port, "/slack/commands", body, headers)
        figures["commands"] += 1
        if status == 200:
            acked_commands.add(n)
            if answer.strip():
                answered_in_body[n] += 1
        time.sleep(0.1)


def roles():
    """instance -> "leader"/"follower" (or None when it does not answer)."""
    found = {}
    for s in list(instances):
        if s.process.poll() is not None:
            continue
        status, body = request(f"http://127.0.0.1:{s.port}/healthz")
        found[s] = json.loads(body).get("role") if status == 200 else None
    return found


def leader(timeout):
    """The live instance that says it leads, waiting up to `timeout` seconds; None when none does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leading = [s for s, role in roles().items() if role == "leader"]
        if leading:
            return leading[0]
        time.sleep(0.05)
    return None


sql(f"CREATE DATABASE {database}", db="postgres")
try:
    with tempfile.TemporaryDirectory() as folder:
        config = pathlib.Path(folder) / "multi.yaml"
        config.write_text(config_text)
        env = dict(os.environ, SLACK_SIGNING_SECRET=signing_secret, SLACK_BOT_TOKEN="xoxb-e2e")
        killed = []
        started = time.monotonic()
        for _ in range(args.instances):
            instance = Serve(args.tandem, config, env)
            check(instance.port is not None, "tandem serve starts on the shared database and listens")
            instances.append(instance)
        first = leader(10)
        check(first is instances[0], "the first instance leads, the others follow")
        check(sorted(r for r in roles().values()) == ["follower"] * (args.instances - 1) + ["leader"],
              f"exactly one leads: {sorted(roles().values())}")
        loads = [threading.Thread(target=event_load), threading.Thread(target=command_load)]
        for load in loads:
            load.start()

        failovers = []
        kill_moments = []
        for kill in range(args.kills):
            if kill == 0:
                # While the leader delivers the nudges: after the fifth has reached Slack.
                check(nudge_arrived.wait(timeout=150), "the nudges' minute came and they are being delivered")
            else:
                time.sleep(rng.uniform(2, 4))
            old = leader(10)
            check(old is not None, "an instance leads before the kill")
            if old is None:
                break
            old.process.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            kill_moments.append(killed_at)
            old.process.wait()
            killed.append(old)
            new = leader(15)
            failovers.append(time.monotonic() - killed_at)
            check(new is not None and new is not old, f"a follower took the lead after kill {kill + 1}")
            replacement = Serve(args.tandem, config, env)
            check(replacement.port is not None, "the killed instance starts again, and follows")
            with lock:
                instances.remove(old)
                instances.append(replacement)

        time.sleep(2.0)
        state["running"] = False
        for load in loads:
            load.join(timeout=60)
        # What the last leader still owes: answers through response_urls, nudges.
        deadline = time.monotonic() + 30
        pending = None
        while time.monotonic() < deadline:
            pending = int(sql("SELECT count(*) FROM outbox WHERE state = 'pending'")[0])
            if pending == 0 and len(nudges_received) == len(nudged):
                break
            time.sleep(0.2)
        codes = [s.stop() for s in instances]
        elapsed = time.monotonic() - started
        api.shutdown()

        keys = Counter(sql("SELECT dedup_key FROM responses"))
        unhandled = int(sql("SELECT count(*) FROM responses WHERE handled = 0")[0])
        stored_events = {k.rsplit(":", 1)[1] for k in keys if k.startswith(f"slack:{team}:C0123RIVER:")}
        stored_commands = {int(k.rsplit("-", 1)[1]) for k in keys if k.startswith(f"slack:{team}:command:trig-")}
        answers = Counter()
        for n in set(answered_in_body) | set(response_url_answers):
            answers[n] = answered_in_body[n] + response_url_answers[n]
        unanswered = sorted(n for n in acked_commands if answers[n] == 0)
        twice = {n: (answered_in_body[n], response_url_answers[n]) for n, a in answers.items() if a > 1}
        never_answered = sorted(n for n in stored_commands - acked_commands if answers[n] == 0)
        # A nudge may go twice only if Slack had it when its sender was killed: it reached Slack
        # within the second before a kill of the instance sending it.
        repeated = {c: n for c, n in nudges_received.items() if n > 1}
        print(f"{elapsed:.1f} s: {len(killed)} leader kills, failovers {', '.join(f'{f:.2f} s' for f in failovers)}; "
              f"{len(acked_events)} events acknowledged ({figures['event requests']} requests), "
              f"{figures['commands']} slash commands ({len(acked_commands)} acknowledged, {len(stored_commands)} "
              f"stored, {sum(answered_in_body.values())} answered in the HTTP answer, "
              f"{sum(response_url_answers.values())} through the response_url); nudges: "
              f"{sum(nudges_received.values())} sent to {len(nudges_received)} people, repeated {repeated}")
        check(len(killed) == args.kills, f"{len(killed)} leaders killed with SIGKILL under load")
        check(all(f < 10 for f in failovers), f"every failover took under 10 s: {failovers}")
        check(acked_events and acked_commands, "events and commands were acknowledged")
        check(all(count == 1 for count in keys.values()), "every stored event is one row")
        lost = acked_events - stored_events
        check(not lost, f"every acknowledged event is stored: {len(lost)} missing {sorted(lost)[:3]}")
        check(unhandled == 0, f"every stored event was handled by a leader: {unhandled} not")
        check(not unanswered, f"every acknowledged slash command is answered: {len(unanswered)} not {unanswered[:5]}")
        check(not twice, f"no slash command is answered twice (in the HTTP answer, through the response_url): {twice}")
        check(len(never_answered) <= len(killed), f"at most one unacknowledged command a kill is never answered: "
                                                  f"{never_answered}")
        check(set(nudges_received) == {"D" + user for user in nudged},
              f"every nudge was sent: {len(nudges_received)} of {len(nudged)}")
        in_flight_at_a_kill = {c for t, c in nudge_moments if any(k - 1.0 <= t <= k for k in kill_moments)}
        check(all(n == 2 and c in in_flight_at_a_kill for c, n in repeated.items()),
              f"a nudge went twice only when it reached Slack within the second before a kill: {repeated}")
        check(pending == 0, f"every outbox row is sent or settled: {pending} pending")
        check(all(code == 0 for code in codes), f"every instance stops with 0 on SIGTERM: {codes}")
        if failures:
            for s in instances + killed:
                print("\n".join(line for line in s.log_lines if '"level":"info"' not in line)[-3000:])
finally:
    sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", db="postgres")
finish()
