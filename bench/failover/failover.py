#!/usr/bin/env python3
"""Two `tandem serve` on one PostgreSQL database (bench/failover/run.sh starts the cluster): how
fast a follower answers a command compared with the leader, and how long a failover takes.

Replies: COMMANDS slash commands (`/tandem tasks`), one every 50 ms, alternately to the leader and
to the follower. For each, the time from its row in `responses` to its reply's row in `outbox`
(both stamped by the server with clock_timestamp(): the benchmark adds a column to each table),
and the time the sender waits for the reply: the command's HTTP answer when it carries the reply
(the leader, which holds the answer up to 2 s for it), else the POST to its response_url.

Failover: KILLS times, the leader is killed with SIGKILL; the time until the other instance's
/healthz says it leads, and until a command sent to it right after the kill is answered through
its HTTP answer or its response_url; then the killed one starts again and follows.

Usage: failover.py TANDEM_BINARY POSTGRESQL_URL [--commands 400] [--kills 10]
The last line, `summary {json}`, is for bench/run-all.sh.
"""
import argparse
import json
import os
import pathlib
import signal
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from e2e import (Serve, SlackWebApi, post_to, psql, request, serve_in_background, signing_secret,  # noqa: E402
                 slash_command)

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("url")
parser.add_argument("--commands", type=int, default=400)
parser.add_argument("--kills", type=int, default=10)
args = parser.parse_args()
team = "T0123ABCD"
answered = {}  # command number -> monotonic time its response_url was called
answered_event = threading.Condition()


class slack_api(SlackWebApi):
    """Slack's Web API noting when each command's response_url is called first."""

    def responded(self, n):
        with answered_event:
            answered.setdefault(n, time.monotonic())
            answered_event.notify_all()


api = serve_in_background(slack_api)


def command(port, n):
    """Sends slash command n to the instance on `port`; (status, whether the answer held the reply)."""
    body, headers = slash_command(n, team, f"http://127.0.0.1:{api.server_port}/respond/{n}")
    status, answer = post_to(port, "/slack/commands", body, headers)
    return status, bool(answer.strip())


def role(serve):
    status, body = request(f"http://127.0.0.1:{serve.port}/healthz")
    return json.loads(body).get("role") if status == 200 else None


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


config_text = f"""
store: {args.url}
http: {{listen: 127.0.0.1:0}}
engine: {{quiet_hours: "off"}}
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
    people:
      - {{id: ana, name: Ana Lima, org: backbone, roles: [facilitator], tier: observer,
         identities: [{{platform: slack, workspace: {team}, user: U0123ANA}}]}}
"""

with tempfile.TemporaryDirectory() as folder:
    config = pathlib.Path(folder) / "failover.yaml"
    config.write_text(config_text)
    env = dict(os.environ, SLACK_SIGNING_SECRET=signing_secret, SLACK_BOT_TOKEN="xoxb-bench")
    leader = Serve(args.tandem, config, env)
    follower = Serve(args.tandem, config, env)
    assert leader.port and follower.port, "both instances start"
    assert role(leader) == "leader" and role(follower) == "follower", "the first leads"
    # Stamps of the server's own clock on each row, for the time from a command to its reply.
    psql(args.url, "ALTER TABLE responses ADD COLUMN bench_at timestamptz DEFAULT clock_timestamp();"
         "ALTER TABLE outbox ADD COLUMN bench_at timestamptz DEFAULT clock_timestamp()")

    sent = {}  # n -> (role, monotonic send time)
    in_answer_at = {}  # n -> when its HTTP answer came, if that carried the reply

    def send(n, target):
        # A follower holds a command's HTTP answer for up to 2 s (the reply goes through its
        # response_url), so each command has a thread of its own and they go at a steady rate.
        sent[n] = ("leader" if target is leader else "follower", time.monotonic())
        _, in_answer = command(target.port, n)
        if in_answer:
            in_answer_at[n] = time.monotonic()

    senders = []
    for n in range(args.commands):
        senders.append(threading.Thread(target=send, args=(n, leader if n % 2 == 0 else follower)))
        senders[-1].start()
        time.sleep(0.05)
    for sender in senders:
        sender.join()
    deadline = time.monotonic() + 10
    with answered_event:
        while time.monotonic() < deadline and any(n not in answered and n not in in_answer_at for n in sent):
            answered_event.wait(timeout=0.5)
    waited = {"leader": [], "follower": []}  # from sending a command to having its reply
    for n, (who, started) in sent.items():
        if (replied := in_answer_at.get(n, answered.get(n))) is not None:
            waited[who].append(replied - started)
    rows = psql(args.url, "SELECT r.dedup_key, extract(epoch FROM o.bench_at - r.bench_at) FROM responses r "
                "JOIN outbox o ON o.key = 'reply:' || r.dedup_key || ':0' WHERE r.dedup_key LIKE '%:command:trig-%'")
    to_reply_row = {"leader": [], "follower": []}
    for line in rows:
        key, seconds = line.split("|")
        to_reply_row[sent[int(key.rsplit("-", 1)[1])][0]].append(float(seconds))

    failovers, replies_after = [], []
    n = args.commands
    for kill in range(args.kills):
        leader.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        leader.process.wait()
        n += 1
        in_answer_at = []  # when the command's HTTP answer came, if it carried the reply

        def send_at_the_kill(port=follower.port, number=n):
            _, in_answer = command(port, number)
            if in_answer:
                in_answer_at.append(time.monotonic())

        sender = threading.Thread(target=send_at_the_kill)
        sender.start()
        while role(follower) != "leader":
            time.sleep(0.005)
        failovers.append(time.monotonic() - killed_at)
        sender.join()
        with answered_event:
            while not in_answer_at and n not in answered and time.monotonic() - killed_at < 30:
                answered_event.wait(timeout=0.5)
        replied = in_answer_at[0] if in_answer_at else answered.get(n, float("nan"))
        replies_after.append(replied - killed_at)
        leader, follower = follower, Serve(args.tandem, config, env)
        assert follower.port and role(follower) == "follower", "the killed instance comes back and follows"
    leader.stop()
    follower.stop()

ms = lambda s: s * 1000  # noqa: E731
summary = {"commands": args.commands, "kills": args.kills}
print(f"Two instances on one PostgreSQL database; {args.commands} slash commands, half to each:")
for who in ("leader", "follower"):
    rows_ms = [ms(s) for s in to_reply_row[who]]
    waits_ms = [ms(s) for s in waited[who]]
    summary[who] = {"to_reply_row_p50_ms": statistics.median(rows_ms), "to_reply_row_p99_ms": percentile(rows_ms, 99),
                    "reply_p50_ms": statistics.median(waits_ms), "reply_p99_ms": percentile(waits_ms, 99),
                    "count": len(rows_ms)}
    print(f"  received by the {who}: command row to reply row p50 {summary[who]['to_reply_row_p50_ms']:.1f} ms, "
          f"p99 {summary[who]['to_reply_row_p99_ms']:.1f} ms; the sender has the reply after p50 "
          f"{summary[who]['reply_p50_ms']:.1f} ms, p99 {summary[who]['reply_p99_ms']:.1f} ms ({len(rows_ms)} commands)")
summary["failover_s"] = failovers
summary["reply_after_kill_s"] = replies_after
print(f"Failover, {args.kills} kills of the leader (SIGKILL): the other leads after median "
      f"{statistics.median(failovers):.2f} s, at most {max(failovers):.2f} s; a command sent to it at the kill is "
      f"answered after median {statistics.median(replies_after):.2f} s, at most {max(replies_after):.2f} s")
print("summary " + json.dumps(summary))
