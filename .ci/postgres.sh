#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (issue 13): `start DIR` / `stop DIR`.
#
#   .ci/postgres.sh start /tmp/cw-pg    # initdb into DIR/data, listen on 127.0.0.1:<free port>
#   . /tmp/cw-pg/env                    # exports CASEWATCH_TEST_PG_URL
#   .ci/postgres.sh stop /tmp/cw-pg     # stop the server and delete DIR
#
# initdb refuses to run as root, so as root the server runs as the `postgres` user (runuser). The unix
# socket lives in DIR too, so nothing outside DIR is touched. Installs the Debian `postgresql` package
# when PostgreSQL 15 is missing. Exits non-zero, with the server log, when the server cannot be started.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    if [ ! -x "$PGBIN/initdb" ]; then
        echo "== postgresql (apt-get install postgresql)"
        SUDO=""
        if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
        $SUDO apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    if [ ! -x "$PGBIN/initdb" ]; then
        echo "postgres.sh: $PGBIN/initdb is missing after installing postgresql" >&2
        exit 1
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # C.UTF-8 where the system has it (Debian does), else plain C: casewatch sorts with COLLATE "C" anyway.
    if ! as_owner "$PGBIN/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
        rm -rf "$dir/data"
        as_owner "$PGBIN/initdb" -D "$dir/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C \
            >>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # Small and fast: a test server, nothing here is worth an fsync.
    if ! as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null; then
        echo "postgres.sh: the PostgreSQL server did not start; its log:" >&2
        cat "$dir/server.log" >&2 || true
        exit 1
    fi
    as_owner "$PGBIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE casewatch LOGIN CREATEDB" -c "CREATE DATABASE casewatch_test OWNER casewatch" >/dev/null
    url="postgresql://casewatch@127.0.0.1:$port/casewatch_test"
    echo "export CASEWATCH_TEST_PG_URL=$url" >"$dir/env"
    echo "PostgreSQL test server at $url (stop: $0 stop $dir)"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
