#!/usr/bin/env bash
# Installs the Debian 12 packages Tandem needs to build, test and run.
# Idempotent: when every package is already installed it only checks, and returns at once.
set -euo pipefail

packages=(
  g++ cmake make pkg-config ccache
  libboost1.81-dev libboost-url1.81-dev
  libssl-dev
  nlohmann-json3-dev
  libsqlitecpp-dev libsqlite3-dev
  libpq-dev postgresql   # the PostgreSQL store (libpq), and a server the tests start a cluster of their own on
  nginx-light            # deploy/postgresql/nginx.conf in front of several instances, in its test (and the Slack benchmark's ceiling)
  libyaml-cpp-dev
  libcli11-dev
  libspdlog-dev libfmt-dev
  libhowardhinnant-date-dev tzdata
  libkainjow-mustache-dev
  libicu-dev
  catch2
  python3 python3-icalendar openssl
  chromium fonts-dejavu-core nodejs npm libfaketime   # the dashboard's test in a real browser (tests/web)
  clang-16 libclang-rt-16-dev   # the fuzz and tsan presets: clang 16 (clang 14 and 15 cannot compile libstdc++ 12's ranges) and libFuzzer
  dpkg-dev file   # dpkg-shlibdeps and file, for the Debian package's Depends (cpack)
  lintian         # Debian's checks of the built package (deploy/package-test.sh)
)

# What the installed packages provide (e.g. NodeSource's nodejs provides npm and conflicts with
# Debian's): such a name counts as installed, so that it is not installed over them.
provided=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
  awk '$1 == "ii" { $1 = ""; print }' | sed 's/ *([^)]*)//g' | tr -s ', ' '\n\n' | sort -u | tr '\n' ' ') "

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' &&
     [[ $provided != *" $p "* ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
