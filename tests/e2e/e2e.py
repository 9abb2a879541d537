"""What the end-to-end scripts share: named checks with a summary, plain HTTP requests,
`tandem serve` started with JSON logs, read until it says which port it listens on, and a config
with a Slack workspace and a signed webhook channel, with the signed requests they take."""
import contextlib
import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

failures = []
skipped_exit_code = 77  # SKIP_RETURN_CODE of these tests in tests/CMakeLists.txt


def check(condition, what):
    """Prints `what` as ok or FAIL; a failure is remembered for `finish`."""
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def finish():
    """Prints the summary and ends the script: exit status 1 when any check failed."""
    print("e2e: " + ("all checks passed" if not failures else f"{len(failures)} checks failed"))
    sys.exit(1 if failures else 0)


def skip(reason):
    """Ends the script as skipped (ctest says so, never "passed"), saying why."""
    print("e2e: skipped: " + reason)
    sys.exit(skipped_exit_code)


def demo_config(root, folder, any_hour=False, listen="127.0.0.1:0"):
    """Writes the demo config into `folder`, listening at `listen` (by default a free port), and
    returns its path. With `any_hour`, nobody has quiet hours: messages held until someone's morning
    would make the checks depend on the time of day the test runs at."""
    demo = (root / "deploy" / "demo.yaml").read_text().replace("listen: 127.0.0.1:8080", "listen: " + listen)
    if any_hour:
        demo = "\n".join(line for line in demo.splitlines() if not line.strip().startswith("quiet:")) + "\n"
        demo = demo.replace('quiet_hours: "20:00-08:00"', 'quiet_hours: "off"')
    config = folder / "demo.yaml"
    config.write_text(demo)
    return config


def run_console(binary, config, person, lines, env=None):
    """`tandem console --config CONFIG --as PERSON` with `lines` typed, then the end of input, in
    `env` (default: this process's environment); prints what it said and returns the finished
    process."""
    result = subprocess.run([binary, "console", "--config", str(config), "--as", person],
                            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=30, env=env)
    print(result.stdout)
    if result.stderr:
        print("stderr:", result.stderr)
    return result


