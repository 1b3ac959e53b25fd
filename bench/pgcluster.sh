#!/usr/bin/env bash
# Starts or stops a private PostgreSQL cluster with the server's default
# settings, for benchmarks: a shared test server may be tuned for tests
# (this machine's runs with autovacuum off, which leaves a new database
# without planner statistics; see docs/performance.md), and a benchmark
# must not disturb other users of it.
#
#   bench/pgcluster.sh start [DIR] [PORT]   # prints the URL to use as -postgres
#   bench/pgcluster.sh stop  [DIR]
set -euo pipefail

dir=${2:-/tmp/usher-bench-pg}
port=${3:-25432}

bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/$1" ] && { echo "$d/$1"; return; }
  done
  command -v "$1"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case ${1:-} in
start)
  if [ ! -d "$dir/data" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$(bin initdb)" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  fi
  as_owner "$(bin pg_ctl)" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  ;;
stop)
  as_owner "$(bin pg_ctl)" -D "$dir/data" -m fast -w stop >/dev/null
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop [DIR] [PORT]" >&2
  exit 2
  ;;
esac
