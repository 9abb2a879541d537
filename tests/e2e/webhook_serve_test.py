#!/usr/bin/env python3
"""End to end through the real binary with an adapters.webhook config: a facilitator's signed
command is stored and answered in the response; the assignee's notice reaches a local incoming
webhook receiver (Mattermost dialect) with one-click links; GET on a link changes nothing, POST
closes the task once, a second POST is refused; a bad signature and a replayed (old) request are
refused with 401; /healthz reports the webhook adapter; no secret reaches the log; SIGTERM stops it.
Usage: webhook_serve_test.py TANDEM_BINARY REPO_ROOT
"""
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import re
import sys
import tempfile
import threading
import time

from e2e import Serve, check, finish, request

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
script_secret = "e2e-script-secret-value"
hook_token = "e2e-hook-token-in-url"


def signed(body, secret=script_secret, ts=None):
    ts = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), f"v1:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Tandem-Timestamp": ts, "X-Tandem-Signature": "v1=" + digest}


received = []
received_event = threading.Condition()


class receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        with received_event:
            received.append((self.path, body))
            received_event.notify_all()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), receiver)
threading.Thread(target=hooks.serve_forever, daemon=True).start()

# Nobody has quiet hours: the checks must not depend on the time of day the test runs at.
config_text = f"""
store: tandem.db
http: {{listen: 127.0.0.1:8080, public_url: https://tandem.example.org}}
engine: {{quiet_hours: "off"}}
adapters:
  console: {{enabled: false}}
  webhook:
    channels:
      - {{name: ops, kind: signed, secret: {{env: TANDEM_E2E_SCRIPT_SECRET}}}}
      - {{name: city, dialect: mattermost, url: {{env: TANDEM_E2E_CITY_HOOK}}, personal: true,
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

with tempfile.TemporaryDirectory() as folder:
    config = pathlib.Path(folder) / "webhooks.yaml"
    config.write_text(config_text)
    env = dict(os.environ, TANDEM_E2E_SCRIPT_SECRET=script_secret,
               TANDEM_E2E_CITY_HOOK=f"http://127.0.0.1:{hooks.server_port}/hooks/{hook_token}")
    server = Serve(binary, config, env, ["--listen", "127.0.0.1:0"])
    port = server.port
    check(port is not None, f"serve listens: {port}")
    if port is not None:
        base = f"http://127.0.0.1:{port}"
        body = json.dumps({"id": "e2e-1", "user": "ana", "text": 'assign @emma "Print the flyers"'})
        status, answer = request(base + "/webhook/ops", body.encode(), signed(body))
        reply = json.loads(answer).get("reply") if status == 200 else None
        check(status == 200 and reply is not None and "#1" in reply["text"],
              f"a signed command is stored and answered in the response: {status} {answer}")

        with received_event:
            received_event.wait_for(lambda: len(received) >= 1, timeout=10)
        check(len(received) == 1 and received[0][0] == f"/hooks/{hook_token}",
              f"Emma's notice reaches her organization's channel: {[p for p, _ in received]}")
        links = re.findall(r"\[Done\]\(https://tandem\.example\.org(/act/[A-Za-z0-9_.-]+)\)",
                           json.loads(received[0][1])["text"]) if received else []
        check(len(links) == 1, "the notice carries a Done link")
        if links:
            status, page = request(base + links[0])
            check(status == 200 and "<code>done 1</code>" in page, f"GET on the link shows what it does: {status}")
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            status, page = request(base + links[0], b"", form)
            check(status == 200 and "Recorded" in page, f"POST on the link records it: {status}")
            status, page = request(base + links[0], b"", form)
            check(status == 409 and "already used" in page, f"the link works once: {status}")

        status, answer = request(base + "/webhook/ops", body.encode(), signed(body, "another secret"))
        check(status == 401 and answer.strip() == "bad signature", f"a bad signature is refused: {status} {answer}")
        status, answer = request(base + "/webhook/ops", body.encode(), signed(body, ts=int(time.time()) - 600))
        check(status == 401 and "replay refused" in answer, f"an old request is refused: {status} {answer}")

        status, answer = request(base + "/healthz")
        check(status == 200 and json.loads(answer).get("adapters", {}).get("webhook") == "ok",
              f"/healthz reports the webhook adapter: {answer}")

    code = server.stop()
    check(code == 0, f"serve stops with exit code 0 on SIGTERM: {code}")
    whole_log = "\n".join(server.log_lines)
    check(script_secret not in whole_log and hook_token not in whole_log, "no secret reaches the log")
    hooks.shutdown()

finish()
