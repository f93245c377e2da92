#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks (issue 16, part 3).
#
#   eval "$(.ci/postgres.sh start DIR)"   # prints: export TOLLGATE_PG_URL=postgresql://...
#   .ci/postgres.sh stop DIR              # stops the cluster and removes DIR
#
# Installs Debian's `postgresql` when initdb is missing (apt-get; root or
# sudo). PostgreSQL refuses to run as root, so as root the cluster runs as the
# `postgres` user the package creates (runuser). It listens on 127.0.0.1 on a
# free port and on a Unix socket inside DIR only, trusts local connections
# (nothing else can reach it) and holds one database, `tollgate`.
# PG_DURABLE=1 keeps fsync on (benchmarks); otherwise fsync is off, which is
# safe for a cluster that is thrown away and saves seconds of test time.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

pgbin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if ! bin=$(pgbin); then
      echo "installing postgresql" >&2
      # No default cluster: this script makes its own.
      $SUDO mkdir -p /etc/postgresql-common
      [ -e /etc/postgresql-common/createcluster.conf ] ||
        echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
      $SUDO apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
      bin=$(pgbin)
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U tollgate -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    fsync=off; [ "${PG_DURABLE:-0}" = 1 ] && fsync=on
    # A free port: one nothing answers on, and that the server could bind.
    started=
    for attempt in 1 2 3 4 5; do
      port=$(( 20000 + RANDOM % 40000 ))
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=$fsync -c max_connections=200" \
        >/dev/null; then started=1; break; fi
    done
    [ -n "$started" ] || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U tollgate tollgate
    echo "export TOLLGATE_PG_URL=postgresql://tollgate@127.0.0.1:$port/tollgate"
    ;;
  stop)
    if [ -d "$dir/data" ] && bin=$(pgbin); then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
