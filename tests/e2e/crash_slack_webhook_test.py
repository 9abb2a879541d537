#!/usr/bin/env python3
"""Nothing lost, nothing twice across SIGKILL, for Slack and webhooks: `tandem serve` takes signed
Slack events and slash commands and signed webhook messages from two load threads while it is
killed with SIGKILL at random moments and started again on the same store and port. The load
threads send as the platforms do: a Slack event or webhook message not acknowledged (refused
connection, reset, 503) is sent again, a slash command is not (Slack shows the person an error
and they type it again, a new command). The local Slack Web API takes the bot's calls and the
commands' response_url answers.

At the end: every acknowledged event and message is one row of the store's responses table, and
no slash command is answered twice (in its HTTP answer and through its response_url, or twice
through either), the acknowledged ones exactly once. A reply goes into the HTTP answer only once
its outbox row is marked sent durably, so a kill between the two loses that answer (the command
is then not acknowledged: Slack shows an error and the person types it again), never repeats it.

Usage: crash_slack_webhook_test.py TANDEM_BINARY REPO_ROOT [--kills 20] [--seed N] [--command-every 10]
"""
import argparse
import hashlib
import hmac
import json
import os
import pathlib
import random
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections import Counter

from e2e import (SlackWebApi, channel_message_event, check, failures, finish, post_to, send_as_slack,
                 serve_in_background, signing_secret, slack_ts, slash_command)

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("root")
parser.add_argument("--kills", type=int, default=20)
parser.add_argument("--seed", type=int, default=None)
parser.add_argument("--command-every", type=int, default=10)
args = parser.parse_args()
seed = args.seed if args.seed is not None else random.randrange(1 << 30)
rng = random.Random(seed)
script_secret = "e2e-script-secret-value"
team = "T0123ABCD"
print(f"seed {seed}: {args.kills} kills under Slack and webhook load")

answers_lock = threading.Lock()
response_url_answers = Counter()  # command number -> answers through its response_url
api_calls = Counter()


class slack_api(SlackWebApi):
    """Slack's Web API counting the bot's calls and the commands' response_url answers."""
    zone = "Europe/Berlin"

    def responded(self, n):
        with answers_lock:
            response_url_answers[n] += 1

    def called(self, method, fields):
        with answers_lock:
            api_calls[method] += 1


api = serve_in_background(slack_api)
with socket.socket() as probe:  # a free port for every run of the bot: the load threads keep it
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]

config_text = f"""
store: tandem.db
http: {{listen: 127.0.0.1:{port}}}
log: {{level: warn}}
engine: {{quiet_hours: "off"}}
adapters:
  console: {{enabled: false}}
  slack:
    api_base_url: http://127.0.0.1:{api.server_port}/api/
    workspaces:
      - {{team_id: {team}, bot_token: {{env: SLACK_BOT_TOKEN}}, signing_secret: {{env: SLACK_SIGNING_SECRET}}}}
  webhook:
    channels:
      - {{name: ops, kind: signed, secret: {{env: TANDEM_E2E_SCRIPT_SECRET}}}}
collaborations:
  - id: river
    name: River Restoration Alliance
    rooms:
      - {{platform: slack, workspace: {team}, id: C0123RIVER}}
    organizations:
      - {{id: backbone, name: Riverside Backbone Trust}}
      - {{id: city, name: City of Millbrook}}
    people:
      - {{id: ana, name: Ana Lima, org: backbone, roles: [facilitator],
         identities: [{{platform: slack, workspace: {team}, user: U0123ANA}}, {{platform: webhook, workspace: ops, user: ana}}]}}
      - {{id: emma, name: Emma Schulz, org: city, roles: [representative],
         identities: [{{platform: slack, workspace: {team}, user: U0123EMMA}}]}}
"""


def post(path, body, headers):
    return post_to(port, path, body, headers)


state = {"running": True}
figures = Counter()
acked_slack = set()       # message ts of acknowledged events
acked_commands = set()    # numbers of slash commands answered 200
answered_in_body = Counter()
acked_webhook = set()     # ids of acknowledged webhook messages


def slack_load():
    n = 0
    while state["running"]:
        n += 1
        if n % args.command_every == 0:
            body, headers = slash_command(n, team, f"http://127.0.0.1:{api.server_port}/respond/{n}")
            status, answer = post("/slack/commands", body, headers)
            figures["commands"] += 1
            if status == 200:
                acked_commands.add(n)
                if answer.strip():
                    answered_in_body[n] += 1
            continue
        # Slack sends an event again until it is acknowledged.
        acknowledged, tries = send_as_slack(lambda body, headers: post("/slack/events", body, headers)[0],
                                            channel_message_event(n, team), 0.02, lambda tries: True)
        figures["slack requests"] += tries
        if acknowledged:
            acked_slack.add(slack_ts(n))


