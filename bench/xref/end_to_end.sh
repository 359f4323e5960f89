#!/usr/bin/env bash
# End-to-end cross-referencing: load a leak of LEAK entities and a watchlist of WATCH
# entities into a fresh data directory, then `aleph xref leak --against watchlist`,
# reporting wall time and peak memory (GNU time) of the load and of the run; then kill a
# second, full run in the middle and show that the rerun resumes from its checkpoint.
#
#   bench/xref/end_to_end.sh [LEAK] [WATCH]        (defaults 100000 1000000)
#
# XREF_ROUTE=memory|index|auto picks how candidates are found (`aleph xref --route`);
# SKIP_RESUME=1 skips the kill-and-resume part.
#
# Needs a release build: cargo build --release -p aleph
set -euo pipefail
leak=${1:-100000}
watch=${2:-1000000}
bin=${ALEPH_BIN:-${CARGO_TARGET_DIR:-target}/release/aleph}
work=${XREF_BENCH_DIR:-/var/tmp/xref-e2e}
route=${XREF_ROUTE:-auto}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/data"
python3 "$here/make_collections.py" "$work" --leak "$leak" --watchlist "$watch"

measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "$label: wall %e s, peak RSS %M KiB, cpu %U+%S s" "$@" 2>>"$work/times.txt" >"$work/$label.out"
    tail -n1 "$work/times.txt"
}
export RUST_LOG=warn
measure load-leak "$bin" load-entities -f leak "$work/leak.ftm.json" --data-dir "$work/data"
measure load-watchlist "$bin" load-entities -f watchlist "$work/watchlist.ftm.json" --data-dir "$work/data"
measure xref "$bin" xref leak --against watchlist --route "$route" --format csv --data-dir "$work/data"
echo "matches above 0.5: $(($(wc -l <"$work/xref.out") - 1))"
grep -h "xref leak" "$work/times.txt" "$work"/*.out 2>/dev/null || true
[ -n "${SKIP_RESUME:-}" ] && exit 0

# Crash and resume: a full rerun killed after a few seconds, then the same command again.
"$bin" xref leak --against watchlist --full --no-run --data-dir "$work/data" >/dev/null 2>&1 || true
timeout -s KILL "${KILL_AFTER:-10}" "$bin" xref leak --against watchlist --full --route "$route" \
    --data-dir "$work/data" >/dev/null 2>"$work/killed.err" || echo "killed after ${KILL_AFTER:-10} s"
measure resume "$bin" xref leak --against watchlist --format csv --data-dir "$work/data"
echo "matches after resume: $(($(wc -l <"$work/resume.out") - 1))"
