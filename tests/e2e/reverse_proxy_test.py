#!/usr/bin/env python3
"""deploy/postgresql/nginx.conf in front of two `tandem serve` on one PostgreSQL database, as
deploy/postgresql/compose.yaml runs them (nginx here from Debian's package, the upstream addresses
and the port changed for this machine): signed Slack events and webhook messages sent through
nginx reach both instances and are stored once each; the dashboard, which only the leader serves,
answers through nginx as it answers at the leader (nginx passes a follower's 503 to the next
instance); after the leader is killed with SIGKILL, events sent through nginx are still
acknowledged, and the dashboard answers again once the other instance took the lead.
Usage: reverse_proxy_test.py TANDEM_BINARY REPO_ROOT
"""
import json
import os
import pathlib
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from e2e import (Serve, check, finish, post_signed, psql, request, signed_platforms_config, signed_platforms_env,
                 skip, slack_event, slack_ts, webhook_message)

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
url_file = os.environ.get("TANDEM_TEST_POSTGRESQL_URL_FILE")
if not url_file or not pathlib.Path(url_file).exists():
    skip("no PostgreSQL cluster for the tests (run through ctest, which starts one)")
nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
if nginx is None:
    skip("no nginx (deploy/install-deps.sh installs Debian's nginx-light)")
cluster = pathlib.Path(url_file).read_text().strip()
database = f"tandem_proxy_{random.randrange(1 << 30)}"


def sql(statement, db=database):
    """The rows `statement` returns, as lines of text, through psql."""
    return psql(f"{cluster}/{db}", statement)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def inbound_events(port):
    """tandem_inbound_events_total of the instance on `port`, all platforms."""
    _, text = request(f"http://127.0.0.1:{port}/metrics")
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("tandem_inbound_events_total"))


def role(port):
    status, body = request(f"http://127.0.0.1:{port}/healthz")
    return json.loads(body).get("role") if status == 200 else None


sql(f"CREATE DATABASE {database}", db="postgres")
proxy = None
instances = []
try:
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        config = folder / "tandem.yaml"
        config.write_text(signed_platforms_config(f"{cluster}/{database}"))
        env = signed_platforms_env()
        instances = [Serve(binary, config, env) for _ in range(2)]
        check(all(s.port is not None for s in instances), "two tandem serve start on one database")
        leader, follower = instances
        check(role(leader.port) == "leader" and role(follower.port) == "follower", "the first leads, the second follows")

        # The compose file's nginx.conf, with this machine's addresses, port and files.
        proxy_port = free_port()
        conf = (root / "deploy" / "postgresql" / "nginx.conf").read_text()
        conf = conf.replace("server tandem-a:8080", f"server 127.0.0.1:{leader.port}")
        conf = conf.replace("server tandem-b:8080", f"server 127.0.0.1:{follower.port}")
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{proxy_port};")
        conf = f"pid {folder}/nginx.pid;\nerror_log {folder}/nginx-error.log;\n" + conf
        conf = conf.replace("http {", f"http {{\n  client_body_temp_path {folder}/body;\n  proxy_temp_path "
                                      f"{folder}/proxy;", 1)
        check(re.search(r"server tandem-", conf) is None, "every upstream of nginx.conf points at a test instance")
        (folder / "nginx.conf").write_text(conf)
        proxy = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                                 stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{proxy_port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", proxy_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        status, _ = request(base + "/healthz")
        check(status == 200, f"/healthz answers through nginx: {status}")

        # Platform traffic through nginx reaches both instances (round robin).
        acknowledged = set()
        before = [inbound_events(s.port) for s in instances]
        for n in range(100):
            status, _ = post_signed(base, "/slack/events", slack_event(n, f"note {n}"))
            if status == 200:
                acknowledged.add(slack_ts(n))
            status, _ = post_signed(base, "/webhook/ops", webhook_message(f"m{n}", f"hook {n}"))
            if status == 200:
                acknowledged.add(f"m{n}")
        after = [inbound_events(s.port) for s in instances]
        check(len(acknowledged) == 200, f"200 events sent through nginx are acknowledged: {len(acknowledged)}")
        check(all(a > b for a, b in zip(after, before)), f"both instances took some: {before} -> {after}")

        # The dashboard is the leader's: through nginx it answers as the leader does, every time,
        # also when nginx asks the follower first.
        direct, _ = request(f"http://127.0.0.1:{leader.port}/dashboard")
        at_follower, _ = request(f"http://127.0.0.1:{follower.port}/dashboard")
        through = [request(base + "/dashboard")[0] for _ in range(10)]
        check(at_follower == 503 and direct != 503, f"the follower answers the dashboard 503, the leader {direct}")
        check(all(s == direct for s in through), f"through nginx the dashboard answers as at the leader: {through}")

        # The leader dies: nginx skips it, and the follower takes the lead.
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait()
        killed_at = time.monotonic()
        for n in range(100, 150):
            status, _ = post_signed(base, "/slack/events", slack_event(n, f"note {n}"))
            if status == 200:
                acknowledged.add(slack_ts(n))
        check(len(acknowledged) == 250, f"with the leader dead, events through nginx are still acknowledged: "
                                        f"{len(acknowledged) - 200} of 50")
        answered = None
        while time.monotonic() - killed_at < 15:
            answered, _ = request(base + "/dashboard")
            if answered == direct:
                break
            time.sleep(0.1)
        check(answered == direct and role(follower.port) == "leader",
              f"the other instance leads, and the dashboard answers through nginx again after "
              f"{time.monotonic() - killed_at:.1f} s: {answered}")

        deadline = time.monotonic() + 10
        unhandled = None
        while time.monotonic() < deadline:
            unhandled = int(sql("SELECT count(*) FROM responses WHERE handled = 0")[0])
            if unhandled == 0:
                break
            time.sleep(0.1)
        keys = sql("SELECT dedup_key FROM responses")
        ends = [k.split(":")[-1] for k in keys]
        check(len(ends) == len(set(ends)), "every event is stored once")
        check(acknowledged <= set(ends), f"every acknowledged event is stored: {len(acknowledged - set(ends))} missing")
        check(unhandled == 0, f"the new leader handled every recorded event: {unhandled} left")
        check(follower.stop() == 0, "the new leader stops cleanly on SIGTERM")
finally:
    if proxy is not None:
        proxy.terminate()
        proxy.wait(timeout=10)
    for s in instances:
        if s.process.poll() is None:
            s.process.kill()
    sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", db="postgres")
finish()
