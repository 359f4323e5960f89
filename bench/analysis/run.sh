#!/usr/bin/env bash
# Analysis quality and cost, in one run: precision, recall and F1 per label (PER, ORG, LOC,
# EMAIL, PHONE, IBAN, URL, IP) and per language on the labelled sets in
# crates/analyze/tests/data/ (350 sentences; the held-out set's errors are not printed),
# language detection on single sentences, throughput on one core (MB of text per second),
# and the peak memory of analysing a generated PAGES-page document page by page and whole.
# Usage: bench/analysis/run.sh [PAGES] (default 10,000). Results go to docs/benchmarks.md,
# section "Analysis".
set -euo pipefail
pages=${1:-10000}
root=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
cd "$root"
cargo build --release -q -p analyze --example evaluate --example pages
echo "== quality and throughput (cargo run --release -p analyze --example evaluate)"
"$CARGO_TARGET_DIR/release/examples/evaluate"
echo
echo "== memory, $pages pages (cargo run --release -p analyze --example pages -- $pages)"
"$CARGO_TARGET_DIR/release/examples/pages" "$pages"
