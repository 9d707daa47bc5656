"""Placements per second for each strategy, and the time to rebuild the tree from its rows.

Run: uv run python bench/placement.py [--n 1000000] [--seed 1]

For each scenario, N distributors join one by one, each enrolled by a distributor picked
uniformly among those already placed (the picks are drawn before the clock starts), and the
rate of ``PlacementTree.place`` is measured. Then the N + 1 rows are shuffled and
``PlacementTree.from_rows`` rebuilds the tree, as a service does on start.

Scenarios:
  outer-left / outer-right   binary; every distributor follows the same line (depth grows to N)
  outer-enroller-leg         binary; outer-left with the leg each enroller chose (random)
  weaker-leg                 binary; leg volumes random per enrolment
  breadth-first              binary, and a 3-wide matrix
  breadth-first-3x7          3-wide matrix limited to 7 levels, overflow=spill
  holding-tank               binary; the enroller is the root, the manual parent a random
                             distributor (or the end of its left line when both slots are taken):
                             check_manual (subtree check) + add
  unlimited                  width 0; straight under the enroller
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.placement import Overflow, PlacementTree, Strategy  # noqa: E402


def _picks(n: int, rng: random.Random) -> list[float]:
    return [rng.random() for _ in range(n)]


def scenario(name: str, width: int, n: int, rng: random.Random) -> tuple[PlacementTree, float]:
    tree = PlacementTree(width=width)
    picks = _picks(n, rng)
    ids = [1]
    place = tree.place
    step: Callable[[int, int, int], object]
    if name in ("outer-left", "outer-right", "unlimited"):
        strategy = Strategy.OUTER_RIGHT if name == "outer-right" else Strategy.OUTER_LEFT

        def step(i: int, new_id: int, enroller: int) -> object:
            return place(new_id=new_id, enroller_id=enroller, strategy=strategy)

    elif name == "outer-enroller-leg":
        legs = [rng.randrange(2) for _ in range(n)]

        def step(i: int, new_id: int, enroller: int) -> object:
            return place(
                new_id=new_id, enroller_id=enroller, strategy=Strategy.OUTER_LEFT, leg=legs[i]
            )

    elif name == "weaker-leg":
        volumes = [(rng.randrange(1000), rng.randrange(1000)) for _ in range(n)]

        def step(i: int, new_id: int, enroller: int) -> object:
            return place(
                new_id=new_id,
                enroller_id=enroller,
                strategy=Strategy.WEAKER_LEG,
                leg_volumes=volumes[i],
            )

    elif name.startswith("breadth-first"):
        max_depth = 7 if name.endswith("3x7") else None

        def step(i: int, new_id: int, enroller: int) -> object:
            return place(
                new_id=new_id,
                enroller_id=enroller,
                strategy=Strategy.BREADTH_FIRST,
                max_depth=max_depth,
                overflow=Overflow.SPILL,
            )

    elif name == "holding-tank":
        child_at, locate, place_manual = tree.child_at, tree.locate, tree.place_manual

        def step(i: int, new_id: int, enroller: int) -> object:
            parent, position = enroller, 0
            if child_at(parent, 0) is not None:
                if child_at(parent, 1) is None:
                    position = 1
                else:
                    parent, position = locate(enroller_id=parent, strategy=Strategy.OUTER_LEFT)
            return place_manual(new_id=new_id, enroller_id=1, parent_id=parent, position=position)

    else:
        raise SystemExit(f"unknown scenario {name}")

    start = time.perf_counter()
    for i in range(n):
        new_id = i + 2
        step(i, new_id, ids[int(picks[i] * len(ids))])
        ids.append(new_id)
    return tree, time.perf_counter() - start


SCENARIOS = [
    ("outer-left", 2),
    ("outer-right", 2),
    ("outer-enroller-leg", 2),
    ("weaker-leg", 2),
    ("breadth-first", 2),
    ("breadth-first", 3),
    ("breadth-first-3x7", 3),
    ("holding-tank", 2),
    ("unlimited", 0),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    results = []
    print(f"{'scenario':<22} {'width':>5} {'inserts/s':>10} {'depth':>8} {'from_rows s':>11}")
    for name, width in SCENARIOS:
        rng = random.Random(args.seed)
        tree, seconds = scenario(name, width, args.n, rng)
        depth = max(tree.depth_of(node) for node in range(1, args.n + 2, max(args.n // 1000, 1)))
        rows = list(tree.rows())
        del tree
        rng.shuffle(rows)
        start = time.perf_counter()
        rebuilt = PlacementTree.from_rows(rows, width=width)
        rebuild = time.perf_counter() - start
        assert len(rebuilt) == args.n + 1
        del rebuilt, rows
        rate = args.n / seconds
        key = name if name != "breadth-first" else f"breadth-first-w{width}"
        print(f"{key:<22} {width:>5} {rate:>10,.0f} {depth:>8} {rebuild:>11.2f}")
        results.append(
            {
                "scenario": key,
                "width": width,
                "inserts_per_second": round(rate),
                "sampled_max_depth": depth,
                "from_rows_seconds": round(rebuild, 3),
            }
        )
    print(json.dumps({"placements": args.n, "results": results}))


if __name__ == "__main__":
    main()
