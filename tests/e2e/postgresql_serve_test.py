#!/usr/bin/env python3
"""`tandem serve` on a PostgreSQL store, end to end: signed Slack events and webhook messages are
acknowledged and stored once each, across a SIGKILL in the middle of the load and a restart (the
platforms send again what was not acknowledged); a second `tandem serve` on the same database
follows while the first leads (/healthz says which leads), and the leader stops when the server
ends the session holding its lock; /healthz answers. (Several instances under load and failover:
multi_instance_test.py.) The database is a new one in the cluster CTest
started (tests/postgresql/cluster.sh), whose URL file TANDEM_TEST_POSTGRESQL_URL_FILE names.
Usage: postgresql_serve_test.py TANDEM_BINARY REPO_ROOT
"""
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

from e2e import (Serve, check, finish, post_signed, psql, request, run_console, signed_platforms_config, signed_platforms_env,
                 skip, slack_event, slack_ts, webhook_message)

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
url_file = os.environ.get("TANDEM_TEST_POSTGRESQL_URL_FILE")
if not url_file or not pathlib.Path(url_file).exists():
    skip("no PostgreSQL cluster for the tests (run through ctest, which starts one)")
cluster = pathlib.Path(url_file).read_text().strip()
database = f"tandem_e2e_{random.randrange(1 << 30)}"


def sql(statement, db=database):
    """The rows `statement` returns, as lines of text, through psql."""
    return psql(f"{cluster}/{db}", statement)


sql(f"CREATE DATABASE {database}", db="postgres")
try:
    with tempfile.TemporaryDirectory() as folder:
        config = pathlib.Path(folder) / "postgresql.yaml"
        config.write_text(signed_platforms_config(f"{cluster}/{database}"))
        env = signed_platforms_env()

        server = Serve(binary, config, env)
        check(server.port is not None, "tandem serve starts on the PostgreSQL store and listens")
        base = f"http://127.0.0.1:{server.port}"
        status, body = request(base + "/healthz")
        check(status == 200, f"/healthz answers 200 on PostgreSQL: {status} {body[:200]}")

        check(json.loads(body).get("role") == "leader", f"the first Tandem on the database leads: {body[:300]}")
        second = Serve(binary, config, env)
        check(second.port is not None, "a second tandem serve on the same database starts and listens")
        status, body = request(f"http://127.0.0.1:{second.port}/healthz")
        health = json.loads(body) if status == 200 else {}
        check(health.get("role") == "follower" and health.get("leader") == json.loads(request(base + "/healthz")[1])
              .get("instance"), f"it follows, and /healthz names the leader: {status} {body[:300]}")
        status, body = request(f"http://127.0.0.1:{second.port}/dashboard")
        check(status == 503, f"a follower leaves the dashboard to the leader (503, for the proxy to ask the next): "
                             f"{status} {body[:100]}")
        leader_metrics = request(base + "/metrics")[1]
        follower_metrics = request(f"http://127.0.0.1:{second.port}/metrics")[1]
        check("tandem_leader_terms_total 1" in leader_metrics and "tandem_leader_terms_total 0" in follower_metrics,
              "/metrics says which instance leads (tandem_leader_terms_total 1 and 0)")
        console = run_console(binary, config, "ana", ["tasks"], env)
        check(console.returncode == 1 and "the console needs to lead" in console.stderr,
              f"a console on the database refuses to start while another Tandem leads: {console.returncode}")
        code = second.stop()
        check(code == 0, f"the follower stops cleanly on SIGTERM: {code}")

        # The load: 400 Slack events and 200 webhook messages (each answered with its reply); the server
        # is killed in the middle and started again; whatever was not acknowledged is sent again, as
        # the platforms do.
        messages = [("/slack/events", slack_event(n, f"note {n}"), f"slack:T0123ABCD:D0123:{slack_ts(n)}")
                    for n in range(400)]
        messages += [("/webhook/ops", webhook_message(f"m{n}", f"hook {n}"), f"webhook:ops:m{n}") for n in range(200)]
        random.Random(7).shuffle(messages)
        acknowledged = set()
        for index, (path, message, key) in enumerate(messages):
            if index == len(messages) // 2:
                server.process.send_signal(signal.SIGKILL)
                server.process.wait()
                server = Serve(binary, config, env)
                check(server.port is not None, "after SIGKILL, tandem serve starts again on the same database")
                base = f"http://127.0.0.1:{server.port}"
            for attempt in range(20):
                status, _ = post_signed(base, path, message)
                if status == 200:
                    acknowledged.add(key)
                    break
                time.sleep(0.2)
        check(len(acknowledged) == len(messages), f"all {len(messages)} events were acknowledged: {len(acknowledged)}")

        stored = sql("SELECT dedup_key FROM responses")
        by_key = {}
        for key in stored:
            by_key[key] = by_key.get(key, 0) + 1
        twice = [key for key, n in by_key.items() if n > 1]
        check(not twice, f"no event is stored twice: {twice[:5]}")
        stored_ends = {key.split(":")[-1] for key in by_key}
        missing = [key for key in acknowledged if key.split(":")[-1] not in stored_ends]
        check(not missing, f"every acknowledged event is stored: {len(missing)} missing, e.g. {missing[:3]}")
        version = sql("SELECT version FROM tandem_schema")
        check(len(version) == 1 and int(version[0]) >= 11, f"the database is at the latest schema version: {version}")
        code = server.stop()
        check(code == 0, f"SIGTERM stops it cleanly: {code}")

        # The server ends the session that holds the leader's lock (as a restart or an
        # administrator would): Tandem stops within a second rather than lead on
        # without the lock, which another Tandem could take.
        server = Serve(binary, config, env)
        check(server.port is not None, "tandem serve starts again")
        sql("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())")
        try:
            code = server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = server.stop()
        check(code == 1, f"when the session holding its leader's lock ends, tandem serve stops with 1: {code}")
        check(any("session holding the leader's lock ended" in line for line in server.log_lines),
              "and says why")
finally:
    sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", db="postgres")
finish()
