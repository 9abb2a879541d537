#!/usr/bin/env python3
"""A read-only disk while serving, through the real binary, with Slack events and a signed webhook.

The store lives on an ext4 image mounted through a loop device with errors=remount-ro. Writing 1
to /sys/fs/ext4/loopN/trigger_fs_error records a file system error, as a disk's I/O error would:
the kernel aborts the journal and turns the file system read-only under the running
`tandem serve`. (A plain `mount -o remount,ro` is refused while Tandem holds the store open for
writing, so this is how a disk goes read-only under a running Tandem.) From then on every write
and every fsync fails with EROFS: a request that reaches the store gets 503 with Retry-After and
nothing is acknowledged, and the next sync (each second) fails, so Tandem stops with exit code 1,
saying so, since it cannot know what the disk kept. Started again on the read-only disk, it
refuses to start and says why. After the repair (unmount, `e2fsck -fy`, mount), Tandem starts on
the same store: everything acknowledged before is there, and the retried events and command are
stored once.

Mounting needs root, a loop device and ext4's trigger_fs_error. Without them (an unprivileged
container, say) the script exits with 77, which ctest reports as skipped (SKIP_RETURN_CODE),
never as passed. The image is always unmounted and its loop device detached at the end.

Usage: store_read_only_test.py TANDEM_BINARY REPO_ROOT
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from e2e import (Serve, check, finish, post_signed, request, signed_platforms_config, signed_platforms_env, skip,
                 slack_event, slack_ts, stored_keys, webhook_message)

binary = sys.argv[1]


def run(*command):
    """(exit code, what it said) of a system command; 127 when it is not installed."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return 127, f"{command[0]} is not installed"
    return done.returncode, (done.stdout + done.stderr).strip()


