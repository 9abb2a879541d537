#!/usr/bin/env python3
"""End to end through the real binary: the shared calendar and the outcome report on the demo
config, typed in the console, with the feed and the export fetched from the running HTTP server.

Carla's event clashes with Ana's (same topic, same day): both hear of it. `events` gives Ana the
feed link; the feed is parsed by Debian's python3-icalendar; `report` gives the export links; the
CSV lists every organization; a wrong token is refused.
Usage: calendar_console_test.py TANDEM_BINARY REPO_ROOT
"""
import pathlib
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import icalendar

from e2e import check, demo_config, finish

binary, root = sys.argv[1], pathlib.Path(sys.argv[2])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


class console:
    """`tandem console` with a pipe to type into and its output collected by a thread."""

    def __init__(self, config, person):
        self.process = subprocess.Popen([binary, "console", "--config", str(config), "--as", person],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.lines = queue.Queue()
        self.output = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def type(self, line):
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait_for(self, pattern, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output)
            if found:
                return found
            try:
                self.output += self.lines.get(timeout=0.2)
            except queue.Empty:
                pass
        return None

    def close(self):
        self.process.stdin.close()
        code = self.process.wait(timeout=30)
        while not self.lines.empty():
            self.output += self.lines.get()
        return code


with tempfile.TemporaryDirectory() as folder:
    port = free_port()
    demo = (root / "deploy" / "demo.yaml").read_text()
    check("listen: 127.0.0.1:8080" in demo, "the demo config listens on 127.0.0.1:8080")
    config = demo_config(root, pathlib.Path(folder), any_hour=True,
                         listen=f"127.0.0.1:{port}\n  public_url: http://127.0.0.1:{port}")

    session = console(config, "ana")
    session.type('event add in 2w "Spring newsletter" #newsletter audience:public')
    check(session.wait_for(r"Added \*\*E1\*\*|Added E1") is not None, "ana's event is added as E1")
    session.type("/as carla")
    session.type('event add in 2w "River clean-up day" #newsletter')
    check(session.wait_for(r"Possible clash") is not None, "carla is told her event clashes")
    check(session.wait_for(r"tandem -> ana: Carla Reyes added") is not None,
          "the facilitator is told of the clash in a DM")
    check(session.wait_for(r"Spring newsletter\" on \d{4}-\d\d-\d\d") is not None, "the clash names the other event")
    session.type("/as ana")
    session.type("events")
    feed = session.wait_for(r"(http://127\.0\.0\.1:\d+/calendar/river\.ics\?token=[0-9a-f]+)")
    check(feed is not None, "events gives the facilitator the feed link")
    if feed:
        status, content_type, body = fetch(feed.group(1))
        check(status == 200 and content_type == "text/calendar; charset=utf-8", f"the feed is served: {status} {content_type}")
        calendar = icalendar.Calendar.from_ical(body)
        summaries = sorted(str(e.get("summary")) for e in calendar.walk("VEVENT"))
        check(summaries == ["River clean-up day", "Spring newsletter"], f"the feed has both events: {summaries}")
        check(body.endswith(b"\r\n") and body.count(b"\n") == body.count(b"\r\n")
              and all(len(line) <= 75 for line in body.split(b"\r\n")),
              "the feed's lines are CRLF-terminated and at most 75 octets")
        status, _, body = fetch(feed.group(1)[:-4] + "0000")
        check(status == 403 and b"wrong token" in body, f"a wrong token is refused: {status} {body!r}")

    session.type("report")
    export = session.wait_for(r"CSV (http://127\.0\.0\.1:\d+/export/river\.csv\?token=[0-9a-f]+)")
    check(export is not None, "report gives the facilitator the export links")
    if export:
        status, content_type, body = fetch(export.group(1))
        check(status == 200 and content_type == "text/csv; charset=utf-8", f"the CSV is served: {status} {content_type}")
        rows = body.decode().split("\r\n")
        check(rows[0].startswith("collaboration,organization,organization_name,month,nudges"), "the CSV has its header")
        organizations = sorted({row.split(",")[1] for row in rows[1:] if row})
        check(organizations == ["backbone", "city", "farmers"], f"the CSV has every organization: {organizations}")
        status, _, _ = fetch(export.group(1).replace("river.csv", "river.json").split("?")[0])
        check(status == 403, f"the export without its token is refused: {status}")
    check(session.close() == 0, "the console exits 0 at the end of its input")

finish()
