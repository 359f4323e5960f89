#!/usr/bin/env python3
"""Write FtM's cleaning of every raw value in crates/ftm/tests/data/values.tsv.

Run with the Python that has followthemoney 4.11.2 installed:

    python tests/compat/clean_values.py          # (re)write values.expected.tsv
    python tests/compat/clean_values.py --check  # fail if the committed file is stale

The Rust test `crates/ftm/tests/clean_parity.rs` compares our cleaning with the expected
file. Columns of values.expected.tsv: type, format, raw value, FtM's output, and an
optional fifth column with our output where we deliberately differ (each such row is
explained in docs/ftm-differences.md). The fifth column is carried over when the file is
rewritten. Outputs use the escapes of values.tsv; `<none>` means FtM drops the value and
`<error>` that FtM raises an exception for it (we drop those values too).
"""

import argparse
import sys
from pathlib import Path

from followthemoney.types import registry

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "crates" / "ftm" / "tests" / "data"
VALUES = DATA / "values.tsv"
EXPECTED = DATA / "values.expected.tsv"
NONE = "<none>"
ERROR = "<error>"
HEADER = [
    "# FtM 4.11.2's cleaning of tests/data/values.tsv, written by tests/compat/clean_values.py.",
    "# type, format, raw value, FtM's output, our output where we accept a difference.",
]


def escape(value: str) -> str:
    out = []
    for c in value:
        cp = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif c == "\t":
            out.append("\\t")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif cp < 0x20 or 0x7F <= cp < 0xA0:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(c)
    return "".join(out)


def unescape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 >= len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            out.append(chr(int(text[i + 2 : i + 6], 16)))
            i += 6
            continue
        out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}[nxt])
        i += 2
    return "".join(out)


def read_values():
    for line in VALUES.read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        type_, format_, raw = line.split("\t")
        yield type_, format_, raw


def read_accepted():
    accepted = {}
    if not EXPECTED.exists():
        return accepted
    for line in EXPECTED.read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) > 4 and cols[4]:
            accepted[tuple(cols[:3])] = cols[4]
    return accepted


def ftm_clean(type_: str, format_: str, raw: str) -> str:
    prop_type = registry.get(type_)
    if prop_type is None:
        raise SystemExit(f"unknown property type: {type_}")
    try:
        cleaned = prop_type.clean(unescape(raw), fuzzy=False, format=format_ or None)
    except Exception:  # noqa: BLE001 - FtM raises InvalidData, ValueError, ...
        return ERROR
    if cleaned is None:
        return NONE
    return escape(cleaned)


def render() -> str:
    accepted = read_accepted()
    lines = list(HEADER)
    for type_, format_, raw in read_values():
        cols = [type_, format_, raw, ftm_clean(type_, format_, raw)]
        ours = accepted.get((type_, format_, raw))
        if ours is not None:
            cols.append(ours)
        lines.append("\t".join(cols))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    text = render()
    if not args.check:
        EXPECTED.write_text(text, encoding="utf-8")
        print(f"wrote {EXPECTED}", file=sys.stderr)
        return 0
    current = EXPECTED.read_text(encoding="utf-8") if EXPECTED.exists() else ""
    if current == text:
        print(f"{EXPECTED.name} is up to date", file=sys.stderr)
        return 0
    old, new = current.split("\n"), text.split("\n")
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            print(f"line {i + 1}:\n  committed: {a}\n  FtM now:   {b}", file=sys.stderr)
    if len(old) != len(new):
        print(f"line count: committed {len(old)}, now {len(new)}", file=sys.stderr)
    print(f"{EXPECTED.name} is stale: rerun tests/compat/clean_values.py", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
