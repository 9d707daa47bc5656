"""Period engine benchmark (issue 3): 1M distributors + 5M order lines in at most 8 s / 4 GiB,
10M + 50M in at most 100 s / 16 GiB, on two cores, package and Merkle root included.

Usage: uv run python bench/engine.py [--distributors N] [--orders M] [--plan P] [--out DIR]
(the same as `lineage bench engine`). Prints seconds per stage, then one JSON line.
"""

from __future__ import annotations

import sys

from backend.cli.bench import app

if __name__ == "__main__":
    app(["engine", *sys.argv[1:]], prog_name="bench/engine.py")
