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
import hashlib
import hmac
import http.client
import http.server
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "e2e"))
from e2e import Serve, request  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("tandem")
parser.add_argument("url")
parser.add_argument("--commands", type=int, default=400)
parser.add_argument("--kills", type=int, default=10)
args = parser.parse_args()
secret = "8f742231b10e8888abcd99yyyzzz85a5"
team = "T0123ABCD"
answered = {}  # command number -> monotonic time its response_url was called
answered_event = threading.Condition()


class slack_api(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = urllib.parse.urlparse(self.path).path
        if path.startswith("/respond/"):
            with answered_event:
                answered.setdefault(int(path.rsplit("/", 1)[1]), time.monotonic())
                answered_event.notify_all()
            body = {"ok": True}
        elif path.endswith("auth.test"):
            body = {"ok": True, "user_id": "UBOT", "team_id": team, "bot_id": "B1"}
        else:
            body = {"ok": True, "channel": "C0123RIVER", "ts": "1765000000.000001"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class quiet_server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


api = quiet_server(("127.0.0.1", 0), slack_api)
threading.Thread(target=api.serve_forever, daemon=True).start()


def psql(statement):
    result = subprocess.run(["psql", args.url, "-Atc", statement], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"psql {statement}: {result.stderr}")
    return [line for line in result.stdout.splitlines() if line]


def command(port, n):
    """Sends slash command n to the instance on `port`; (status, whether the answer held the reply)."""
    body = urllib.parse.urlencode({
        "token": "x", "team_id": team, "team_domain": "river", "channel_id": "C0123RIVER", "channel_name": "river",
        "user_id": "U0123ANA", "user_name": "ana", "command": "/tandem", "text": "tasks", "api_app_id": "A1",
        "trigger_id": f"trig-{n}", "response_url": f"http://127.0.0.1:{api.server_port}/respond/{n}"})
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/slack/commands", body, {
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + digest})
        response = connection.getresponse()
        return response.status, bool(response.read().strip())
    except (OSError, http.client.HTTPException):
        return None, False
    finally:
        connection.close()


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
    env = dict(os.environ, SLACK_SIGNING_SECRET=secret, SLACK_BOT_TOKEN="xoxb-bench")
    leader = Serve(args.tandem, config, env)
    follower = Serve(args.tandem, config, env)
    assert leader.port and follower.port, "both instances start"
    assert role(leader) == "leader" and role(follower) == "follower", "the first leads"
    # Stamps of the server's own clock on each row, for the time from a command to its reply.
    psql("ALTER TABLE responses ADD COLUMN bench_at timestamptz DEFAULT clock_timestamp();"
         "ALTER TABLE outbox ADD COLUMN bench_at timestamptz DEFAULT clock_timestamp()")

    sent = {}  # n -> (role, monotonic send time)
    waited = {"leader": [], "follower": []}
    for n in range(args.commands):
        target = leader if n % 2 == 0 else follower
        started = time.monotonic()
        status, in_answer = command(target.port, n)
        sent[n] = ("leader" if target is leader else "follower", started)
        if in_answer:
            waited[sent[n][0]].append(time.monotonic() - started)
        time.sleep(0.05)
    deadline = time.monotonic() + 10
    with answered_event:
        while time.monotonic() < deadline and sum(1 for n in sent if n in answered) < sum(
                1 for n, (who, _) in sent.items() if who == "follower"):
            answered_event.wait(timeout=0.5)
    for n, (who, started) in sent.items():
        if n in answered and (who == "follower" or not waited[who]):
            waited[who].append(answered[n] - started)
    rows = psql("SELECT r.dedup_key, extract(epoch FROM o.bench_at - r.bench_at) FROM responses r "
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
