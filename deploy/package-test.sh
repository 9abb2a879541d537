#!/usr/bin/env bash
# Builds the Debian package from a build folder (cpack), checks what is in it, and, as root,
# installs it with apt-get, runs the installed program on the installed example configs, and
# removes it again when it was not installed before. run-tests.sh runs it on the CI build.
# Usage: deploy/package-test.sh [BUILD_DIR]   (default build/ci; the folder must be built)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build/ci}")
[[ -x "$build/bot/app/tandem" ]] || { echo "package-test: $build is not built" >&2; exit 1; }

fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

rm -rf "$build/package"
cpack --config "$build/CPackConfig.cmake" -B "$build/package" >/dev/null
debs=("$build"/package/tandem_*.deb)
[[ -f "${debs[0]}" && ${#debs[@]} -eq 1 ]] || fail "expected one tandem_*.deb in $build/package"
deb=${debs[0]}
echo "package-test: built $deb ($(du -k "$deb" | cut -f1) KiB)"

contents=$(dpkg-deb --contents "$deb")
for path in ./usr/bin/tandem ./usr/share/tandem/prompts/ ./usr/share/man/man1/tandem.1.gz \
            ./usr/lib/systemd/system/tandem.service ./etc/tandem/tandem.yaml \
            ./usr/share/doc/tandem/examples/demo.yaml; do
  grep -q " $path\$\| $path " <<<"$contents" || fail "$path is not in the package"
done
depends=$(dpkg-deb --field "$deb" Depends)
grep -q 'libc6' <<<"$depends" || fail "Depends has no shared libraries (dpkg-shlibdeps): $depends"
[[ $(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles) == /etc/tandem/tandem.yaml ]] ||
  fail "/etc/tandem/tandem.yaml is not a conffile"
echo "package-test: contents, Depends ($depends) and conffiles look right"
# Debian's own checks of the package: no error and no warning (as nobody: lintian warns about root).
if [[ $(id -u) -eq 0 ]]; then
  # The build folder may be private to root: nobody reads a copy.
  lintian_dir=$(mktemp -d)
  chmod 755 "$lintian_dir"
  install -m 644 "$deb" "$lintian_dir/"
  runuser -u nobody -- lintian --fail-on error,warning "$lintian_dir/${deb##*/}" ||
    fail "lintian found errors or warnings in $deb"
  rm -rf "$lintian_dir"
else
  lintian --fail-on error,warning "$deb" || fail "lintian found errors or warnings in $deb"
fi
echo "package-test: lintian finds no error or warning"

if [[ $(id -u) -ne 0 ]]; then
  echo "package-test: SKIPPED installing the package: not root (run as root to install and check it)"
  exit 0
fi

was_installed=no
dpkg-query -W -f='${Status}' tandem 2>/dev/null | grep -q 'install ok installed' && was_installed=yes
apt=(apt-get -y -qq -o DPkg::Lock::Timeout=120)
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$deb" >/dev/null || fail "apt-get install $deb"
[[ $(command -v tandem) == /usr/bin/tandem ]] || fail "tandem is not /usr/bin/tandem on PATH"
/usr/bin/tandem --version || fail "tandem --version"
getent passwd tandem >/dev/null || fail "postinst did not create the user tandem"
[[ $(stat -c %U /var/lib/tandem) == tandem ]] || fail "/var/lib/tandem does not belong to tandem"
# As the service runs it (its user, no flags): the installed templates are found by themselves.
(cd / && runuser -u tandem -- /usr/bin/tandem check-config /etc/tandem/tandem.yaml) ||
  fail "check-config /etc/tandem/tandem.yaml"
(cd / && runuser -u tandem -- /usr/bin/tandem check-config /usr/share/doc/tandem/examples/demo.yaml) ||
  fail "check-config on the installed demo.yaml"
# The binary falls back to the source tree's templates: hide them, so that only the installed ones count.
if unshare --mount true 2>/dev/null; then
  unshare --mount sh -c "mount -t tmpfs none '$PWD/prompts' && cd / &&
    runuser -u tandem -- /usr/bin/tandem check-config /etc/tandem/tandem.yaml >/dev/null" ||
    fail "check-config with only the installed templates"
fi
# What the unit (and the container) runs: serve as tandem, the store in /var/lib/tandem; /healthz
# answers. Only where no store is yet: a store left by an earlier installation is not touched.
if [[ -e /var/lib/tandem/tandem.db ]]; then
  echo "package-test: SKIPPED starting the installed tandem serve: /var/lib/tandem/tandem.db exists"
else
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd / && exec setpriv --reuid tandem --regid tandem --init-groups \
     /usr/bin/tandem serve --config /etc/tandem/tandem.yaml --listen "127.0.0.1:$port" 2>/dev/null) &
  serve_pid=$!
  healthy=no
  python3 - "http://127.0.0.1:$port/healthz" <<'PY' && healthy=yes
import sys, time, urllib.request
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
  kill -TERM "$serve_pid" 2>/dev/null || true
  serve_status=0
  wait "$serve_pid" || serve_status=$?
  rm -f /var/lib/tandem/tandem.db /var/lib/tandem/tandem.db-wal /var/lib/tandem/tandem.db-shm
  [[ $healthy == yes ]] || fail "the installed tandem serve did not answer /healthz"
  [[ $serve_status == 0 ]] || fail "the installed tandem serve exited with status $serve_status after SIGTERM"
  echo "package-test: the installed tandem serve answered /healthz as the user tandem and stopped cleanly"
fi
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/tandem.service || fail "systemd-analyze verify tandem.service"
fi

if [[ $was_installed == no ]]; then
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" purge tandem >/dev/null || fail "apt-get purge tandem"
  [[ ! -e /usr/bin/tandem && ! -e /etc/tandem/tandem.yaml ]] || fail "purge left files behind"
  echo "package-test: installed, checked and purged again (the user tandem and /var/lib/tandem stay)"
else
  echo "package-test: installed over the tandem package that was here, and checked (left installed)"
fi
