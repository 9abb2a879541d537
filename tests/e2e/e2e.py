"""What the end-to-end scripts share: named checks with a summary, plain HTTP requests, and
`tandem serve` started with JSON logs, read until it says which port it listens on."""
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

failures = []


def check(condition, what):
    """Prints `what` as ok or FAIL; a failure is remembered for `finish`."""
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def finish():
    """Prints the summary and ends the script: exit status 1 when any check failed."""
    print("e2e: " + ("all checks passed" if not failures else f"{len(failures)} checks failed"))
    sys.exit(1 if failures else 0)


def demo_config(root, folder, any_hour=False, listen="127.0.0.1:0"):
    """Writes the demo config into `folder`, listening at `listen` (by default a free port), and
    returns its path. With `any_hour`, nobody has quiet hours: messages held until someone's morning
    would make the checks depend on the time of day the test runs at."""
    demo = (root / "deploy" / "demo.yaml").read_text().replace("listen: 127.0.0.1:8080", "listen: " + listen)
    if any_hour:
        demo = "\n".join(line for line in demo.splitlines() if not line.strip().startswith("quiet:")) + "\n"
        demo = demo.replace('quiet_hours: "20:00-08:00"', 'quiet_hours: "off"')
    config = folder / "demo.yaml"
    config.write_text(demo)
    return config


def run_console(binary, config, person, lines):
    """`tandem console --config CONFIG --as PERSON` with `lines` typed, then the end of input;
    prints what it said and returns the finished process."""
    result = subprocess.run([binary, "console", "--config", str(config), "--as", person],
                            input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=30)
    print(result.stdout)
    if result.stderr:
        print("stderr:", result.stderr)
    return result


def request(url, body=None, headers=None, method=None):
    """(status, body text) of one request: a POST when there is a body, else a GET."""
    req = urllib.request.Request(url, data=body, headers=headers or {},
                                 method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Serve:
    """`tandem serve --config CONFIG --log-format json [ARGS]`; `port` is None when it never said
    where it listens (within 20 s). Every log line is kept in `log_lines`: once the port is known
    a thread reads on, so a long run never blocks on a full pipe."""

    def __init__(self, binary, config, env, args=()):
        self.process = subprocess.Popen([binary, "serve", "--config", str(config), "--log-format", "json", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.log_lines = []
        self.port = None
        deadline = time.monotonic() + 20
        while self.port is None and time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            self.log_lines.append(line.rstrip("\n"))
            message = json.loads(line)["message"]
            if "listening on http://127.0.0.1:" in message:
                self.port = int(message.split("listening on http://127.0.0.1:")[1].split()[0])
        self.reader = threading.Thread(target=self._read_log, daemon=True)
        self.reader.start()

    def _read_log(self):
        for line in self.process.stderr:
            self.log_lines.append(line.rstrip("\n"))

    def wait(self, timeout):
        """Waits up to `timeout` seconds for it to end by itself; its exit code, the log complete."""
        code = self.process.wait(timeout=timeout)
        self.reader.join(timeout=15)
        return code

    def stop(self):
        """Sends SIGTERM, waits up to 15 s (then kills), keeps the rest of the log; the exit code
        or None when it had to be killed."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        self.reader.join(timeout=15)
        return code
