#!/usr/bin/env bash
# Starts a throwaway Postgres for the store tests and prints its URL (the only line on stdout):
#
#   export TEST_DATABASE_URL=$(bash scripts/start-test-postgres.sh)
#   bash scripts/start-test-postgres.sh stop      # stops it and deletes its data
#
# Debian's postgresql package (any version under /usr/lib/postgresql), a cluster in
# $KILN_TEST_PG_DIR (default /tmp/kiln-test-postgres) on 127.0.0.1:$KILN_TEST_PG_PORT (default 5433),
# trust auth, fsync off, database kiln_test. Idempotent: when it already runs, it just prints the URL;
# when it does not, it starts a fresh cluster (the data is throwaway).
# As root, the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail

port=${KILN_TEST_PG_PORT:-5433}
dir=${KILN_TEST_PG_DIR:-/tmp/kiln-test-postgres}
url="postgres://postgres@127.0.0.1:$port/kiln_test"

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  echo "start-test-postgres: no /usr/lib/postgresql/*/bin; install it with: apt-get install -y postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
  if [ -f "$dir/data/PG_VERSION" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true; fi
  rm -rf "$dir"
  exit 0
fi

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  # Not running: start from a fresh cluster. A cluster left by a killed session (stale
  # postmaster.pid, possibly naming a PID now reused) would refuse to start; its data is throwaway.
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 || { tail -n 20 "$dir/server.log" >&2; exit 1; }
fi

if [ "$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname = 'kiln_test'")" != 1 ]; then
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres kiln_test
fi
echo "$url"
