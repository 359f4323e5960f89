#!/usr/bin/env python3
"""Two FtM JSON-lines files for the end-to-end xref benchmark: a "leak" of N people and
companies and a "watchlist" of M, where a small share of the leak's entities are also on
the watchlist, written differently (order swaps, initials, case, legal forms, a typo). The planted
pairs are listed in `planted.tsv` (leak id, watchlist id), for measuring recall.

Standard library only; deterministic for a seed.

    make_collections.py OUT_DIR --leak 100000 --watchlist 1000000 [--overlap 0.01]
"""

import argparse
import json
import os
import random

SYLLABLES = (
    "ka ro mi an el sa to vi na lo be de ri mo ta ne sh ov ev in ar ul ko pe ma ly "
    "ga zu fi re da no bo ch ze ju xa wi po tu me ki su la yo ha ni ba fa"
).split()
LEGAL = ["Ltd", "LLC", "GmbH", "S.A.", "Limited", "Inc", "OOO", "B.V."]
WORDS = (
    "Trading Holding Capital Energy Shipping Logistics Invest Group Partners Metals "
    "Resources Consulting Services Industries Global Media Finance Development"
).split()
COUNTRIES = ["de", "ru", "gb", "cy", "ua", "us", "fr", "nl", "ch", "lv", "kz", "ae"]


def word(rng, lo=2, hi=4):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(lo, hi))).capitalize()


def person(rng, i, prefix):
    first, last = word(rng, 2, 3), word(rng, 2, 4)
    props = {"name": [f"{first} {last}"], "nationality": [rng.choice(COUNTRIES)]}
    if rng.random() < 0.6:
        props["birthDate"] = [
            f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        ]
    return {"id": f"{prefix}-p{i}", "schema": "Person", "properties": props}


def company(rng, i, prefix):
    name = f"{word(rng)} {rng.choice(WORDS)} {rng.choice(LEGAL)}"
    props = {"name": [name], "jurisdiction": [rng.choice(COUNTRIES)]}
    if rng.random() < 0.3:
        props["registrationNumber"] = [str(rng.randint(10**6, 10**9))]
    return {"id": f"{prefix}-c{i}", "schema": "Company", "properties": props}


def variant(rng, entity, i):
    """The same person or company as the watchlist would write it."""
    e = json.loads(json.dumps(entity))
    e["id"] = f"w-v{i}"
    name = e["properties"]["name"][0]
    parts = name.split()
    kind = rng.randrange(4)
    if e["schema"] == "Person":
        if kind == 0:
            name = f"{parts[-1].upper()}, {' '.join(parts[:-1])}"
        elif kind == 1:
            name = f"{parts[0][0]}. {parts[-1]}"
        elif kind == 2:
            j = rng.randrange(len(name))
            name = name[:j] + name[j + 1 :] if name[j] != " " else name
        else:
            name = name.upper()
    else:
        if kind == 0:
            name = " ".join(parts[:-1]) + " " + rng.choice(LEGAL)
        elif kind == 1:
            name = name.upper()
        else:
            name = " ".join(parts[:-1])
    e["properties"]["name"] = [name]
    return e


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--leak", type=int, default=100_000)
    ap.add_argument("--watchlist", type=int, default=1_000_000)
    ap.add_argument("--overlap", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    overlap = []
    with open(os.path.join(args.out, "leak.ftm.json"), "w") as f:
        for i in range(args.leak):
            e = person(rng, i, "l") if rng.random() < 0.6 else company(rng, i, "l")
            if rng.random() < args.overlap:
                overlap.append(e)
            f.write(json.dumps(e) + "\n")
    with open(os.path.join(args.out, "watchlist.ftm.json"), "w") as f, open(
        os.path.join(args.out, "planted.tsv"), "w"
    ) as planted:
        for i, e in enumerate(overlap):
            v = variant(rng, e, i)
            f.write(json.dumps(v) + "\n")
            planted.write(f"{e['id']}\t{v['id']}\n")
        for i in range(args.watchlist - len(overlap)):
            e = person(rng, i, "w") if rng.random() < 0.6 else company(rng, i, "w")
            f.write(json.dumps(e) + "\n")
    print(json.dumps({"leak": args.leak, "watchlist": args.watchlist, "planted": len(overlap)}))


if __name__ == "__main__":
    main()
