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

case $action in
  start)
    if [[ -f $dir/data/postmaster.pid ]]; then "${as_server_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ ${#as_server_user[@]} -gt 0 ]]; then chown postgres: "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_server_user[@]}" "$bin/initdb" -D "$dir/data" -U tandem --auth=trust -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # The server as a deployment has it (fsync, synchronous_commit on), on 127.0.0.1 only; its
    # socket in DIR, not /var/run/postgresql.
    "${as_server_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://tandem@127.0.0.1:$port" >"$dir/url"
    ;;
  stop)
    if [[ -d $dir/data ]]; then "${as_server_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "cluster.sh: unknown action '$action' (start or stop)" >&2
    exit 2
    ;;
esac
