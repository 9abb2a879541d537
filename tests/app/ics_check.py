"""Parses an iCalendar file with an independent parser (Debian's python3-icalendar) and prints
what it understood as JSON, for tests/app/feed_routes_test.cpp to compare. Also checks the
RFC 5545 framing the parser forgives: CRLF line endings and lines of at most 75 octets.

usage: /usr/bin/python3 ics_check.py FILE.ics > OUT.json   (exit 1 with a reason on stderr)"""
import json
import sys

import icalendar

raw = open(sys.argv[1], "rb").read()
if not raw.endswith(b"\r\n"):
    sys.exit("the feed does not end with CRLF")
for number, line in enumerate(raw.split(b"\r\n")[:-1], start=1):
    if b"\n" in line or b"\r" in line:
        sys.exit(f"line {number} has a bare LF or CR")
    if len(line) > 75:
        sys.exit(f"line {number} is {len(line)} octets long")
    line.decode("utf-8")  # a fold must never split a character

calendar = icalendar.Calendar.from_ical(raw)
events = []
for event in calendar.walk("VEVENT"):
    categories = event.get("categories")
    events.append({
        "uid": str(event.get("uid")),
        "dtstamp": event.decoded("dtstamp").isoformat(),
        "start": event.decoded("dtstart").isoformat(),
        "all_day": type(event.decoded("dtstart")).__name__ == "date",
        "end": event.decoded("dtend").isoformat(),
        "summary": str(event.get("summary")),
        "categories": [str(c) for c in categories.cats] if categories is not None else [],
        "description": str(event.get("description")),
    })
print(json.dumps({"version": str(calendar.get("version")), "prodid": str(calendar.get("prodid")), "events": events}))
