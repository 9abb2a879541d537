"""Local stand-ins for the platforms Tandem posts to, speaking their wire formats over real sockets
on 127.0.0.1 (free ports), able to fail on a schedule: the Slack Web API (`chat.postMessage` and
the calls around it, answered with `ok`), a Matrix homeserver's Client-Server API for a bot in
client mode (`whoami`, filters, `/sync`, `m.direct`, `PUT /rooms/{room}/send/m.room.message/{txnId}`
idempotent per transaction id), and incoming webhooks (Slack-compatible: a JSON POST answered `ok`).

Every stand-in records each message attempt (when it came, where to, which message, how it was
answered) and each message it posted, so a test can check what arrived, how often, in what order,
and how long after a `429` the next attempt came."""
import http.server
import json
import re
import socket
import struct
import threading
import time
import urllib.parse

# How a stand-in answers while a failure phase lasts.
SLOW = "slow"      # posts the message, then never answers: the sender times out after the receiver got it
STALL = "stall"    # takes the request and never answers; nothing is posted
ERROR = "5xx"      # 503
LIMITED = "429"    # 429 with the platform's Retry-After
RESET = "reset"    # the connection is reset (RST) before any answer
MODES = (SLOW, STALL, ERROR, LIMITED, RESET)


class Outage:
    """A failure schedule shared by the stand-ins, from `begin()` on: each destination has its own
    phases (mode, seconds) one after the other, requests that carry no message the `others`
    phases; before `begin()` and after its last phase a destination is answered normally."""

    def __init__(self, schedules, others):
        self.schedules = dict(schedules)
        self.others = list(others)
        self.started = None

    def begin(self):
        self.started = time.monotonic()

    def length(self):
        return max(sum(seconds for _, seconds in phases) for phases in [self.others, *self.schedules.values()])

    def mode(self, destination=None):
        """The failure mode for `destination` at this moment, or None when it is answered."""
        if self.started is None:
            return None
        elapsed = time.monotonic() - self.started
        for mode, seconds in self.schedules.get(destination, self.others):
            if elapsed < seconds:
                return mode
            elapsed -= seconds
        return None

    def over(self):
        return self.started is not None and time.monotonic() >= self.started + self.length()


class Attempt:
    """One request that carried a message: when it arrived, where to, which message (the test's
    number found in the body, or None), how it was answered (a mode, or "ok"), and for a 429 when
    the answer was written and the wait it asked for."""

    def __init__(self, at, destination, number, key, answer):
        self.at, self.destination, self.number, self.key, self.answer = at, destination, number, key, answer
        self.answered_at = None
        self.retry_after = None


