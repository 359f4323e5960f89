#!/usr/bin/env bash
# Paging a big table (GET /api/2/entities/{id}/rows): the first read of a table scans it
# and saves its row index; later unfiltered pages seek. Compares, in one server, the CPU
# time of a deep page read by a full scan (a filtered request, which still reads every
# row, as every request did before the index) with the same depth through the index.
#
#   bench/ui/table_rows.sh [rows] [aleph binary]
#
# Data and the server's data dir go under /var/tmp/ui-rows-bench (removed at the end).
set -euo pipefail
rows=${1:-1000000}
bin=${2:-${ALEPH_BIN:-/var/tmp/aleph-target/release/aleph}}
dir=/var/tmp/ui-rows-bench
rm -rf "$dir" && mkdir -p "$dir"
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

python3 - "$rows" "$dir/vessels.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("id,name,port,tonnage\n")
    for i in range(n):
        f.write(f'{i},"Vessel {i}",{("Mombasa", "Zanzibar", "Dar es Salaam")[i % 3]},{i * 7 % 10000}\n')
PY
echo "table: $rows rows, $(du -h "$dir/vessels.csv" | cut -f1)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -u ALEPH_DATABASE_URI -u ALEPH_INDEX_URI -u ALEPH_ARCHIVE_URI RUST_LOG=warn \
    "$bin" serve --data-dir "$dir/data" --bind "127.0.0.1:$port" --workers 1 > "$dir/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q listening "$dir/serve.log" && break; sleep 0.2; done
key=$(sed -n 's/.*API key: *//p' "$dir/serve.log" | head -1)
base="http://127.0.0.1:$port/api/2"
auth=(-H "Authorization: ApiKey $key")
cid=$(curl -sf "${auth[@]}" -H 'Content-Type: application/json' -d '{"label":"Rows bench"}' "$base/collections" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
curl -sf "${auth[@]}" -F 'meta={"file_name":"vessels.csv"}' -F "file=@$dir/vessels.csv" "$base/collections/$cid/ingest" > /dev/null
table=""
for _ in $(seq 3000); do
    table=$(curl -sf "${auth[@]}" "$base/entities?filter:schema=Table&filter:collection_id=$cid" \
        | python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(r[0]["id"] if r and r[0]["properties"].get("csvHash") else "")')
    [ -n "$table" ] && break
    sleep 0.5
done
[ -n "$table" ] || { echo "the table was not ingested"; exit 1; }

cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
tick=$(getconf CLK_TCK)
# n requests of a path; prints the server's CPU time and the wall time per request.
measure() {
    local label=$1 path=$2 n=$3 before after start end
    before=$(cpu); start=$(date +%s.%N)
    for _ in $(seq "$n"); do
        curl -sf "${auth[@]}" "$base/$path" -o "$dir/page.json"
    done
    end=$(date +%s.%N); after=$(cpu)
    python3 - "$label" "$n" "$before" "$after" "$tick" "$start" "$end" "$dir/page.json" <<'PY'
import json, sys
label, n, before, after, tick, start, end, page = sys.argv[1:]
n = int(n)
cpu = (float(after) - float(before)) / float(tick) / n
wall = (float(end) - float(start)) / n
p = json.load(open(page))
if "results" in p:
    first = p["results"][0][0] if p["results"] else None
    print(f"| {label} | {n} | {cpu * 1000:.1f} | {wall * 1000:.1f} | {p['total']:,} | {first} |")
else:
    print(f"| {label} | {n} | {cpu * 1000:.1f} | {wall * 1000:.1f} | | |")
PY
}
last=$((rows - 50))
rows_of() { echo "entities/$table/rows?$1"; }
# Let the worker finish with the table (analysis, indexing) before measuring, and measure
# what the idle server burns, so that it can be told apart.
for _ in $(seq 1200); do
    busy=$(curl -sf "${auth[@]}" "$base/collections/$cid/status" \
        | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s.get("pending", 0) + s.get("running", 0))')
    [ "$busy" = 0 ] && break
    sleep 0.5
done
sleep 2
idle_before=$(cpu); sleep 5; idle_after=$(cpu)
echo "idle server: $(python3 -c "print(round(($idle_after - $idle_before) / $tick / 5 * 1000, 1))") ms CPU per second"
echo "| request | n | server CPU ms / request | wall ms / request | total | first row |"
echo "|---|---|---|---|---|---|"
measure "reference: GET /entities/{id} of the table" "entities/$table" 20
measure "first read of offset $last (full scan, saves the index)" "$(rows_of "offset=$last&limit=50")" 1
measure "offset $last through the index" "$(rows_of "offset=$last&limit=50")" 20
measure "offset $((rows / 2)) through the index" "$(rows_of "offset=$((rows / 2))&limit=50")" 20
measure "offset 0 through the index" "$(rows_of "offset=0&limit=50")" 20
measure "filtered (col:2=zanzibar), a full scan, as every page was before" "$(rows_of "col:2=zanzibar&offset=$((rows / 3 - 50))&limit=50")" 3
