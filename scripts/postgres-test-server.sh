#!/usr/bin/env bash
# A private PostgreSQL server for the shared-journal tests, on 127.0.0.1 only.
#
#   scripts/postgres-test-server.sh          start one; print its journal URL on stdout
#   scripts/postgres-test-server.sh stop     stop it and delete its files
#   scripts/postgres-test-server.sh halt     stop it at once (as a crash would), keep its files
#   scripts/postgres-test-server.sh restart  start a halted one again (same port, same data)
#
# Everything lives in $SMSCLI_POSTGRES_DIR (default /tmp/smscli-postgres-$UID): the data
# directory, the socket, the log. Installs Debian's postgresql package when initdb is
# missing (apt-get, as root). PostgreSQL refuses to run as root, so as root the server runs
# as the "postgres" user (created by the package). Progress goes to stderr; stdout is only
# the URL (with a generated password):
#
#   export SMSCLI_TEST_PG_URL="$(scripts/postgres-test-server.sh)"
set -euo pipefail

DIR="${SMSCLI_POSTGRES_DIR:-/tmp/smscli-postgres-$(id -u)}"
DB=smscli_test
USER_NAME=smscli
say() { echo "postgres-test-server: $*" >&2; }

find_bin() {
    local name="$1" dir
    command -v "$name" 2>/dev/null && return 0
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
    return 1
}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

stop_server() {
    if [ -f "$DIR/data/postmaster.pid" ] && PG_CTL="$(find_bin pg_ctl)"; then
        as_owner "$PG_CTL" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
}

start_server() {
    # fsync=off: no flush to the disk (the machine does not crash in a test), but every commit
    # is written before it returns (synchronous_commit stays on), so a server killed by
    # `halt` keeps what it committed, as a real one does.
    as_owner "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $1 -k $DIR -c max_connections=200 -c fsync=off \
-c full_page_writes=off" start >/dev/null \
        || { say "the server did not start; its log:"; tail -n 30 "$DIR/server.log" >&2 || true; exit 1; }
}

if [ "${1:-}" = "stop" ]; then
    stop_server
    say "stopped; removed $DIR"
    exit 0
fi
if [ "${1:-}" = "halt" ]; then
    PG_CTL="$(find_bin pg_ctl)"
    as_owner "$PG_CTL" -D "$DIR/data" -m immediate -w stop >/dev/null
    say "halted; $0 restart starts it again"
    exit 0
fi
if [ "${1:-}" = "restart" ]; then
    PG_CTL="$(find_bin pg_ctl)"
    [ -f "$DIR/url" ] || { say "no server in $DIR to restart"; exit 1; }
    start_server "$(cat "$DIR/port")"
    say "restarted on 127.0.0.1:$(cat "$DIR/port")"
    cat "$DIR/url"
    exit 0
fi

# A server from an earlier run that still answers: reuse it.
if [ -f "$DIR/url" ] && PG_ISREADY="$(find_bin pg_isready)" \
    && "$PG_ISREADY" -q -h "$DIR" -p "$(cat "$DIR/port")" 2>/dev/null; then
    cat "$DIR/url"
    exit 0
fi

if ! INITDB="$(find_bin initdb)"; then
    if [ "$(id -u)" != 0 ]; then
        say "PostgreSQL is not installed and this is not root: run 'apt-get install postgresql' as root"
        exit 1
    fi
    say "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    INITDB="$(find_bin initdb)"
fi
PG_CTL="$(find_bin pg_ctl)"
PSQL="$(find_bin psql)"

stop_server
mkdir -p "$DIR"
chmod 700 "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"

say "initialising $DIR/data"
as_owner "$INITDB" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
echo "$PORT" >"$DIR/port"
# Loopback TCP needs the password (scram); the socket in $DIR stays trusted for this script.
cat >"$DIR/data/pg_hba.conf" <<HBA
local all all trust
host all all 127.0.0.1/32 scram-sha-256
HBA
say "starting PostgreSQL on 127.0.0.1:$PORT"
start_server "$PORT"

PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
as_owner "$PSQL" -q -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE USER $USER_NAME PASSWORD '$PASSWORD' CREATEDB;
CREATE DATABASE $DB OWNER $USER_NAME;
SQL

URL="postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"
umask 077
echo "$URL" >"$DIR/url"
chmod 600 "$DIR/url"
say "ready (database $DB, user $USER_NAME); stop it with: $0 stop"
echo "$URL"
