#!/usr/bin/env bash
# `aleph load-entities` of N generated entities (Persons, Companies, Ownerships, PlainText
# documents with text) into a fresh embedded data directory: store (SQLite) and index
# (Tantivy) together, as a user would load an OpenSanctions-style file.
# Usage: bench/scripts/load_entities.sh [N]   (default 1,000,000 entities)
# Prints entities per second (wall and per CPU-second), peak memory, and the sizes of the
# store and the index per entity.
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
work=${BENCH_DIR:-/var/tmp/aleph-bench}
mkdir -p "$work"
(cd "$root" && cargo build --release -q -p aleph -p bench)
input="$work/entities-$n.json"
[ -s "$input" ] || "$target/release/gen_entities" "$n" > "$input"
data="$work/load-data"
rm -rf "$data"

start=$(date +%s.%N)
/usr/bin/time -f '%M %U %S' -o "$work/load-rss" \
    "$target/release/aleph" load-entities --data-dir "$data" -f bench "$input" > "$work/load-out"
end=$(date +%s.%N)
read -r rss user sys < "$work/load-rss"
secs=$(echo "$end - $start" | bc -l)
cpu=$(echo "$user + $sys" | bc -l)
cat "$work/load-out"
printf 'load: %.1f s wall, %.0f entities/s; %.1f CPU-s, %.0f entities/CPU-s; %.0f MB peak\n' \
    "$secs" "$(echo "$n / $secs" | bc -l)" "$cpu" "$(echo "$n / $cpu" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
store=$(du -sb --exclude=index --exclude=archive "$data" | cut -f1)
index=$(du -sb "$data/index" | cut -f1)
printf 'store: %.0f MB (%.0f bytes/entity); index: %.0f MB (%.0f bytes/entity)\n' \
    "$(echo "$store / 1000000" | bc -l)" "$(echo "$store / $n" | bc -l)" \
    "$(echo "$index / 1000000" | bc -l)" "$(echo "$index / $n" | bc -l)"
