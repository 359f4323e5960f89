#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster for tests, on 127.0.0.1 only.
# `start` prints `export ALEPH_TEST_DATABASE_URI=...` for eval.
set -euo pipefail
dir=${ALEPH_TEST_PG_DIR:-/var/tmp/aleph-test-pg}
port=${ALEPH_TEST_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
# PostgreSQL refuses to run as root; use the postgres system user when we are root.
run() {
    if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
case "${1:-}" in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
        run "$bin/initdb -D $dir -U aleph --auth=trust -E UTF8 >/dev/null"
    fi
    if ! run "$bin/pg_ctl -D $dir status" >/dev/null 2>&1; then
        run "$bin/pg_ctl -D $dir -l $dir/server.log -w -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' start" >/dev/null
    fi
    run "$bin/psql -h 127.0.0.1 -p $port -U aleph -d postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='aleph_test'\"" | grep -q 1 \
        || run "$bin/createdb -h 127.0.0.1 -p $port -U aleph aleph_test"
    echo "export ALEPH_TEST_DATABASE_URI=postgresql://aleph@127.0.0.1:$port/aleph_test"
    ;;
stop)
    run "$bin/pg_ctl -D $dir -m fast stop" || true
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
