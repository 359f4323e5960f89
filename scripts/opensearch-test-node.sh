#!/usr/bin/env bash
# Start or stop a throwaway single-node OpenSearch 2.19 for tests, on 127.0.0.1 only.
# The node is the real server run from Maven Central jars by a small launcher
# (tools/opensearch-node); jars and the compiled launcher are cached under /var/tmp.
# `start` prints `export ALEPH_TEST_OPENSEARCH_URL=...` for eval; everything else goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/tools/opensearch-node"
cache=${ALEPH_TEST_OS_CACHE:-/var/tmp/aleph-opensearch}
home=${ALEPH_TEST_OS_HOME:-/var/tmp/aleph-test-opensearch}
port=${ALEPH_TEST_OS_PORT:-59200}
tport=${ALEPH_TEST_OS_TRANSPORT_PORT:-59300}
heap=${ALEPH_TEST_OS_HEAP:-512m}
# Small and quick to start for tests; benchmarks pass e.g. "-XX:+UseG1GC" for full JIT.
jvm_opts=${ALEPH_TEST_OS_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}
pidfile="$home.pid"
url="http://127.0.0.1:$port"

log() { echo "opensearch-test-node: $*" >&2; }

# Jars and launcher, rebuilt when the pom or the launcher changes.
prepare() {
    local key build
    key=$(cat "$src/pom.xml" "$src/src/OpenSearchTestNode.java" | sha256sum | cut -c1-16)
    build="$cache/build-$key"
    if [ ! -f "$build/ok" ]; then
        log "fetching jars into $cache (first run only)"
        rm -rf "$build"
        mkdir -p "$build/classes"
        mvn -B -q -Dmaven.repo.local="$cache/m2" -f "$src/pom.xml" \
            dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$build/lib" >&2
        javac -d "$build/classes" -cp "$build/lib/*" "$src/src/OpenSearchTestNode.java" >&2
        cp "$src/src/log4j2.properties" "$build/classes/"
        touch "$build/ok"
    fi
    echo "$build"
}

healthy() {
    curl -fsS "$url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1
}

case "${1:-}" in
start)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && healthy; then
        log "already running (pid $(cat "$pidfile"))"
        echo "export ALEPH_TEST_OPENSEARCH_URL=$url"
        exit 0
    fi
    if curl -s -o /dev/null "$url/"; then
        log "port $port answers but is not our node; set ALEPH_TEST_OS_PORT"
        exit 1
    fi
    build=$(prepare)
    # A fresh data directory each start: no stale locks, no indices from an earlier run.
    # ALEPH_TEST_OS_KEEP_DATA=1 keeps the indices instead (a restart, for the fault tests).
    if [ "${ALEPH_TEST_OS_KEEP_DATA:-0}" != 1 ]; then
        rm -rf "$home"
    fi
    mkdir -p "$home"
    # shellcheck disable=SC2086 # the options are words
    nohup java -Xms"$heap" -Xmx"$heap" -Xss1m $jvm_opts \
        -XX:+ExitOnOutOfMemoryError -XX:-OmitStackTraceInFastThrow \
        -Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djna.nosys=true \
        -Djava.locale.providers=SPI,COMPAT \
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
        -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0 \
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        -Dopensearch.set.netty.runtime.available.processors=false \
        -cp "$build/classes:$build/lib/*" OpenSearchTestNode "$home" "$port" "$tport" \
        >"$home/node.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    for i in $(seq 1 120); do
        if healthy; then
            log "up after ${i}s (pid $(cat "$pidfile"), log $home/node.log)"
            echo "export ALEPH_TEST_OPENSEARCH_URL=$url"
            exit 0
        fi
        if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            log "the JVM exited"
            tail -n 60 "$home/node.log" >&2
            exit 1
        fi
        sleep 1
    done
    log "not healthy after 120s"
    tail -n 60 "$home/node.log" >&2
    exit 1
    ;;
stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
