#!/usr/bin/env bash
# Ingest throughput of the distributed configuration with one and with two `aleph worker`
# processes, in one run on the same corpus (docs/benchmarks.md, "Scale-out"). Each pass
# gets a fresh PostgreSQL database, OpenSearch index alias and S3 bucket, starts
# `aleph serve --workers 0` (it indexes) and W workers of one slot each (extraction,
# analysis), sends the corpus with `aleph client crawldir` and waits until the collection
# status shows nothing pending or running. Wall time counts from the start of the upload.
#
#   bench/scripts/scaleout_ingest.sh [FILES]      (default 400 files of the mixed corpus)
#
# Servers of its own on loopback: PostgreSQL (scripts/pg-test-server.sh), OpenSearch
# (scripts/opensearch-test-node.sh, 1 GB heap, G1) and moto's S3 server from the test venv.
set -euo pipefail
files=${1:-400}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
aleph=${ALEPH_BIN:-$target/release/aleph}
venv=${ALEPH_TEST_VENV:-/var/tmp/aleph-test-venv}
work=${BENCH_DIR:-/var/tmp/aleph-scaleout-bench}
mkdir -p "$work"
[ -x "$aleph" ] || (cd "$root" && cargo build --release -q -p aleph)

export ALEPH_TEST_PG_DIR=$work/pg ALEPH_TEST_PG_PORT=${BENCH_PG_PORT:-54417}
export ALEPH_TEST_OS_HOME=$work/opensearch ALEPH_TEST_OS_PORT=${BENCH_OS_PORT:-59237} \
    ALEPH_TEST_OS_TRANSPORT_PORT=${BENCH_OS_TRANSPORT_PORT:-59337} ALEPH_TEST_OS_HEAP=1g \
    ALEPH_TEST_OS_JVM_OPTS=-XX:+UseG1GC
s3_port=${BENCH_S3_PORT:-59437}
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    "$root/scripts/opensearch-test-node.sh" stop >/dev/null 2>&1 || true
    "$root/scripts/pg-test-server.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
eval "$("$root/scripts/pg-test-server.sh" start)"
eval "$("$root/scripts/opensearch-test-node.sh" start)"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:$s3_port/" && break; sleep 0.5; done
pg_server=${ALEPH_TEST_DATABASE_URI%/*}

corpus="$work/corpus-$files"
[ -d "$corpus" ] || python3 "$root/bench/ingest/gen_corpus.py" "$corpus" --files "$files" >/dev/null
nfiles=$(find "$corpus" -type f | wc -l)

now() { date +%s.%N; }

# One pass with $1 worker processes; prints a result line.
pass() {
    local workers=$1 name="scaleout_w$1_$$" port=$((20000 + RANDOM % 20000))
    local run="$work/run-w$workers"
    rm -rf "$run"
    mkdir -p "$run"
    psql "$pg_server/postgres" -qc "CREATE DATABASE $name"
    curl -sf -X PUT -o /dev/null "http://127.0.0.1:$s3_port/$name"
    export ALEPH_DATABASE_URI="$pg_server/$name" ALEPH_INDEX_URI="$ALEPH_TEST_OPENSEARCH_URL/$name" \
        ARCHIVE_TYPE=s3 ARCHIVE_BUCKET=$name ARCHIVE_ENDPOINT_URL="http://127.0.0.1:$s3_port" \
        AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
        ALEPH_SECRET_KEY="bench-$name" RUST_LOG=warn
    "$aleph" serve --workers 0 --bind "127.0.0.1:$port" --metrics-bind 0 \
        --data-dir "$run/serve" >"$run/serve.log" 2>&1 &
    local serve=$!
    pids+=("$serve")
    local key=""
    until [ -n "$key" ]; do sleep 0.2; key=$(awk '/API key:/ {print $3}' "$run/serve.log"); done
    until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.2; done
    local wpids=()
    for n in $(seq "$workers"); do
        "$aleph" worker -c 1 --metrics-bind 0 --data-dir "$run/worker-$n" >"$run/worker-$n.log" 2>&1 &
        wpids+=($!)
        pids+=($!)
    done
    local t0 t1
    t0=$(now)
    XDG_STATE_HOME="$run/state" "$aleph" client crawldir "$corpus" --foreign-id "$name" \
        --host "http://127.0.0.1:$port" --api-key "$key" >"$run/crawl.log" 2>&1
    local auth="Authorization: ApiKey $key" cid
    cid=$(curl -sf -H "$auth" "http://127.0.0.1:$port/api/2/collections?filter:foreign_id=$name" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["id"])')
    while true; do
        busy=$(curl -sf -H "$auth" "http://127.0.0.1:$port/api/2/collections/$cid/status" |
            python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["pending"]+s["running"])' || echo 1)
        [ "$busy" = 0 ] && break
        sleep 0.5
    done
    t1=$(now)
    local docs
    docs=$(curl -sf -H "$auth" \
        "http://127.0.0.1:$port/api/2/entities?filter:collection_id=$cid&filter:schemata=Document&limit=0" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
    kill "${wpids[@]}" "$serve" 2>/dev/null || true
    wait "${wpids[@]}" "$serve" 2>/dev/null || true
    python3 -c "w=$t1-$t0; print(f'workers={$workers} files=$nfiles documents=$docs wall_s={w:.1f} files_per_s={$nfiles/w:.2f}')"
}

echo "corpus: $nfiles files ($corpus); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
one=$(pass 1)
echo "$one"
two=$(pass 2)
echo "$two"
python3 - "$one" "$two" <<'PY'
import sys
rate = [float(dict(kv.split("=") for kv in line.split())["files_per_s"]) for line in sys.argv[1:]]
print(f"two workers / one worker: {rate[1] / rate[0]:.2f}")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