def request(url, body=None, headers=None, method=None):
    """(status, body text) of one request: a POST when there is a body, else a GET."""
    req = urllib.request.Request(url, data=body, headers=headers or {},
                                 method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_to(port, path, body, headers):
    """(status, body text) of one POST to 127.0.0.1:`port`, or (None, "") when nobody answered
    (refused, reset, closed)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    except (ConnectionError, OSError, http.client.HTTPException):
        return None, ""
    finally:
        connection.close()


def psql(url, statement):
    """The rows `statement` returns in the PostgreSQL database `url`, as lines of text."""
    result = subprocess.run(["psql", url, "-Atc", statement], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"psql {statement}: {result.stderr}")
    return [line for line in result.stdout.splitlines() if line]


class Serve:
    """`tandem serve --config CONFIG --log-format json [ARGS]`; `port` is None when it never said
    where it listens (within 20 s). Every log line is kept in `log_lines`: once the port is known
    a thread reads on, so a long run never blocks on a full pipe."""

    def __init__(self, binary, config, env, args=()):
        self.process = subprocess.Popen([binary, "serve", "--config", str(config), "--log-format", "json", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.log_lines = []
        self.port = None
        deadline = time.monotonic() + 20
        while self.port is None and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log_lines.append(line.rstrip("\n"))
            message = json.loads(line)["message"]
            if "listening on http://127.0.0.1:" in message:
                self.port = int(message.split("listening on http://127.0.0.1:")[1].split()[0])
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()

    def _read_log(self):
        for line in self.process.stderr:
            self.log_lines.append(line.rstrip("\n"))

    def wait(self, timeout):
        """Waits up to `timeout` seconds for it to end by itself; its exit code, the log complete."""
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=15)
        return code

    def stop(self):
        """Sends SIGTERM, waits up to 15 s (then kills), keeps the rest of the log; the exit code
        or None when it had to be killed."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        self.reader.join(timeout=15)
        return code


# --- a Slack workspace and a signed webhook channel ------------------------------------------------

signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
script_secret = "e2e-script-secret-value"


def slack_signed(body, content_type):
    """The headers of a request body Slack signs now with `signing_secret`."""
    ts = str(int(time.time()))
    digest = hmac.new(signing_secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest}


def channel_message_event(n, team, authorized_bot=False):
    """Slack's envelope of Emma's message number `n` in channel C0123RIVER (ts slack_ts(n)), with
    the bot named in `authorizations` when `authorized_bot`."""
    envelope = {"token": "x", "team_id": team, "api_app_id": "A1", "type": "event_callback",
                "event_id": f"Ev{n:08d}", "event_time": int(time.time()),
                "event": {"type": "message", "channel": "C0123RIVER", "channel_type": "channel", "user": "U0123EMMA",
                          "text": f"update {n}", "ts": slack_ts(n)}}
    if authorized_bot:
        envelope["authorizations"] = [{"team_id": team, "user_id": "UBOT", "is_bot": True}]
    return json.dumps(envelope)


def send_as_slack(send, body, pause, go_on):
    """Sends an event the way Slack does: signed anew each time, and again with X-Slack-Retry-Num
    until it is acknowledged. `send(body, headers)` gives the status (None when nobody answered);
    `go_on(tries)` says whether to try again. Returns (acknowledged, tries)."""
    tries = 0
    while True:
        headers = slack_signed(body, "application/json")
        if tries:
            headers["X-Slack-Retry-Num"] = str(tries)
        status = send(body, headers)
        tries += 1
        if status == 200:
            return True, tries
        if not go_on(tries):
            return False, tries
        time.sleep(pause)


def slash_command(n, team, response_url):
    """Ana's `/tandem tasks` in channel C0123RIVER, number `n` (trigger `trig-n`): (body, headers)."""
    body = urllib.parse.urlencode({
        "token": "x", "team_id": team, "team_domain": "river", "channel_id": "C0123RIVER", "channel_name": "river",
        "user_id": "U0123ANA", "user_name": "ana", "command": "/tandem", "text": "tasks", "api_app_id": "A1",
        "trigger_id": f"trig-{n}", "response_url": response_url})
    return body, slack_signed(body, "application/x-www-form-urlencoded")


class SlackWebApi(http.server.BaseHTTPRequestHandler):
    """Slack's Web API for the bot and the commands' response_urls (`/respond/N`): auth.test names
    the bot UBOT of `team`, conversations.open opens the DM "D" + the user, users.info gives
    `zone`, anything else is ok. A subclass records what it needs in `responded(n)` and
    `called(method, fields)` (called on the server's threads)."""
    protocol_version = "HTTP/1.1"
    team = "T0123ABCD"
    zone = "UTC"

    def responded(self, n):
        pass

    def called(self, method, fields):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        path = urllib.parse.urlparse(self.path).path
        if path.startswith("/respond/"):
            self.responded(int(path.rsplit("/", 1)[1]))
            return self.answer({"ok": True})
        method = path.rsplit("/", 1)[1]
        fields = json.loads(body) if body.startswith("{") else dict(urllib.parse.parse_qsl(body))
        self.called(method, fields)
        if method == "auth.test":
            return self.answer({"ok": True, "user_id": "UBOT", "team_id": self.team, "bot_id": "B1"})
        if method == "conversations.open":
            return self.answer({"ok": True, "channel": {"id": "D" + fields.get("users", "")}})
        if method == "users.info":
            return self.answer({"ok": True, "user": {"id": fields.get("user", ""), "tz": self.zone}})
        self.answer({"ok": True, "channel": fields.get("channel", ""), "ts": "1765000000.000001"})

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    """A threaded local server that does not print the connections a killed bot resets."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def serve_in_background(handler):
    """A QuietServer of `handler` on a free port of 127.0.0.1, serving on a thread of its own."""
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def signed_platforms_config(store):
    """A config storing in `store`: Emma on Slack (workspace T0123ABCD, its Web API unreachable),
    Ana on the signed webhook channel `ops`, no quiet hours."""
    return f"""
store: {store}
http: {{listen: 127.0.0.1:0}}
engine: {{quiet_hours: "off"}}
adapters:
  console: {{enabled: false}}
  slack:
    api_base_url: http://127.0.0.1:9/api/
    workspaces:
      - {{team_id: T0123ABCD, bot_token: {{env: SLACK_BOT_TOKEN}}, signing_secret: {{env: SLACK_SIGNING_SECRET}}}}
  webhook:
    channels:
      - {{name: ops, kind: signed, secret: {{env: TANDEM_E2E_SCRIPT_SECRET}}}}
collaborations:
  - id: river
    name: River Restoration Alliance
    organizations:
      - {{id: backbone, name: Riverside Backbone Trust}}
      - {{id: city, name: City of Millbrook}}
    people:
      - {{id: ana, name: Ana Lima, org: backbone, roles: [facilitator],
         identities: [{{platform: webhook, workspace: ops, user: ana}}]}}
      - {{id: emma, name: Emma Schulz, org: city, roles: [representative],
         identities: [{{platform: slack, workspace: T0123ABCD, user: U0123EMMA}}]}}
"""


def signed_platforms_env():
    """The environment `signed_platforms_config` takes its secrets from."""
    return dict(os.environ, SLACK_SIGNING_SECRET=signing_secret, SLACK_BOT_TOKEN="xoxb-e2e",
                TANDEM_E2E_SCRIPT_SECRET=script_secret)


def slack_event(n, text):
    """Slack's signed envelope of Emma's DM number `n`, as (body, headers); its dedup key ends with
    its ts, slack_ts(n)."""
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
    """Ana's signed webhook message, as (body, headers); its dedup key ends with `:message_id`."""
    body = json.dumps({"id": message_id, "user": "ana", "text": text})
    ts = str(int(time.time()))
    digest = hmac.new(script_secret.encode(), f"v1:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/json", "X-Tandem-Timestamp": ts,
                           "X-Tandem-Signature": "v1=" + digest}


def post_signed(base, path, message):
    """(status, Retry-After or None) of one signed POST; (None, None) when nobody answered
    (connection refused or closed)."""
    body, headers = message
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After")
    except (urllib.error.URLError, ConnectionError):
        return None, None


def stored_keys(store):
    """The dedup keys of the events in the store's responses table, read without writing."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        return [row[0] for row in db.execute("SELECT dedup_key FROM responses")]
