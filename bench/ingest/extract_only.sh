#!/usr/bin/env bash
# Text extraction alone, without store, analysis or index: every file of DIR through one
# long-lived `aleph ingest-file` process (what a worker's extractor child does), next to
# `pdftotext` on the same files, one process per file. CPU seconds from GNU time.
#
#   bench/ingest/extract_only.sh DIR [GLOB]      (ALEPH_BIN: the release aleph binary)
set -euo pipefail
aleph=${ALEPH_BIN:-${CARGO_TARGET_DIR:-/var/tmp/aleph-target}/release/aleph}
dir=$1
glob=${2:-*.pdf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$dir" "$glob" "$work" >"$work/requests.jsonl" <<'PY'
import glob, json, os, sys
d, pattern, work = sys.argv[1:4]
for i, path in enumerate(sorted(glob.glob(os.path.join(d, pattern)))):
    name = os.path.basename(path)
    print(json.dumps({
        "entity": {"id": f"doc{i}", "schema": "Document", "properties": {"fileName": [name]}},
        "path": os.path.abspath(path), "file_name": name, "mime_type": None,
        "work_dir": work, "depth": 0,
        "limits": {"max_file_bytes": 16 << 30, "max_unpacked_bytes": 32 << 30, "max_ratio": 200,
                   "max_members": 1000000, "max_depth": 12, "max_pages": 100000,
                   "max_image_pixels": 200000000, "max_text_bytes": 30 << 20,
                   "tool_timeout": {"secs": 300, "nanos": 0}},
        "ocr": None, "libreoffice": None, "memory_limit": None}))
PY
files=$(wc -l <"$work/requests.jsonl")
/usr/bin/time -f "%e %U %S %M" -o "$work/aleph.time" ${WRAP:-} \
    "$aleph" ingest-file <"$work/requests.jsonl" >"$work/out.jsonl" || true
pages=$(grep -c '"schema":"Page"' "$work/out.jsonl" || true)
errors=$(grep -c '^{"error"' "$work/out.jsonl" || true)
read -r wall user sys rss <"$work/aleph.time"
echo -e "aleph ingest-file (one process)\t$files files\t$pages pages\t$errors errors\t$wall s wall\t$(python3 -c "print(f'{$user + $sys:.2f}')") s CPU\t$((rss / 1024)) MB"
/usr/bin/time -f "%e %U %S %M" -o "$work/p.time" bash -c \
    'for f in "$0"/$1; do pdftotext "$f" /dev/null; done' "$dir" "$glob"
read -r wall user sys rss <"$work/p.time"
echo -e "pdftotext, one process per file\t$files files\t\t\t$wall s wall\t$(python3 -c "print(f'{$user + $sys:.2f}')") s CPU\t$((rss / 1024)) MB"
