#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need (Debian packages,
# a Python venv with the reference tools), starts the servers they use on loopback, then runs
# formatting and lint checks, the Rust tests and the compatibility tests against the real
# Python tools. Nothing is skipped: a missing dependency is installed or the run fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/aleph-target}
export ALEPH_TEST_VENV=${ALEPH_TEST_VENV:-/var/tmp/aleph-test-venv}
export RUST_BACKTRACE=1

step() { printf '\n==> %s\n' "$*"; }

# --- system packages ----------------------------------------------------------------------
apt_packages=(postgresql libarchive-dev pkg-config pst-utils poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu libreoffice-writer-nogui libreoffice-impress-nogui libreoffice-calc-nogui openjdk-17-jdk-headless maven curl chromium chromium-driver)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    as_root=(); [ "$(id -u)" -ne 0 ] && as_root=(sudo)
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
fi

# --- Python reference tools ---------------------------------------------------------------
scripts/setup-venv.sh "$ALEPH_TEST_VENV"

# --- a throwaway PostgreSQL on loopback ---------------------------------------------------
step "starting PostgreSQL"
eval "$(scripts/pg-test-server.sh start)"
trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT

# --- a throwaway OpenSearch node on loopback (the index crate's second backend) -------------
step "starting OpenSearch"
eval "$(scripts/opensearch-test-node.sh start)"
trap 'scripts/opensearch-test-node.sh stop >/dev/null 2>&1 || true; scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT

# --- a throwaway S3 server on loopback (the archive crate's S3 backend) ---------------------
step "starting an S3 server (moto)"
s3_port=$("$ALEPH_TEST_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ALEPH_TEST_VENV/bin/moto_server" -H 127.0.0.1 -p "$s3_port" >"${TMPDIR:-/tmp}/aleph-test-moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; scripts/opensearch-test-node.sh stop >/dev/null 2>&1 || true; scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 60); do
    curl -sf -o /dev/null "http://127.0.0.1:$s3_port/" && break
    sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$s3_port/" || { echo "moto_server did not start" >&2; exit 1; }
export ALEPH_TEST_S3_URL="http://127.0.0.1:$s3_port"

# --- Rust -----------------------------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
step "cargo test"
cargo test --workspace --locked
step "building the aleph binary (release)"
cargo build --release --locked -p aleph
export ALEPH_BIN="$CARGO_TARGET_DIR/release/aleph"

# --- compatibility with the Python reference tools ----------------------------------------
step "compatibility tests (pytest tests/compat)"
"$ALEPH_TEST_VENV/bin/python" -m pytest -q tests/compat

# --- the distributed configuration (issue 9) -------------------------------------------------
# The same suites again over PostgreSQL + OpenSearch + S3 with `aleph serve --workers 0` and
# two `aleph worker` processes; every deployment gets its own database, index alias and
# bucket on the servers started above (tests/support/distributed.rs, tests/compat/
# distributed.py). The index query-language tests already ran on both backends in
# `cargo test` (ALEPH_TEST_OPENSEARCH_URL). Then the fault tests, on PostgreSQL and
# OpenSearch instances of their own, since they stop and restart them.
# The ingestion corpus includes the 10,000-page PDF and the 200 MB CSV (about 4 minutes
# here); the CSV's table document is larger than the 512 MB test node's indexing-pressure
# limit and goes without its highlight copy of the text.
step "distributed configuration: ingestion corpus, cross-referencing (CLI and API)"
ALEPH_TEST_CONFIG=distributed cargo test --locked -p aleph --test ingest_corpus -- --test-threads=1
ALEPH_TEST_CONFIG=distributed cargo test --locked -p aleph --test xref
ALEPH_TEST_CONFIG=distributed cargo test --locked -p server --test api xref::
step "distributed configuration: alephclient compatibility suite"
ALEPH_TEST_CONFIG=distributed "$ALEPH_TEST_VENV/bin/python" -m pytest -q \
    tests/compat/test_api_alephclient.py tests/compat/test_api_fuzz.py
step "distributed configuration: fault tests (kill -9 a worker, restart OpenSearch, restart PostgreSQL)"
"$ALEPH_TEST_VENV/bin/python" -m pytest -q tests/faults

# --- the web interface in a real browser ----------------------------------------------------
step "browser test of the web interface (scripts/ui-test.sh)"
scripts/ui-test.sh

step "all tests passed"
