#!/usr/bin/env bash
# API throughput on loopback: searches per second (ApacheBench, `ab` from apache2-utils,
# 8 concurrent clients) and `_bulk` entities per second over HTTP, against a release
# `aleph serve` on a fresh data directory holding N generated entities.
# Usage: bench/scripts/api_throughput.sh [N]   (default 100,000 entities)
set -euo pipefail
n=${1:-100000}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
work=${BENCH_DIR:-/var/tmp/aleph-bench}
port=${BENCH_PORT:-18765}
mkdir -p "$work"
command -v ab >/dev/null || { echo "needs ab (apt-get install apache2-utils)" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p aleph -p bench)
input="$work/entities-$n.json"
[ -s "$input" ] || "$target/release/gen_entities" "$n" > "$input"
data="$work/api-data"
rm -rf "$data"
"$target/release/aleph" serve --workers 0 --bind "127.0.0.1:$port" --data-dir "$data" \
    > "$work/api-serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "API key" "$work/api-serve.log" 2>/dev/null && break; sleep 0.2; done
key=$(awk '/API key/ {print $3}' "$work/api-serve.log")
url="http://127.0.0.1:$port/api/2"
auth="Authorization: ApiKey $key"
cid=$(curl -sf -H "$auth" -H 'Content-Type: application/json' \
    -d '{"foreign_id": "bench", "label": "bench"}' "$url/collections" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# _bulk: JSON arrays of 1,000 entities, sent one after another.
python3 - "$input" "$work/bulk" <<'PY'
import json, sys, os
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
batch, k = [], 0
for line in open(src):
    batch.append(json.loads(line))
    if len(batch) == 1000:
        json.dump(batch, open(f"{out}/{k:05d}.json", "w")); batch, k = [], k + 1
if batch:
    json.dump(batch, open(f"{out}/{k:05d}.json", "w"))
PY
start=$(date +%s.%N)
for f in "$work"/bulk/*.json; do
    curl -sf -o /dev/null -H "$auth" -H 'Content-Type: application/json' \
        --data-binary "@$f" "$url/collections/$cid/_bulk"
done
end=$(date +%s.%N)
printf '_bulk: %d entities in %.1f s = %.0f entities/s\n' "$n" "$(echo "$end - $start" | bc -l)" \
    "$(echo "$n / ($end - $start)" | bc -l)"
rm -rf "$work/bulk"

search() { # label, query string
    local rps p50 p95
    ab -q -n 2000 -c 8 -H "$auth" "$url/search?$2" > "$work/ab.out" 2>&1
    rps=$(awk '/Requests per second/ {print $4}' "$work/ab.out")
    p50=$(awk '/^  50%/ {print $2}' "$work/ab.out")
    p95=$(awk '/^  95%/ {print $2}' "$work/ab.out")
    printf '%-28s %8s req/s   p50 %4s ms   p95 %4s ms\n' "$1" "$rps" "$p50" "$p95"
}
search "term" "filter:schemata=Thing&q=okafor"
search "term + 3 facets" "filter:schemata=Thing&q=okafor&facet=schema&facet=countries&facet=collection_id"
search "filter, sorted" "filter:schemata=LegalEntity&filter:countries=de&sort=caption:asc"
search "phrase + highlight" "filter:schemata=Document&q=%22loan%20account%22&highlight=true"
