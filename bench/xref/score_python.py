#!/usr/bin/env python3
"""Score a labelled pair file with a Python matcher, timing the scoring alone.

    score_python.py --matcher compare|logic-v1 --entities E --pairs P --scores OUT

- `compare`: `followthemoney.compare.compare(left, right)` (FtM 4.x; Aleph calls the
  3.x form `compare(model, left, right)` with the same weights), the score Aleph's
  xref keeps above 0.5.
- `logic-v1`: nomenklatura's `LogicV1.compare(left, right, LogicV1.default_config())`.

Entities are read and cleaned into proxies before the clock starts (as our matcher's
figure excludes reading JSON); the clock covers scoring every pair once, after a
warm-up of 200 pairs, in CPU time of the process. One line of JSON with the timing goes to stdout; the scores go to
OUT as `left<TAB>right<TAB>label<TAB>score`.
"""

import argparse
import json
import sys
import time


def load_entities(path, make):
    entities = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            data = json.loads(line)
            entities[data["id"]] = make(data)
    return entities


def load_pairs(path):
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            pairs.append((fields[0], fields[1], fields[2]))
    return pairs


def scorer(name):
    """The scoring function and the proxy constructor for a matcher name."""
    from followthemoney import model

    if name == "compare":
        from followthemoney.compare import compare

        return (lambda a, b: compare(a, b)), (lambda d: model.get_proxy(d, cleaned=False))
    if name == "logic-v1":
        from nomenklatura.matching import LogicV1

        config = LogicV1.default_config()

        def score(a, b):
            return LogicV1.compare(a, b, config).score

        return score, (lambda d: model.get_proxy(d, cleaned=False))
    raise SystemExit("unknown matcher %s" % name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matcher", required=True)
    parser.add_argument("--entities", required=True)
    parser.add_argument("--pairs", required=True)
    parser.add_argument("--scores", required=True)
    args = parser.parse_args()

    score, make = scorer(args.matcher)
    started = time.perf_counter()
    entities = load_entities(args.entities, make)
    load_time = time.perf_counter() - started
    pairs = load_pairs(args.pairs)
    resolved = [(entities[a], entities[b]) for a, b, _ in pairs]

    for a, b in resolved[:200]:
        score(a, b)
    # CPU time, as the Rust side measures: wall time on a shared machine depends on
    # who else runs.
    started = time.process_time()
    scores = [score(a, b) for a, b in resolved]
    elapsed = time.process_time() - started

    with open(args.scores, "w", encoding="utf-8") as out:
        for (a, b, label), s in zip(pairs, scores):
            out.write("%s\t%s\t%s\t%.6f\n" % (a, b, label, s))
    json.dump(
        {
            "matcher": args.matcher,
            "entities": len(entities),
            "load_seconds": round(load_time, 3),
            "pairs": len(pairs),
            "score_seconds": round(elapsed, 3),
            "pairs_per_second": round(len(pairs) / elapsed, 1),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