class LoopDisk:
    """An ext4 image of 64 MB mounted at `folder` through a loop device, errors=remount-ro."""

    def __init__(self, image, folder):
        self.image, self.folder = image, folder
        folder.mkdir()
        subprocess.run(["truncate", "-s", "64M", str(image)], check=True)

    def format(self):
        """(ok, what went wrong)."""
        code, said = run("mkfs.ext4", "-q", str(self.image))
        return code == 0, said

    def mount(self):
        """(ok, what went wrong)."""
        code, said = run("mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.folder))
        return code == 0, said

    def trigger(self):
        """The file that, written, records an error on the mounted file system: None when this
        kernel has none."""
        code, device = run("findmnt", "-n", "-o", "SOURCE", str(self.folder))
        trigger = pathlib.Path("/sys/fs/ext4") / os.path.basename(device) / "trigger_fs_error"
        return trigger if code == 0 and trigger.exists() else None

    def writable(self):
        """Whether a file can be written on it: (yes or no, the error)."""
        try:
            (self.folder / "probe").write_text("probe")
            return True, ""
        except OSError as error:
            return False, str(error)

    def repair(self):
        """Unmounts, checks and repairs with `e2fsck -fy`, mounts again: (ok, what happened)."""
        code, said = run("umount", str(self.folder))
        if code != 0:
            return False, f"umount: {said}"
        code, said = run("e2fsck", "-fy", str(self.image))
        if code not in (0, 1):  # 1: errors were corrected
            return False, f"e2fsck exit code {code}: {said}"
        mounted, why = self.mount()
        return mounted, why or said

    def release(self):
        """Unmounts (if mounted) and detaches every loop device still on the image."""
        if run("mountpoint", "-q", str(self.folder))[0] == 0:
            code, said = run("umount", str(self.folder))
            check(code == 0, f"the image is unmounted: {said}")
            if code != 0:
                run("umount", "--lazy", str(self.folder))  # detached now, unmounted once nothing uses it
        code, attached = run("losetup", "-j", str(self.image))
        for line in attached.splitlines() if code == 0 else []:
            device = line.split(":")[0]
            code, said = run("losetup", "-d", device)
            check(code == 0, f"{device} is detached: {said}")


def refused_or_unanswered(answer):
    """A request the platform sends again: 503 with Retry-After 5, or no answer at all once Tandem
    has stopped."""
    return answer in ((503, "5"), (None, None))


with tempfile.TemporaryDirectory() as folder:
    folder = pathlib.Path(folder)
    if os.geteuid() != 0:
        skip("mounting the store's disk needs root")
    disk = LoopDisk(folder / "store.img", folder / "disk")
    server = None
    try:
        formatted, why = disk.format()
        if not formatted:
            skip(f"mkfs.ext4 cannot make the store's disk: {why}")
        mounted, why = disk.mount()
        if not mounted:
            skip(f"the store's disk cannot be mounted through a loop device: {why}")
        trigger = disk.trigger()
        if trigger is None:
            skip("this kernel has no ext4 trigger_fs_error to make the disk read-only")
        config = folder / "tandem.yaml"
        store = disk.folder / "tandem.db"
        config.write_text(signed_platforms_config(store))
        env = signed_platforms_env()

        # --- stored while the disk is healthy ------------------------------------------------------
        server = Serve(binary, config, env)
        check(server.port is not None, f"serve listens: {server.port}")
        base = f"http://127.0.0.1:{server.port}"
        check(post_signed(base, "/slack/events", slack_event(1, "hello"))[0] == 200, "a first Slack event is stored")
        check(post_signed(base, "/slack/events", slack_event(2, "the survey is done"))[0] == 200, "and a second")
        check(post_signed(base, "/webhook/ops", webhook_message("m-1", "the permit arrived"))[0] == 200,
              "a webhook message is stored")

        # --- the disk turns read-only -------------------------------------------------------------
        trigger.write_text("1")
        writable, why = disk.writable()
        check(not writable and "Read-only file system" in why, f"the disk is read-only now: {why}")
        answers = {
            "a Slack event": post_signed(base, "/slack/events", slack_event(3, "while the disk is read-only")),
            "a webhook message": post_signed(base, "/webhook/ops", webhook_message("m-2", "while read-only")),
            "a webhook command": post_signed(base, "/webhook/ops", webhook_message("m-3", "tasks")),
        }
        for what, answer in answers.items():
            check(refused_or_unanswered(answer),
                  f"{what} is refused (503, Retry-After 5) or not answered once Tandem stopped: {answer}")
        try:
            code = server.process.wait(timeout=10)
            server.log_lines += server.process.stderr.read().splitlines()
        except subprocess.TimeoutExpired:
            code = f"still running after 10 s, then stopped with {server.stop()}"
        check(code == 1, f"Tandem stops with exit code 1 at its next sync: {code}")
        log = "\n".join(server.log_lines)
        check("did not make commits durable" in log and "Read-only file system" in log,
              f"and says the disk refused, read-only: {log[-900:]}")
        server = None

        # --- started again while the disk is still read-only ------------------------------------------
        refused = Serve(binary, config, env)
        try:
            code = refused.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = refused.stop()
        refused.log_lines += refused.process.stderr.read().splitlines()
        said = "\n".join(refused.log_lines)
        check(refused.port is None and code == 1, f"serve does not start on the read-only disk: exit code {code}")
        check("read-only" in said.lower(), f"it says the disk is read-only: {said[-900:]}")

        # --- the disk repaired: the same store, the retries -----------------------------------------
        repaired, why = disk.repair()
        check(repaired, f"unmounted, e2fsck -fy, mounted again: {why[-600:]}")
        check(disk.writable()[0], f"the disk is writable again: {disk.writable()}")
        server = Serve(binary, config, env)
        check(server.port is not None, f"serve starts on the same store: {server.port}")
        base = f"http://127.0.0.1:{server.port}"
        check(post_signed(base, "/slack/events", slack_event(3, "while the disk is read-only"))[0] == 200,
              "Slack's retry is stored")
        check(post_signed(base, "/webhook/ops", webhook_message("m-2", "while read-only"))[0] == 200,
              "and the webhook's retry")
        status, answer = request(base + "/webhook/ops", *webhook_message("m-3", "tasks"))
        check(status == 200 and "reply" in json.loads(answer), f"the retried command is answered: {status} {answer}")
        check(post_signed(base, "/slack/events", slack_event(1, "hello"))[0] == 200,
              "an event stored before the disk failed, sent again, is acknowledged")
        code = server.stop()
        server = None
        check(code == 0, f"serve stops with exit code 0: {code}")
        keys = stored_keys(store)
        for suffix in [slack_ts(1), slack_ts(2), ":m-1", slack_ts(3), ":m-2", ":m-3"]:
            found = [k for k in keys if k.endswith(suffix)]
            check(len(found) == 1, f"{suffix} is stored once: {found}")
    finally:
        if server is not None:
            server.stop()
        disk.release()

finish()
