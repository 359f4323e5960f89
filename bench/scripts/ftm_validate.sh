#!/usr/bin/env bash
# `aleph ftm validate` against `ftm validate` on the same generated file, side by side.
# Usage: bench/scripts/ftm_validate.sh [N]   (default 1,000,000 entities)
# Prints entities per second (wall clock and per CPU-second, the latter steadier on a busy
# machine) and peak memory (max RSS) of both, and the ratios.
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
venv=${ALEPH_TEST_VENV:-/var/tmp/aleph-test-venv}
work=${BENCH_DIR:-/var/tmp/aleph-bench}
mkdir -p "$work"
(cd "$root" && cargo build --release -q -p aleph -p bench)
input="$work/entities-$n.json"
[ -s "$input" ] || "$target/release/gen_entities" "$n" > "$input"
"$root/scripts/setup-venv.sh" "$venv"

measure() { # label, command...
    local label=$1; shift
    local start end rss
    start=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" < "$input" > "$work/out-$label.json"
    end=$(date +%s.%N)
    local cpu; read -r rss user sys < "$work/rss"
    cpu=$(echo "$user + $sys" | bc -l)
    local secs; secs=$(echo "$end - $start" | bc -l)
    local rate; rate=$(echo "$n / $secs" | bc -l)
    local cpurate; cpurate=$(echo "$n / $cpu" | bc -l)
    printf '%-8s %8.1f s wall %10.0f entities/s %8.1f CPU-s %10.0f entities/CPU-s %8.1f MB peak\n' \
        "$label" "$secs" "$rate" "$cpu" "$cpurate" "$(echo "$rss/1024" | bc -l)"
    echo "$rate" > "$work/rate-$label"
    echo "$cpurate" > "$work/cpurate-$label"
}

echo "input: $input ($(wc -l < "$input") lines, $(du -h "$input" | cut -f1))"
measure aleph "$target/release/aleph" ftm validate
measure ftm "$venv/bin/ftm" validate
printf 'ratio: %.1fx wall, %.1fx per CPU-second\n' \
    "$(echo "$(cat "$work/rate-aleph") / $(cat "$work/rate-ftm")" | bc -l)" \
    "$(echo "$(cat "$work/cpurate-aleph") / $(cat "$work/cpurate-ftm")" | bc -l)"
cmp -s "$work/out-aleph.json" "$work/out-ftm.json" && echo "outputs: byte-identical" || echo "outputs: differ in bytes (key order); compare parsed with tests/compat"
