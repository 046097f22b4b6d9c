#!/usr/bin/env bash
# A private MariaDB server for the BIZCLIENT tests, on 127.0.0.1 only.
#
#   scripts/mariadb-test-server.sh          start one; print its SQLAlchemy URL on stdout
#   scripts/mariadb-test-server.sh stop     stop it and delete its files
#
# Everything lives in $SMSCLI_MARIADB_DIR (default /tmp/smscli-mariadb-$UID): the datadir,
# the socket, the pid and the log. Installs mariadb-server from Debian's packages when
# mysqld is missing (apt-get, as root). Progress goes to stderr; stdout is only the URL:
#
#   export SMSCLI_TEST_MYSQL_URL="$(scripts/mariadb-test-server.sh)"
set -euo pipefail

DIR="${SMSCLI_MARIADB_DIR:-/tmp/smscli-mariadb-$(id -u)}"
DB=smscli_test
USER_NAME=smscli
say() { echo "mariadb-test-server: $*" >&2; }

stop_server() {
    if [ -f "$DIR/mysqld.pid" ]; then
        pid="$(cat "$DIR/mysqld.pid")"
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$DIR"
}

if [ "${1:-}" = "stop" ]; then
    stop_server
    say "stopped; removed $DIR"
    exit 0
fi

# A server from an earlier run that still answers: reuse it.
if [ -f "$DIR/url" ] && [ -f "$DIR/mysqld.pid" ] && kill -0 "$(cat "$DIR/mysqld.pid")" 2>/dev/null \
    && mysqladmin --no-defaults --socket="$DIR/mysqld.sock" -uroot ping >/dev/null 2>&1; then
    cat "$DIR/url"
    exit 0
fi

MYSQLD="$(command -v mariadbd || command -v mysqld || true)"
for candidate in /usr/sbin/mariadbd /usr/sbin/mysqld; do
    [ -n "$MYSQLD" ] || { [ -x "$candidate" ] && MYSQLD="$candidate"; }
done
if [ -z "$MYSQLD" ]; then
    if [ "$(id -u)" != 0 ]; then
        say "mysqld is not installed and this is not root: run 'apt-get install mariadb-server' as root"
        exit 1
    fi
    say "installing mariadb-server (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq mariadb-server >&2
    MYSQLD="$(command -v mariadbd || command -v mysqld || echo /usr/sbin/mariadbd)"
fi
INSTALL_DB="$(command -v mariadb-install-db || command -v mysql_install_db)"
CLIENT="$(command -v mariadb || command -v mysql)"

stop_server
mkdir -p "$DIR/data"
chmod 700 "$DIR"
AS_USER=()
[ "$(id -u)" = 0 ] && AS_USER=(--user=root)

say "initialising $DIR/data"
"$INSTALL_DB" --no-defaults --datadir="$DIR/data" "${AS_USER[@]}" --auth-root-authentication-method=socket \
    --skip-test-db >"$DIR/install.log" 2>&1 || { cat "$DIR/install.log" >&2; exit 1; }

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
say "starting $MYSQLD on 127.0.0.1:$PORT"
setsid "$MYSQLD" --no-defaults --datadir="$DIR/data" "${AS_USER[@]}" \
    --bind-address=127.0.0.1 --port="$PORT" --socket="$DIR/mysqld.sock" \
    --pid-file="$DIR/mysqld.pid" --log-error="$DIR/mysqld.log" \
    --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=128M --innodb-log-file-size=64M --max-connections=200 \
    </dev/null >/dev/null 2>&1 &

for _ in $(seq 1 300); do
    if mysqladmin --no-defaults --socket="$DIR/mysqld.sock" -uroot ping >/dev/null 2>&1; then
        break
    fi
    sleep 0.1
done
if ! mysqladmin --no-defaults --socket="$DIR/mysqld.sock" -uroot ping >/dev/null 2>&1; then
    say "the server did not start; its log:"
    tail -n 30 "$DIR/mysqld.log" >&2 || true
    exit 1
fi

PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(12))')"
"$CLIENT" --no-defaults --socket="$DIR/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON $DB.* TO '$USER_NAME'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL

URL="mysql+pymysql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB?charset=utf8mb4"
umask 077
echo "$URL" >"$DIR/url"
say "ready (database $DB, user $USER_NAME); stop it with: $0 stop"
echo "$URL"