class Platform:
    """What the stand-ins share: the outage, the records, the HTTP plumbing. Subclasses find the
    message a request carries (`message_of`) and answer it (`deliver`, `other`, `limited`,
    `error`)."""

    name = "platform"

    def __init__(self, outage, number_pattern):
        self.outage = outage
        self.number_pattern = re.compile(number_pattern)
        self.lock = threading.Lock()
        self.attempts = []   # Attempt, in arrival order
        self.posted = []     # (destination, number, at) of each message posted, in order
        handler = type(self.name + "_handler", (_Handler,), {"platform": self})
        self.server = _Server(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_port

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def number_in(self, body):
        found = self.number_pattern.search(body)
        return int(found.group(1)) if found else None

    def post(self, destination, number):
        with self.lock:
            self.posted.append((destination, number, time.monotonic()))

    # What subclasses provide.
    def message_of(self, method, path, body):
        """(destination, key) when the request carries a message, else None. The key names the
        message across retries where the platform has one (Matrix's txn id), else None."""
        raise NotImplementedError

    def deliver(self, request, destination, key, number):
        """Posts the message (unless the platform already has it) and answers success; with no
        `request`, posts only."""
        raise NotImplementedError

    def other(self, request):
        """Answers a request that carries no message."""
        raise NotImplementedError

    def limited(self, request):
        """Answers 429; returns the wait asked for, in seconds."""
        raise NotImplementedError

    def error(self, request):
        request.answer(503, {"error": "service unavailable"})

    def serve(self, request):
        found = self.message_of(request.method, request.path, request.body)
        mode = self.outage.mode(found[0] if found else None)
        attempt = None
        if found is not None:
            attempt = Attempt(time.monotonic(), found[0], self.number_in(request.body), found[1], mode or "ok")
            with self.lock:
                self.attempts.append(attempt)
        if mode == RESET:
            request.reset()
        elif mode == STALL:
            request.hold()
        elif mode == SLOW:
            if attempt is not None:  # posted; the answer never comes
                self.deliver(None, attempt.destination, attempt.key, attempt.number)
            request.hold()
        elif mode == ERROR:
            self.error(request)
        elif mode == LIMITED:
            wait = self.limited(request)
            if attempt is not None:
                attempt.answered_at = time.monotonic()
                attempt.retry_after = wait
        elif attempt is not None:
            self.deliver(request, attempt.destination, attempt.key, attempt.number)
        else:
            self.other(request)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A sender that gave up closed its connection before the answer: nothing to report."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    platform = None

    def handle_any(self):
        self.body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        parsed = urllib.parse.urlparse(self.path)
        self.path_only = parsed.path
        self.query = dict(urllib.parse.parse_qsl(parsed.query))
        self.platform.serve(_Request(self))

    do_GET = do_POST = do_PUT = handle_any

    def log_message(self, *args):
        pass


class _Request:
    """One request as a stand-in sees it, and the ways to answer it."""

    def __init__(self, handler):
        self.handler = handler
        self.method = handler.command
        self.path = handler.path_only
        self.query = handler.query
        self.headers = handler.headers
        self.body = handler.body

    def answer(self, status, body, headers=()):
        """A JSON answer."""
        self.answer_bytes(status, "application/json", json.dumps(body).encode(), headers)

    def answer_bytes(self, status, content_type, data, headers=()):
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)
        h.wfile.flush()

    def reset(self):
        """Closes the connection with a RST (SO_LINGER 0), no answer."""
        connection = self.handler.connection
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
        self.handler.close_connection = True

    def hold(self, longest=90):
        """Never answers: waits until the sender gives up and closes the connection (or `longest`
        seconds), then closes it too."""
        connection = self.handler.connection
        connection.settimeout(longest)
        try:
            while connection.recv(4096):
                pass
        except OSError:
            pass
        self.handler.close_connection = True


class SlackWebApi(Platform):
    """Slack's Web API for one bot: `auth.test`, `users.info`, `conversations.open` (DMs with
    `dm_channels`), and `chat.postMessage`, whose channel is the destination. A `429` carries
    `Retry-After: <retry_after>` and `{"ok": false, "error": "ratelimited"}`."""

    name = "slack"

    def __init__(self, outage, number_pattern, team, dm_channels, retry_after=3):
        self.team, self.dm_channels, self.retry_after = team, dm_channels, retry_after
        self.ts = 0
        super().__init__(outage, number_pattern)

    def message_of(self, method, path, body):
        if not path.endswith("/chat.postMessage"):
            return None
        channel = json.loads(body).get("channel", "") if body.startswith("{") else ""
        return channel, None

    def deliver(self, request, destination, key, number):
        self.post(destination, number)
        if request is not None:
            with self.lock:
                self.ts += 1
                ts = f"1765000000.{self.ts:06d}"
            request.answer(200, {"ok": True, "channel": destination, "ts": ts})

    def other(self, request):
        method = request.path.rsplit("/", 1)[1]
        if method == "auth.test":
            request.answer(200, {"ok": True, "user_id": "UBOT", "team_id": self.team, "bot_id": "B1"})
        elif method == "conversations.open":
            user = json.loads(request.body).get("users", "")
            request.answer(200, {"ok": True, "channel": {"id": self.dm_channels.get(user, "D0UNKNOWN")}})
        elif method == "users.info":
            user = urllib.parse.parse_qs(request.body).get("user", [""])[0]
            request.answer(200, {"ok": True, "user": {"id": user, "tz": "Europe/Berlin"}})
        else:
            request.answer(200, {"ok": True})

    def limited(self, request):
        request.answer(429, {"ok": False, "error": "ratelimited"}, [("Retry-After", str(self.retry_after))])
        return self.retry_after


