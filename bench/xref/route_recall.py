#!/usr/bin/env python3
"""Recall of one xref run against another and against the planted pairs.

    route_recall.py PLANTED_TSV BASELINE_CSV OTHER_CSV [--above 0.5]

The CSV files are `aleph xref ... --format csv` outputs (the baseline is normally the
memory route, the other the index route); PLANTED_TSV is written by make_collections.py.
Entity ids in the CSV carry the collection's signature after a dot; the planted ids are
the part before it. Standard library only.
"""

import argparse
import csv


def pairs(path, above):
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            score = float(row["score"])
            if score > above:
                out[(row["entity_id"].split(".")[0], row["match_id"].split(".")[0])] = score
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("planted")
    ap.add_argument("baseline")
    ap.add_argument("other")
    ap.add_argument("--above", type=float, default=0.5)
    args = ap.parse_args()
    with open(args.planted) as f:
        planted = {tuple(line.split()) for line in f if line.strip()}
    base = pairs(args.baseline, args.above)
    other = pairs(args.other, args.above)
    both = base.keys() & other.keys()
    print(f"pairs above {args.above}: baseline {len(base)}, other {len(other)}")
    print(f"baseline pairs the other finds: {len(both)} ({len(both) / max(len(base), 1):.1%})")
    print(f"pairs only the other finds: {len(other.keys() - base.keys())}")
    for name, found in (("baseline", base), ("other", other)):
        hit = sum(1 for p in planted if p in found)
        print(f"planted pairs found by {name}: {hit} of {len(planted)}")


if __name__ == "__main__":
    main()
