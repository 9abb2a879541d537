#!/usr/bin/env python3
"""Pre-built, pre-signed Slack Events API requests for bench/slack_events/run.sh.

Writes COUNT raw HTTP requests to OUTPUT, each a record `KIND LENGTH REQUEST`: KIND one byte
(u: a new `message` event with a unique `ts`, Tandem's dedup key; r: Slack's retry of an earlier
one, with X-Slack-Retry-Num; f: signed with a wrong secret, in channel C0BAD), LENGTH seven
digits, then the request itself. About 5% are retries and 1% forged, as Slack's own traffic and
the benchmark's checks want. Every request carries the same X-Slack-Request-Timestamp (now, or
--timestamp), so the file is good for Slack's 5-minute window after it is written: run.sh writes
one just before each run. events.lua sends the records in order; wrk's core then only reads
them, and the ceiling (nginx under the same load) measures nginx rather than the signing.

Environment: SLACK_SIGNING_SECRET.
Usage: presign.py OUTPUT --count N --host 127.0.0.1:PORT [--timestamp SECONDS] [--seed N] [--first N]
"""
import argparse
import hashlib
import hmac
import os
import random
import time

parser = argparse.ArgumentParser()
parser.add_argument("output")
parser.add_argument("--count", type=int, required=True)
parser.add_argument("--host", required=True)
parser.add_argument("--path", default="/slack/events")
parser.add_argument("--timestamp", type=int, default=int(time.time()))
parser.add_argument("--seed", type=int, default=1000)
parser.add_argument("--first", type=int, default=0,
                    help="number the messages after this one: pools for several instances do not overlap")
args = parser.parse_args()

secret = os.environ["SLACK_SIGNING_SECRET"].encode()
wrong_secret = b"not-the-signing-secret"
timestamp = str(args.timestamp)
head = (f"POST {args.path} HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {timestamp}\r\n").encode()
signed_prefix = f"v0:{timestamp}:".encode()


def ts_of(n):
    # Unique per message: its own second, and the message number after the dot.
    n += args.first
    return f"{1700000000 + n // 1000000}.{n % 1000000:06d}"


def message_event(channel, ts):
    return ('{"token":"x","team_id":"T0123ABCD","api_app_id":"A1","type":"event_callback","event_id":"Ev'
            + ts.replace(".", "") + '","event_time":' + timestamp
            + ',"event":{"type":"message","channel":"' + channel + '","channel_type":"channel","user":"U0123EMMA",'
            + '"text":"The survey team counted 42 herons this morning","ts":"' + ts + '"}}').encode()


def request(body, key, retry):
    signature = hmac.digest(key, signed_prefix + body, hashlib.sha256).hex()
    return (head + b"X-Slack-Signature: v0=" + signature.encode() + b"\r\n"
            + (b"X-Slack-Retry-Num: 1\r\n" if retry else b"")
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


rng = random.Random(args.seed)
unique = forged = 0
with open(args.output, "wb", buffering=1 << 20) as out:
    for _ in range(args.count):
        roll = rng.randrange(100)
        if roll < 5 and unique > 0:
            kind, text = b"r", request(message_event("C0123RIVER", ts_of(rng.randrange(1, unique + 1))), secret, True)
        elif roll == 5:
            forged += 1
            kind, text = b"f", request(message_event("C0BAD", ts_of(forged)), wrong_secret, False)
        else:
            unique += 1
            kind, text = b"u", request(message_event("C0123RIVER", ts_of(unique)), secret, False)
        out.write(kind + b"%07d" % len(text) + text)