def webhook_load():
    n = 0
    while state["running"]:
        n += 1
        body = json.dumps({"id": f"w-{n}", "user": "ana", "text": f"note {n}"})
        while True:
            ts = str(int(time.time()))
            digest = hmac.new(script_secret.encode(), f"v1:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
            status, _ = post("/webhook/ops", body, {"Content-Type": "application/json", "X-Tandem-Timestamp": ts,
                                                    "X-Tandem-Signature": "v1=" + digest})
            figures["webhook requests"] += 1
            if status == 200:
                acked_webhook.add(f"w-{n}")
                break
            time.sleep(0.02)


with tempfile.TemporaryDirectory() as tmp:
    folder = pathlib.Path(tmp)
    store = folder / "tandem.db"
    config = folder / "tandem.yaml"
    config.write_text(config_text)
    env = dict(os.environ, SLACK_SIGNING_SECRET=signing_secret, SLACK_BOT_TOKEN="xoxb-e2e",
               TANDEM_E2E_SCRIPT_SECRET=script_secret)
    log = open(folder / "tandem.log", "w")

    def start_bot():
        return subprocess.Popen([args.tandem, "serve", "--config", str(config)], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)

    started = time.monotonic()
    bot = start_bot()
    loads = [threading.Thread(target=slack_load), threading.Thread(target=webhook_load)]
    for load in loads:
        load.start()
    kills = 0
    for _ in range(args.kills):
        time.sleep(rng.uniform(0.4, 1.6))
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        kills += 1
        time.sleep(rng.uniform(0, 0.2))
        bot = start_bot()
    time.sleep(1.0)
    state["running"] = False
    for load in loads:
        load.join(timeout=60)
    # What the last run still owes: answers through response_urls, outbox rows being marked.
    drain_deadline = time.monotonic() + 20
    unsent = None
    while time.monotonic() < drain_deadline:
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5) as db:
                unsent = db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0]
        except sqlite3.Error:
            unsent = None
        if unsent == 0:
            break
        time.sleep(0.1)
    bot.send_signal(signal.SIGTERM)
    try:
        code = bot.wait(timeout=15)
    except subprocess.TimeoutExpired:
        bot.kill()
        code = None
    elapsed = time.monotonic() - started
    log.close()
    api.shutdown()

    db = sqlite3.connect(store)
    keys = Counter(row[0] for row in db.execute("SELECT dedup_key FROM responses"))
    outbox_states = Counter(row[0] for row in db.execute("SELECT state FROM outbox"))
    db.close()
    slack_keys = {k.rsplit(":", 1)[1] for k in keys if k.startswith(f"slack:{team}:C0123RIVER:")}
    webhook_keys = {k.split(":", 2)[2] for k in keys if k.startswith("webhook:ops:")}
    stored_commands = {int(k.rsplit("-", 1)[1]) for k in keys if k.startswith(f"slack:{team}:command:trig-")}
    lost_slack = acked_slack - slack_keys
    lost_webhook = acked_webhook - webhook_keys
    answers = Counter()
    for n in set(answered_in_body) | set(response_url_answers):
        answers[n] = answered_in_body[n] + response_url_answers[n]
    unanswered = [n for n in acked_commands if answers[n] == 0]
    twice = {n: (answered_in_body[n], response_url_answers[n]) for n, a in answers.items() if a > 1}
    # Killed between a reply's durable sent mark and its HTTP answer's write: never answered, and
    # not acknowledged either (the person sees Slack's error and types the command again).
    never_answered = sorted(n for n in stored_commands - acked_commands if answers[n] == 0)
    unstored_answers = [n for n in answers if n not in stored_commands]
    print(f"{elapsed:.1f} s: {kills} SIGKILLs; Slack: {len(acked_slack)} events acknowledged "
          f"({figures['slack requests']} requests), {figures['commands']} slash commands "
          f"({len(acked_commands)} acknowledged, {len(stored_commands)} stored, "
          f"{sum(answered_in_body.values())} answered in the HTTP answer, "
          f"{sum(response_url_answers.values())} through the response_url, {len(stored_commands - acked_commands)} stored but "
          f"not acknowledged, {len(never_answered)} of them never answered); webhook: {len(acked_webhook)} messages "
          f"acknowledged ({figures['webhook requests']} requests); outbox {dict(outbox_states)}")
    check(kills == args.kills, f"{kills} SIGKILLs under load")
    check(len(acked_slack) > 0 and len(acked_webhook) > 0 and len(acked_commands) > 0,
          "events, messages and commands were acknowledged")
    check(all(count == 1 for count in keys.values()), "every stored event is one row")
    check(not lost_slack, f"every acknowledged Slack event is stored: {len(lost_slack)} missing {sorted(lost_slack)[:3]}")
    check(not lost_webhook, f"every acknowledged webhook message is stored: {len(lost_webhook)} missing "
          f"{sorted(lost_webhook)[:3]}")
    check(not unanswered, f"every acknowledged slash command is answered: {len(unanswered)} not {sorted(unanswered)[:5]}")
    check(not twice, f"no slash command is answered twice (command: (in the HTTP answer, through the "
          f"response_url)): {twice}")
    check(not unstored_answers, f"only stored commands are answered: {unstored_answers[:5]}")
    check(len(never_answered) <= kills, f"at most one unacknowledged command a kill is never answered (killed "
          f"between its reply's sent mark and the answer's write): {len(never_answered)} {never_answered[:5]}")
    check(unsent == 0, f"every outbox row is sent or settled: {unsent} pending")
    check(code == 0, f"the last run stops with exit code 0 on SIGTERM: {code}")
    if failures:
        print("the bot's log (warnings and errors):")
        print((folder / "tandem.log").read_text()[-4000:])

finish()
