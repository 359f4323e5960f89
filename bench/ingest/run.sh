#!/usr/bin/env bash
# Ingestion benchmarks, each next to its baseline in the same run (docs/benchmarks.md,
# "Ingestion"):
#   1. the mixed corpus (2,000 files built like the one Aleph's ingest-file was measured
#      on), end to end: `aleph crawldir` (archive + ledger) then `aleph serve --workers 0`
#      (indexing) with one `aleph worker` process (extraction, analysis) until the
#      collection status shows nothing pending or running; per type and all together;
#   2. PDF pages per second, end to end, against `pdftotext` on the same files;
#   3. OCR pages per minute on page images, against the `tesseract` command;
#   4. peak memory: of the worker process, of the largest extractor child, of the server.
#
#   bench/ingest/run.sh [WORKDIR]        (ALEPH_BIN: the release aleph binary)
#   SLOTS=2 FILES=2000 OCR_PAGES=12 ONLY="pdf all" bench/ingest/run.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
aleph=${ALEPH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/aleph-target}/release/aleph}
work=${1:-/var/tmp/aleph-ingest-bench}
slots=${SLOTS:-2}
files=${FILES:-2000}
ocr_pages=${OCR_PAGES:-12}
only=${ONLY:-"txt html eml zip csv xlsx docx pdf all ocr"}
mkdir -p "$work"
results="$work/results.tsv"
: >"$results"

[ -d "$work/corpus" ] || python3 "$here/gen_corpus.py" "$work/corpus" --files "$files"
[ -d "$work/ocr" ] || python3 "$here/gen_corpus.py" "$work/ocr" --ocr-pages "$ocr_pages"

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
hwm_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
child_of() { pgrep -P "$1" | head -1; }

