#!/usr/bin/env python3
"""End to end through the real binary with deploy/slack/slack.yaml: `tandem serve --listen`
overrides the configured address, /slack/events answers Slack's url_verification and stores a
signed DM, refuses a bad signature with 401, /healthz reports the Slack adapter, the signing
secret and bot token never reach the log, and SIGTERM stops it cleanly.
The Web API base URL points at a closed local port: nothing leaves the machine.
Usage: slack_serve_test.py TANDEM_BINARY REPO_ROOT
"""
import hashlib
import hmac
import json
import os
import pathlib
import sys
import tempfile
import time

from e2e import Serve, check, finish, request

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
bot_token = "xoxb-e2e-secret-token"


def signed(body, secret=signing_secret):
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest}


with tempfile.TemporaryDirectory() as folder:
    config = pathlib.Path(folder) / "slack.yaml"
    text = (root / "deploy" / "slack" / "slack.yaml").read_text()
    text = text.replace("# api_base_url: https://slack.com/api/", "api_base_url: http://127.0.0.1:9/api/")
    config.write_text(text)
    env = dict(os.environ, SLACK_SIGNING_SECRET=signing_secret, SLACK_BOT_TOKEN=bot_token)
    server = Serve(binary, config, env, ["--listen", "127.0.0.1:0"])
    port = server.port
    check(port is not None and port != 8080, f"--listen 127.0.0.1:0 overrides the config's 127.0.0.1:8080: {port}")
    if port is not None:
        base = f"http://127.0.0.1:{port}"
        body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                           "type": "url_verification"})
        status, answer = request(base + "/slack/events", body.encode(), signed(body))
        check(status == 200 and json.loads(answer) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
              f"url_verification is answered with the challenge: {status} {answer}")
        status, answer = request(base + "/slack/events", body.encode(), signed(body, "another-secret"))
        check(status == 401 and answer.strip() == "signature mismatch", f"a bad signature is refused: {status} {answer}")
        event = json.dumps({"token": "x", "team_id": "T0123ABCD", "api_app_id": "A1", "type": "event_callback",
                            "event_id": "Ev1", "event_time": int(time.time()),
                            "event": {"type": "message", "channel": "D0123", "channel_type": "im", "user": "U0123EMMA",
                                      "text": "tasks", "ts": f"{int(time.time())}.000100"}})
        status, _ = request(base + "/slack/events", event.encode(), signed(event))
        check(status == 200, f"a signed DM is stored and acknowledged: {status}")
        status, _ = request(base + "/slack/events", event.encode(), dict(signed(event), **{"X-Slack-Retry-Num": "1"}))
        check(status == 200, f"its retry is acknowledged too: {status}")
        status, answer = request(base + "/healthz")
        health = json.loads(answer)
        check(status == 200 and "slack" in health["adapters"], f"/healthz reports the Slack adapter: {answer}")
    code = server.stop()
    log_lines = server.log_lines
    check(code == 0, f"serve stops with exit code 0 on SIGTERM: {code}")
    everything = "\n".join(log_lines)
    check(signing_secret not in everything and bot_token not in everything, "no secret appears in the log")

finish()
