#!/usr/bin/env python3
"""Runs `assay tag --jsonl` over the labelled corpus and scores it.

Pipes ../shared/corpus/news/dev.jsonl through the tagger into
../shared/tools/score_tags.py --min-f1, then checks the entity micro-F1 floors
the scorer prints. Exit 0 when every floor holds, 1 when one does not, 77
(skip) when the shared folder is absent.
"""
import argparse
import os
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assay", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--min-f1", default="0.95")
    ap.add_argument("--min-minerals", type=float, default=0.95)
    ap.add_argument("--min-countries", type=float, default=0.90)
    ap.add_argument("--min-blocs", type=float, default=0.95)
    args = ap.parse_args()

    gold = os.path.join(args.shared, "corpus", "news", "dev.jsonl")
    scorer = os.path.join(args.shared, "tools", "score_tags.py")
    if not (os.path.isfile(gold) and os.path.isfile(scorer)):
        print(f"skipped: {gold} or {scorer} is absent")
        return 77

    with open(gold, "rb") as f:
        tagged = subprocess.run([args.assay, "tag", "--jsonl", "--no-spans"], stdin=f,
                                capture_output=True)
    if tagged.returncode != 0:
        sys.stderr.write(tagged.stderr.decode())
        print(f"assay tag exited {tagged.returncode}")
        return 1
    scored = subprocess.run(["/usr/bin/python3", scorer, "--gold", gold, "--pred", "-",
                             "--min-f1", args.min_f1, "--verbose", "--top", "15"],
                            input=tagged.stdout, capture_output=True)
    out = scored.stdout.decode()
    print(out)
    sys.stderr.write(scored.stderr.decode())
    failed = scored.returncode != 0
    if failed:
        print(f"FAIL: tags macro-F1 below {args.min_f1}")
    floors = {"minerals": args.min_minerals, "countries": args.min_countries,
              "blocs": args.min_blocs}
    for field, floor in floors.items():
        m = re.search(rf"^{field}\s+micro\s+P [0-9.]+\s+R [0-9.]+\s+F1 ([0-9.]+)", out, re.M)
        if not m:
            print(f"FAIL: no {field} line in the scorer's output")
            failed = True
        elif float(m.group(1)) < floor:
            print(f"FAIL: {field} micro-F1 {m.group(1)} below {floor}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
