#!/usr/bin/env python3
"""End to end through the real binary: `tandem serve` answers /healthz and /metrics on 127.0.0.1,
protects /metrics with the configured token, rate-limits the token endpoints per client as
http.rate_limit says, logs JSON lines without the token, and stops cleanly on SIGTERM.
Usage: serve_test.py TANDEM_BINARY REPO_ROOT
"""
import json
import os
import pathlib
import sys
import tempfile
import urllib.error
import urllib.request

from e2e import Serve, check, finish, request

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
token = "s3cret-metrics-token"


with tempfile.TemporaryDirectory() as folder:
    config = pathlib.Path(folder) / "demo.yaml"
    demo = (root / "deploy" / "demo.yaml").read_text()
    demo = demo.replace("listen: 127.0.0.1:8080", "listen: 127.0.0.1:0")
    demo = demo.replace("# metrics_token: {env: TANDEM_METRICS_TOKEN}", "metrics_token: {env: TANDEM_METRICS_TOKEN}")
    demo = demo.replace("  body_limit: 1MiB", "  rate_limit: {burst: 3, per_minute: 1}\n  body_limit: 1MiB", 1)
    config.write_text(demo)
    env = dict(os.environ, TANDEM_METRICS_TOKEN=token)
    server = Serve(binary, config, env)
    port = server.port
    check(port is not None, "serve logs the port it listens on, as a JSON line")
    if port is not None:
        status, body = request(f"http://127.0.0.1:{port}/healthz")
        check(status == 200 and json.loads(body)["status"] == "ok", f"/healthz answers ok: {status} {body}")
        status, _ = request(f"http://127.0.0.1:{port}/metrics")
        check(status == 401, f"/metrics without the token is refused: {status}")
        status, _ = request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": "Bearer wrong"})
        check(status == 401, f"/metrics with a wrong token is refused: {status}")
        status, body = request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"})
        check(status == 200 and "# TYPE tandem_store_seconds histogram" in body,
              f"/metrics with the token shows Prometheus text: {status}")
        check('tandem_http_requests_total{code="4xx"}' in body, "/metrics counts requests by status class")
        status, _ = request(f"http://127.0.0.1:{port}/nowhere")
        check(status == 404, "an unknown path is 404")
        statuses = [request(f"http://127.0.0.1:{port}/calendar/river.ics?token=guess-{i}")[0] for i in range(3)]
        check(statuses == [403, 403, 403], f"three guesses at a feed token are answered: {statuses}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard/sign-in/guess", timeout=10)
            check(False, "a fourth guess, at a sign-in link, is refused")
        except urllib.error.HTTPError as refused:
            # One request a minute refills: the wait is a minute less the moments the guesses took.
            wait = refused.headers.get("Retry-After", "")
            check(refused.code == 429 and wait.isdigit() and 50 <= int(wait) <= 60,
                  f"a fourth guess, at a sign-in link, is 429 with Retry-After about 60: {refused.code} {wait}")
        status, _ = request(f"http://127.0.0.1:{port}/healthz")
        check(status == 200, f"/healthz is not rate-limited: {status}")
        status, body = request(f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"})
        check("tandem_http_rate_limited_total 1" in body, "/metrics counts the refused request")
    code = server.stop()
    log_lines = server.log_lines
    check(code == 0, f"serve stops with exit code 0 on SIGTERM: {code}")
    check(all(json.loads(line) for line in log_lines if line.strip()), "every log line is a JSON object")
    check(not any(token in line for line in log_lines), "the metrics token never appears in the log")

finish()
