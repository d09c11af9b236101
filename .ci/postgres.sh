#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for tests/store/test_postgres.py, if this
# machine can (root with apt-get). Prints "URL STOP-COMMAND" on its last line;
# on any failure it says why on stderr and prints nothing, and those tests skip.
set -u
port=55432
data=$(mktemp -d /tmp/calcideck-pg.XXXXXX)
log() { echo "postgres: $*" >&2; }
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "not installed and cannot install it here; PostgreSQL tests will be skipped"; exit 0
  fi
  log "installing PostgreSQL from Debian's packages"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >"$data/apt.log" 2>&1 \
    || { log "apt-get failed (see $data/apt.log); PostgreSQL tests will be skipped"; exit 0; }
fi
bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
owner=postgres
id "$owner" >/dev/null 2>&1 || owner=$(id -un)
chown "$owner" "$data"
run() { if [ "$(id -un)" = "$owner" ]; then "$@"; else su "$owner" -s /bin/sh -c "$(printf '%q ' "$@")"; fi; }
run "$bin/initdb" -D "$data/db" -A trust -U postgres >"$data/initdb.log" 2>&1 \
  || { log "initdb failed (see $data/initdb.log)"; exit 0; }
if [ "$(id -un)" != "$owner" ]; then log "running the server as $owner"; fi
run "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w \
  -o "-k $data -c listen_addresses=127.0.0.1 -p $port -c fsync=off" start >/dev/null 2>&1 \
  || { log "server did not start (see $data/server.log)"; exit 0; }
log "server running on 127.0.0.1:$port (data in $data)"
echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres $bin/pg_ctl -D $data/db -m fast stop"
