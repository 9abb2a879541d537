#!/usr/bin/env bash
# A PostgreSQL cluster of its own for the tests: `cluster.sh start DIR` creates it in DIR (removed
# first), listening on 127.0.0.1 on a port free at the time, and writes its URL to DIR/url
# (`postgresql://tandem@127.0.0.1:PORT`, no database: a test adds its own); `cluster.sh stop DIR`
# stops it and removes DIR. As root, the server runs as the `postgres` user (PostgreSQL refuses
# root). Needs Debian's postgresql package (deploy/install-deps.sh installs it).
set -euo pipefail

action=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}

bin=$(pg_config --bindir 2>/dev/null || true)
if [[ ! -x $bin/initdb ]]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
if [[ ! -x $bin/initdb ]]; then
  echo "cluster.sh: no PostgreSQL server found (install Debian's postgresql: deploy/install-deps.sh)" >&2
  exit 1
fi

as_server_user=()
if [[ $(id -u) -eq 0 ]]; then
  as_server_user=(runuser -u postgres --)
fi

# Where the server's files go: DIR itself, or as root a folder of the server user's own under /tmp
# (named in DIR/home), since DIR's parents may be closed to that user (a clone in /root, or in a
# mktemp -d folder).
home_of() { if [[ -f $dir/home ]]; then cat "$dir/home"; else echo "$dir"; fi; }

case $action in
  start)
    old=$(home_of)
    if [[ -f $old/data/postmaster.pid ]]; then "${as_server_user[@]}" "$bin/pg_ctl" -D "$old/data" -m immediate stop >/dev/null 2>&1 || true; fi
    [[ $old != "$dir" ]] && rm -rf "$old"
    rm -rf "$dir"
    mkdir -p "$dir"
    home=$dir
    if [[ ${#as_server_user[@]} -gt 0 ]]; then
      home=$(mktemp -d /tmp/tandem-postgresql.XXXXXX)
      chmod 755 "$home"
      chown postgres: "$home"
      echo "$home" >"$dir/home"
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_server_user[@]}" "$bin/initdb" -D "$home/data" -U tandem --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # The server as a deployment has it (fsync, synchronous_commit on), on 127.0.0.1 only; its
    # socket in its folder, not /var/run/postgresql.
    "${as_server_user[@]}" "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 \
      -o "-p $port -k $home -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null ||
      { cat "$home/server.log" >&2; exit 1; }
    echo "postgresql://tandem@127.0.0.1:$port" >"$dir/url"
    ;;
  stop)
    home=$(home_of)
    if [[ -d $home/data ]]; then "${as_server_user[@]}" "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null || true; fi
    [[ $home != "$dir" ]] && rm -rf "$home"
    rm -rf "$dir"
    ;;
  *)
    echo "cluster.sh: unknown action '$action' (start or stop)" >&2
    exit 2
    ;;
esac
