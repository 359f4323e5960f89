#!/usr/bin/env python3
"""Precision, recall and F1 of several matchers' score files on one labelled pair file.

    evaluate.py --pairs PAIRS --matcher NAME SCORES THRESHOLD [TIMING.json] ...

Each score file has `left<TAB>right<TAB>label<TAB>score` lines in the order of PAIRS
(checked). A pair is predicted a match when score >= THRESHOLD. Besides the figures at
each matcher's own threshold, the table shows the best F1 any single threshold would
have given (an upper bound that needs the labels to find), and, per pair kind of the
generator (`same`, `namesake`, `company-abroad`, ...), the share of pairs decided right.
Standard library only; prints Markdown.
"""

import argparse
import json


def read_pairs(path):
    with open(path, encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    return [(r[0], r[1], r[2] == "1", r[3] if len(r) > 3 else "") for r in rows]


def read_scores(path, pairs):
    scores = []
    with open(path, encoding="utf-8") as fh:
        for (a, b, _, _), line in zip(pairs, fh):
            fields = line.rstrip("\n").split("\t")
            if fields[0] != a or fields[1] != b:
                raise SystemExit("%s: pair order differs at %s %s" % (path, a, b))
            scores.append(float(fields[3]))
    if len(scores) != len(pairs):
        raise SystemExit("%s: %d scores for %d pairs" % (path, len(scores), len(pairs)))
    return scores


def prf(labels, predicted):
    tp = sum(1 for l, p in zip(labels, predicted) if l and p)
    fp = sum(1 for l, p in zip(labels, predicted) if p and not l)
    fn = sum(1 for l, p in zip(labels, predicted) if l and not p)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(labels, scores):
    """The threshold with the highest F1, in one sweep over the sorted scores."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    positives = sum(labels)
    tp = fp = 0
    best = (0.0, 1.0)
    k = 0
    while k < len(order):
        s = scores[order[k]]
        while k < len(order) and scores[order[k]] == s:
            if labels[order[k]]:
                tp += 1
            else:
                fp += 1
            k += 1
        f1 = 2 * tp / (2 * tp + fp + (positives - tp)) if positives else 0.0
        if f1 > best[0]:
            best = (f1, s)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", required=True)
    parser.add_argument("--matcher", nargs="+", action="append", required=True,
                        metavar="NAME SCORES THRESHOLD [TIMING]")
    args = parser.parse_args()

    pairs = read_pairs(args.pairs)
    labels = [p[2] for p in pairs]
    kinds = sorted({p[3] for p in pairs})
    print("%d pairs, %d labelled same\n" % (len(pairs), sum(labels)))
    print("| matcher | threshold | precision | recall | F1 | best F1 (at) | pairs/s (1 core) |")
    print("|---|---|---|---|---|---|---|")
    per_kind = []
    for spec in args.matcher:
        name, path, threshold = spec[0], spec[1], float(spec[2])
        timing = ""
        if len(spec) > 3:
            with open(spec[3], encoding="utf-8") as fh:
                timing = "{:,.0f}".format(json.load(fh)["pairs_per_second"])
        scores = read_scores(path, pairs)
        predicted = [s >= threshold for s in scores]
        p, r, f = prf(labels, predicted)
        bf, bt = best_threshold(labels, scores)
        print("| %s | %.2f | %.3f | %.3f | **%.3f** | %.3f (%.3g) | %s |" % (name, threshold, p, r, f, bf, bt, timing))
        row = [name]
        for kind in kinds:
            idx = [i for i, q in enumerate(pairs) if q[3] == kind]
            right = sum(1 for i in idx if predicted[i] == labels[i])
            row.append("%.3f" % (right / len(idx)))
        per_kind.append(row)
    print("\nShare of pairs decided right, per kind of pair (count):\n")
    counts = {k: sum(1 for q in pairs if q[3] == k) for k in kinds}
    print("| matcher | " + " | ".join("%s (%d)" % (k, counts[k]) for k in kinds) + " |")
    print("|---" * (len(kinds) + 1) + "|")
    for row in per_kind:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
