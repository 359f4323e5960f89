#!/usr/bin/env bash
# `aleph map` against `ftm map`, and `aleph export gexf` against `ftm export-gexf`, side by
# side in one run. Usage: bench/mapping/run.sh [ROWS] [FTM_ROWS] [ENTITIES] [FTM_ENTITIES]
# (defaults 1,000,000 rows, 100,000 of them for ftm map; 1,000,000 entities, 100,000 and
# 200,000 of them for ftm export-gexf). FtM is run on prefixes because it takes hours on the
# full inputs (and export-gexf holds the whole graph in memory); its rate is steady over a
# stream, so the rates are comparable. aleph runs on the prefix too, to show flat memory.
# Prints rows or entities per second (wall and per CPU-second) and peak memory of each run.
set -euo pipefail
rows=${1:-1000000}
ftm_rows=${2:-100000}
ents=${3:-1000000}
ftm_ents=${4:-100000}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
venv=${ALEPH_TEST_VENV:-/var/tmp/aleph-test-venv}
work=${BENCH_DIR:-/var/tmp/aleph-bench/mapping}
aleph=${ALEPH_BIN:-$target/release/aleph}
mkdir -p "$work"
[ -n "${ALEPH_BIN:-}" ] || (cd "$root" && cargo build --release -q -p aleph)
"$root/scripts/setup-venv.sh" "$venv"
ftm="$venv/bin/ftm"

csv="$work/rows-$rows.csv"
[ -s "$csv" ] || "$venv/bin/python" "$root/bench/mapping/gen_rows.py" "$rows" > "$csv"
head -n $((ftm_rows + 1)) "$csv" > "$work/rows-prefix.csv"

measure() { # label, count, unit, output, command...
    local label=$1 count=$2 unit=$3 out=$4; shift 4
    local start end rss user sys
    start=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$work/time" "$@" > "$out" 2> "$work/stderr-$label"
    end=$(date +%s.%N)
    read -r rss user sys < "$work/time"
    local secs cpu
    secs=$(echo "$end - $start" | bc -l)
    cpu=$(echo "$user + $sys" | bc -l)
    printf '%-24s %9d %-8s %8.1f s wall %9.0f %s/s %8.1f CPU-s %9.0f %s/CPU-s %8.1f MB peak\n' \
        "$label" "$count" "$unit" "$secs" "$(echo "$count / $secs" | bc -l)" "$unit" "$cpu" \
        "$(echo "$count / $cpu" | bc -l)" "$unit" "$(echo "$rss / 1024" | bc -l)"
}

echo "== map: $csv ($rows rows; ftm on the first $ftm_rows)"
BENCH_ROWS="$csv" measure "aleph map" "$rows" rows "$work/mapped.json" \
    "$aleph" map --quiet "$root/bench/mapping/officers.yml"
BENCH_ROWS="$work/rows-prefix.csv" measure "aleph map (prefix)" "$ftm_rows" rows \
    "$work/mapped-prefix-aleph.json" "$aleph" map --quiet "$root/bench/mapping/officers.yml"
BENCH_ROWS="$work/rows-prefix.csv" measure "ftm map (prefix)" "$ftm_rows" rows \
    "$work/mapped-prefix-ftm.json" "$ftm" map "$root/bench/mapping/officers.yml"
if cmp -s <(sort "$work/mapped-prefix-aleph.json") <(sort "$work/mapped-prefix-ftm.json"); then
    echo "prefix outputs: identical after sorting"
else
    echo "prefix outputs: differ (compare parsed with tests/compat/test_mapping.py)"
fi

entities="$work/entities-$ents.json"
head -n "$ents" "$work/mapped.json" > "$entities"
head -n "$ftm_ents" "$entities" > "$work/entities-prefix.json"
head -n $((ftm_ents * 2)) "$entities" > "$work/entities-prefix2.json"
echo "== gexf: $entities ($ents entities; ftm on the first $ftm_ents and $((ftm_ents * 2)))"
measure "aleph gexf" "$ents" entities "$work/aleph.gexf" \
    "$aleph" export gexf -i "$entities" -e email -e phone -e entity
measure "aleph gexf (prefix)" "$ftm_ents" entities "$work/aleph-prefix.gexf" \
    "$aleph" export gexf -i "$work/entities-prefix.json" -e email -e phone -e entity
measure "ftm gexf (prefix)" "$ftm_ents" entities "$work/ftm-prefix.gexf" \
    "$ftm" export-gexf -i "$work/entities-prefix.json" -e email -e phone -e entity
measure "ftm gexf (2x prefix)" $((ftm_ents * 2)) entities "$work/ftm-prefix2.gexf" \
    "$ftm" export-gexf -i "$work/entities-prefix2.json" -e email -e phone -e entity
