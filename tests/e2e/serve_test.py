#!/usr/bin/env python3
"""End to end through the real binary: `tandem serve` answers /healthz and /metrics on 127.0.0.1,
protects /metrics with the configured token, logs JSON lines without the token, and stops
cleanly on SIGTERM.
Usage: serve_test.py TANDEM_BINARY REPO_ROOT
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
failures = []
token = "s3cret-metrics-token"


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


with tempfile.TemporaryDirectory() as folder:
    config = pathlib.Path(folder) / "demo.yaml"
    demo = (root / "deploy" / "demo.yaml").read_text()
    demo = demo.replace("listen: 127.0.0.1:8080", "listen: 127.0.0.1:0")
    demo = demo.replace("# metrics_token: {env: TANDEM_METRICS_TOKEN}", "metrics_token: {env: TANDEM_METRICS_TOKEN}")
    config.write_text(demo)
    env = dict(os.environ, TANDEM_METRICS_TOKEN=token)
    server = subprocess.Popen([binary, "serve", "--config", str(config), "--log-format", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    log_lines = []
    port = None
    deadline = time.monotonic() + 20
    while port is None and time.monotonic() < deadline:
        line = server.stderr.readline()
        if not line:
            break
        log_lines.append(line)
        message = json.loads(line)["message"]
        if "listening on http://127.0.0.1:" in message:
            port = int(message.split("listening on http://127.0.0.1:")[1].split()[0])
    check(port is not None, "serve logs the port it listens on, as a JSON line")
    if port is not None:
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        check(status == 200 and json.loads(body)["status"] == "ok", f"/healthz answers ok: {status} {body}")
        status, _ = get(f"http://127.0.0.1:{port}/metrics")
        check(status == 401, f"/metrics without the token is refused: {status}")
        status, _ = get(f"http://127.0.0.1:{port}/metrics", {"Authorization": "Bearer wrong"})
        check(status == 401, f"/metrics with a wrong token is refused: {status}")
        status, body = get(f"http://127.0.0.1:{port}/metrics", {"Authorization": f"Bearer {token}"})
        check(status == 200 and "# TYPE tandem_store_seconds histogram" in body,
              f"/metrics with the token shows Prometheus text: {status}")
        check('tandem_http_requests_total{code="4xx"}' in body, "/metrics counts requests by status class")
        status, _ = get(f"http://127.0.0.1:{port}/nowhere")
        check(status == 404, "an unknown path is 404")
    server.send_signal(signal.SIGTERM)
    try:
        code = server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        code = None
    rest = server.stderr.read()
    log_lines += rest.splitlines()
    check(code == 0, f"serve stops with exit code 0 on SIGTERM: {code}")
    check(all(json.loads(line) for line in log_lines if line.strip()), "every log line is a JSON object")
    check(not any(token in line for line in log_lines), "the metrics token never appears in the log")

print("e2e: " + ("all checks passed" if not failures else f"{len(failures)} checks failed"))
sys.exit(1 if failures else 0)