class MatrixHomeserver(Platform):
    """A homeserver for one bot account in client mode: `whoami`, filters, `/sync` (held up to
    one second, nothing new), `m.direct` (the DMs given), joins, and sends to any room. A send is
    idempotent per transaction id (the same txn id answers the same event id and posts nothing
    again). A `429` is `M_LIMIT_EXCEEDED` with `retry_after_ms` (no header, as older servers)."""

    name = "matrix"

    def __init__(self, outage, number_pattern, user_id, token, direct_rooms, retry_after_ms=2500):
        self.user_id, self.token, self.retry_after_ms = user_id, token, retry_after_ms
        self.account_data = {"m.direct": direct_rooms}
        self.events = {}  # (room, txn id) -> event id
        self.batch = 0
        self.retransmissions = 0
        super().__init__(outage, number_pattern)

    def message_of(self, method, path, body):
        parts = path.split("/")
        # /_matrix/client/v3/rooms/{room}/send/m.room.message/{txnId}
        if method == "PUT" and len(parts) == 9 and parts[4] == "rooms" and parts[6] == "send":
            return urllib.parse.unquote(parts[5]), urllib.parse.unquote(parts[8])
        return None

    def deliver(self, request, destination, key, number):
        with self.lock:
            event_id = self.events.get((destination, key))
            if event_id is None:
                event_id = f"$e{len(self.events) + 1}:localhost"
                self.events[(destination, key)] = event_id
                self.posted.append((destination, number, time.monotonic()))
            else:
                self.retransmissions += 1
        if request is not None:
            request.answer(200, {"event_id": event_id})

    def other(self, request):
        if request.headers.get("Authorization") != "Bearer " + self.token:
            request.answer(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed."})
            return
        path = request.path[len("/_matrix/client/v3"):]
        parts = path.split("/")
        if path == "/account/whoami":
            request.answer(200, {"user_id": self.user_id, "device_id": "OUTAGEDEVICE"})
        elif path.endswith("/filter"):
            request.answer(200, {"filter_id": "1"})
        elif path == "/sync":
            if request.query.get("since"):
                time.sleep(min(1.0, int(request.query.get("timeout", "0")) / 1000))
            with self.lock:
                self.batch += 1
                batch = self.batch
            request.answer(200, {"next_batch": f"s{batch}", "rooms": {}})
        elif len(parts) == 5 and parts[3] == "account_data":
            kind = urllib.parse.unquote(parts[4])
            if request.method == "PUT":
                self.account_data[kind] = json.loads(request.body)
                request.answer(200, {})
            elif kind in self.account_data:
                request.answer(200, self.account_data[kind])
            else:
                request.answer(404, {"errcode": "M_NOT_FOUND", "error": "Account data not found"})
        elif len(parts) == 4 and parts[1] == "rooms" and parts[3] == "join":
            request.answer(200, {"room_id": urllib.parse.unquote(parts[2])})
        else:
            request.answer(404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})

    def error(self, request):
        request.answer(503, {"errcode": "M_UNKNOWN", "error": "Service unavailable"})

    def limited(self, request):
        request.answer(429, {"errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests",
                             "retry_after_ms": self.retry_after_ms})
        return self.retry_after_ms / 1000


class IncomingWebhooks(Platform):
    """Slack-compatible incoming webhooks: a JSON POST to `/hooks/<name>` (the destination) is
    posted and answered `ok` (text/plain, as Slack does); a `429` carries `Retry-After`."""

    name = "webhook"

    def __init__(self, outage, number_pattern, retry_after=2):
        self.retry_after = retry_after
        super().__init__(outage, number_pattern)

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def message_of(self, method, path, body):
        return (path.rsplit("/", 1)[1], None) if method == "POST" and path.startswith("/hooks/") else None

    def deliver(self, request, destination, key, number):
        self.post(destination, number)
        if request is not None:
            request.answer_bytes(200, "text/plain", b"ok")

    def other(self, request):
        request.answer(404, {"error": "no such hook"})

    def limited(self, request):
        request.answer(429, {"error": "rate limited"}, [("Retry-After", str(self.retry_after))])
        return self.retry_after
