"""python -m bench corpus [--rows 30000]: the generator's neighbour profile vs real MiniLM."""
from __future__ import annotations

import argparse

from . import corpus

REAL_MINILM = {1: 0.67, 10: 0.52, 1000: 0.28}  # bench/RESULTS.md: 30k docstrings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench corpus")
    ap.add_argument("--rows", type=int, default=30_000)
    ap.add_argument("--dims", type=int, default=384)
    args = ap.parse_args(argv)
    x, _ = corpus.vectors(args.rows, dims=args.dims)
    got = corpus.neighbour_profile(x)
    print(f"mean cosine of the r-th nearest neighbour, {args.rows:,} rows x {args.dims}-d")
    print(f"{'rank':>6} {'synthetic':>10} {'real MiniLM':>12}")
    for r, v in got.items():
        print(f"{r:>6} {v:>10.3f} {REAL_MINILM[r]:>12.2f}")