# One end-to-end run over DIR; prints a result line.
pipeline() {
    local name=$1 dir=$2
    local data="$work/runs/$name" port=$((20000 + RANDOM % 20000))
    rm -rf "$data"
    mkdir -p "$data"
    local t0 t1
    t0=$(now)
    /usr/bin/time -f "%e %U %S %M" -o "$data/crawl.time" \
        "$aleph" crawldir "$dir" -f "$name" --data-dir "$data/d" --manifest "$data/manifest.json" \
        >"$data/crawl.log" 2>&1
    # shellcheck disable=SC2086
    ALEPH_WORKERS=0 RUST_LOG=warn /usr/bin/time -f "%e %U %S %M" -o "$data/serve.time" \
        ${SERVE_WRAP:-} "$aleph" serve --workers 0 --bind "127.0.0.1:$port" --data-dir "$data/d" >"$data/serve.log" 2>&1 &
    local serve_time=$!
    # WORKER_WRAP, SERVE_WRAP: a profiler around the worker or the server, e.g.
    # "strace -c -f -o /tmp/w.strace" or "perf record -g -o /tmp/w.perf".
    # shellcheck disable=SC2086
    # reap.py adopts the extractor children a worker leaves behind when it stops, so that
    # their CPU time is counted for every binary (one that does not wait for its children
    # would otherwise look cheaper than it is).
    RUST_LOG=warn /usr/bin/time -f "%e %U %S %M" -o "$data/worker.time" \
        "$here/reap.py" ${WORKER_WRAP:-} "$aleph" worker -c "$slots" --data-dir "$data/d" >"$data/worker.log" 2>&1 &
    local worker_time=$!
    local key=""
    until [ -n "$key" ]; do
        sleep 0.1
        key=$(awk '/API key:/ {print $3}' "$data/serve.log")
    done
    local cid=""
    until [ -n "$cid" ]; do
        sleep 0.1
        cid=$(curl -sf -H "Authorization: ApiKey $key" \
            "http://127.0.0.1:$port/api/2/collections?filter:foreign_id=$name" |
            python3 -c 'import json,sys; r=json.load(sys.stdin)["results"]; print(r[0]["id"] if r else "")' || true)
    done
    while true; do
        busy=$(curl -sf -H "Authorization: ApiKey $key" \
            "http://127.0.0.1:$port/api/2/collections/$cid/status" |
            python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["pending"]+s["running"])' || echo 1)
        [ "$busy" = 0 ] && break
        sleep 0.2
    done
    t1=$(now)
    local serve_pid worker_pid
    serve_pid=$(child_of "$serve_time")
    worker_pid=$(child_of "$(child_of "$worker_time")")
    if [ -n "${WORKER_WRAP:-}" ]; then worker_pid=$(child_of "$worker_pid"); fi
    if [ -n "${SERVE_WRAP:-}" ]; then serve_pid=$(child_of "$serve_pid"); fi
    local worker_hwm serve_hwm
    worker_hwm=$(hwm_kb "$worker_pid")
    serve_hwm=$(hwm_kb "$serve_pid")
    # Counts from the store: documents (files, with their members) and pages.
    local summary
    summary=$(curl -sf -H "Authorization: ApiKey $key" \
        "http://127.0.0.1:$port/api/2/collections/$cid/_stream" | python3 -c '
import json, sys
files = pages = failed = entities = 0
for line in sys.stdin:
    e = json.loads(line); entities += 1; p = e.get("properties", {})
    if p.get("contentHash"):
        files += 1
        failed += p.get("processingStatus", [""])[0] != "success"
    pages += e["schema"] == "Page"
print(files, pages, failed, entities)')
    kill -INT "$worker_pid" "$serve_pid"
    wait "$worker_time" "$serve_time" || true
    read -r files pages failed entities <<<"$summary"
    local wall
    wall=$(elapsed "$t0" "$t1")
    # CPU seconds of crawl + server + worker (with their extractor children), and the
    # largest resident set among the worker's children.
    local cpu child_max
    cpu=$(cat "$data/crawl.time" "$data/serve.time" "$data/worker.time" | awk '{c += $2 + $3} END {printf "%.1f", c}')
    child_max=$(awk '{print int($4/1024)}' "$data/worker.time")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$(find "$dir" -type f | wc -l)" "$files" "$pages" \
        "$failed" "$entities" "$wall" "$cpu" "$((worker_hwm / 1024))" "$child_max" "$((serve_hwm / 1024))" |
        tee -a "$results"
}

echo -e "run\tuploaded\tfiles\tpages\tfailed\tentities\twall_s\tcpu_s\tworker_MB\tlargest_worker_process_MB\tserver_MB" | tee -a "$results"
for run in $only; do
    case $run in
    all) pipeline all "$work/corpus" ;;
    ocr) pipeline ocr "$work/ocr" ;;
    *) pipeline "$run" "$work/corpus/$run" ;;
    esac
done

echo
echo "baselines"
# Baselines: wall seconds, then CPU seconds (user + system) of the whole loop.
timed() {
    local label=$1
    shift
    /usr/bin/time -f "%e %U %S" -o "$work/baseline.time" bash -c "$@"
    read -r wall user sys <"$work/baseline.time"
    echo -e "$label\t$wall s wall\t$(python3 -c "print(f'{$user + $sys:.1f}')") s CPU" | tee -a "$results"
}
export work slots
if [[ " $only " == *" pdf "* ]]; then
    timed "pdftotext, one process per file, one at a time" \
        'for f in "$work"/corpus/pdf/*.pdf; do pdftotext "$f" /dev/null; done'
    timed "pdftotext, $slots at a time" \
        'find "$work/corpus/pdf" -name "*.pdf" -print0 | xargs -0 -P "$slots" -I{} pdftotext {} /dev/null'
fi
if [[ " $only " == *" ocr "* ]]; then
    timed "tesseract, one at a time (its own threads)" \
        'for f in "$work"/ocr/*.png; do tesseract "$f" - -l eng >/dev/null 2>&1; done'
    timed "tesseract, $slots at a time, one thread each" \
        'find "$work/ocr" -name "*.png" -print0 | OMP_THREAD_LIMIT=1 xargs -0 -P "$slots" -I{} sh -c "tesseract {} - -l eng >/dev/null 2>&1"'
fi
