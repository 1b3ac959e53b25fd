#!/usr/bin/env bash
# Runs every test of usher against real SQLite and a real PostgreSQL server.
#
# A Postgres server is found or made, in this order:
#   1. TEST_DATABASE_URL, if set;
#   2. a server answering on 127.0.0.1:5432 (trust auth, database "test");
#   3. the machine's Debian cluster, started with pg_ctlcluster;
#   4. a throwaway cluster made with initdb in a temporary directory.
# Postgres tests are then required (USHER_REQUIRE_POSTGRES=1): if none of
# the above works the run fails instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*" >&2; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  command -v "$1" 2>/dev/null
}

try_url() {
  local url=$1
  if command -v psql >/dev/null 2>&1; then
    psql "$url" -tAc 'select 1' >/dev/null 2>&1
  else
    return 1
  fi
}

find_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    return 0
  fi
  # USHER_TEST_PG=throwaway skips straight to a private cluster: it is how
  # the fallback itself is tested on a machine that has a server running.
  if [ "${USHER_TEST_PG:-}" != throwaway ]; then
    find_running_postgres && return 0
  fi
  start_throwaway_cluster
}

find_running_postgres() {
  local local_url="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
  if try_url "$local_url"; then
    export TEST_DATABASE_URL=$local_url; return 0
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    local version
    version=$(ls /etc/postgresql | head -n1)
    log "starting the machine's PostgreSQL $version cluster"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do
      if try_url "$local_url"; then export TEST_DATABASE_URL=$local_url; return 0; fi
      if try_url "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"; then
        psql "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" -c 'create database test' >/dev/null 2>&1 || true
      fi
      sleep 1
    done
  fi
  return 1
}

stop_throwaway_cluster() {
  "${RUN_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}

start_throwaway_cluster() {
  local initdb pgctl
  initdb=$(pg_bin initdb || true)
  pgctl=$(pg_bin pg_ctl || true)
  if [ -n "$initdb" ] && [ -n "$pgctl" ]; then
    local dir port
    RUN_AS=()
    dir=$(mktemp -d /tmp/usher-pg.XXXXXX)
    port=$(( 20000 + RANDOM % 20000 ))
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd -r postgres
      chown postgres "$dir"; RUN_AS=(runuser -u postgres --)
    fi
    log "starting a throwaway cluster in $dir on port $port"
    "${RUN_AS[@]}" "$initdb" -D "$dir/data" -U postgres -A trust >/dev/null
    "${RUN_AS[@]}" "$pgctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -l "$dir/log" -w start >/dev/null
    PG_DIR=$dir PG_CTL=$pgctl
    trap stop_throwaway_cluster EXIT
    "${RUN_AS[@]}" psql -h 127.0.0.1 -p "$port" -U postgres -c 'create database test' postgres >/dev/null
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/test?sslmode=disable"
    return 0
  fi
  return 1
}

if ! find_postgres; then
  log "no PostgreSQL server could be found or started: install PostgreSQL (apt-get install postgresql) or set TEST_DATABASE_URL"
  exit 1
fi
export USHER_REQUIRE_POSTGRES=1
log "PostgreSQL for tests: ${TEST_DATABASE_URL%%\?*}"

# Fuzz seed corpora run as ordinary tests; -fuzz runs are in the Makefile.
go vet ./...
go test -count=1 -timeout 30m "$@" ./...
