"""Placement against a naive reference, on random sequences of enrolments.

The reference walks the tree the slow, obvious way (follow the line, scan level by level, climb
to check ancestry); :class:`PlacementTree` must give the same answer for every step, keep every
rule (free position, within the width, inside the enroller's subtree) and be deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import MatrixFullError, PlacementError
from ledger.placement import Overflow, Placement, PlacementTree, Strategy


@dataclass
class NaiveTree:
    """The obvious implementation: a dict of slots, walked on every question."""

    width: int
    child: dict[tuple[int, int], int] = field(default_factory=dict)
    parent: dict[int, int | None] = field(default_factory=lambda: {1: None})

    def kids(self, node: int) -> list[int]:
        if self.width:
            slots = (self.child.get((node, p)) for p in range(self.width))
            return [c for c in slots if c is not None]
        return [c for (p, _), c in sorted(self.child.items()) if p == node]

    def next_position(self, node: int) -> int:
        return 1 + max((q for (p, q) in self.child if p == node), default=-1)

    def outer(self, node: int, leg: int) -> Placement:
        while (node, leg) in self.child:
            node = self.child[(node, leg)]
        return Placement(node, leg)

    def breadth_first(self, node: int, max_depth: int | None) -> Placement:
        level, depth = [node], 1
        while level:
            if max_depth is not None and depth > max_depth:
                raise MatrixFullError("full")
            for v in level:
                for p in range(self.width):
                    if (v, p) not in self.child:
                        return Placement(v, p)
            level = [c for v in level for c in self.kids(v)]
            depth += 1
        raise AssertionError("a finite tree always has a free position")

    def locate(self, enroller: int, step: Step) -> Placement:
        if not self.width:
            return Placement(enroller, self.next_position(enroller))
        if step.strategy is Strategy.BREADTH_FIRST:
            spill = step.overflow is Overflow.SPILL
            return self.breadth_first(enroller, None if spill else step.max_depth)
        if step.strategy is Strategy.WEAKER_LEG:
            volumes = [step.volumes[p] if p < len(step.volumes) else 0 for p in range(self.width)]
            return self.outer(enroller, volumes.index(min(volumes)))
        if step.leg is not None:
            return self.outer(enroller, step.leg)
        return self.outer(enroller, 0 if step.strategy is Strategy.OUTER_LEFT else self.width - 1)

    def is_under(self, node: int | None, top: int) -> bool:
        while node is not None:
            if node == top:
                return True
            node = self.parent[node]
        return False

    def add(self, node: int, where: Placement) -> None:
        assert (where.parent_id, where.position) not in self.child
        self.child[(where.parent_id, where.position)] = node
        self.parent[node] = where.parent_id


@dataclass(frozen=True)
class Step:
    strategy: Strategy
    pick: int  # which placed distributor enrolls (modulo the count)
    leg: int | None = None
    volumes: tuple[int, ...] = ()
    max_depth: int | None = None
    overflow: Overflow = Overflow.ERROR
    manual: tuple[int, int] | None = None  # (pick of the parent, position)


def _step_kwargs(step: Step) -> dict[str, object]:
    kwargs: dict[str, object] = {"strategy": step.strategy}
    if step.strategy in (Strategy.OUTER_LEFT, Strategy.OUTER_RIGHT) and step.leg is not None:
        kwargs["leg"] = step.leg
    if step.strategy is Strategy.WEAKER_LEG:
        kwargs["leg_volumes"] = list(step.volumes)
    if step.strategy is Strategy.BREADTH_FIRST and step.max_depth is not None:
        kwargs["max_depth"] = step.max_depth
        kwargs["overflow"] = step.overflow
    return kwargs


def run(tree: PlacementTree, naive: NaiveTree, steps: list[Step], first_id: int) -> list[object]:
    """Play the steps on both trees, checking every answer; returns what happened, in order."""
    placed = sorted(naive.parent)
    log: list[object] = []
    for offset, step in enumerate(steps):
        new_id = first_id + offset
        enroller = placed[step.pick % len(placed)]
        if step.manual is not None:
            parent = placed[step.manual[0] % len(placed)]
            position = step.manual[1]
            expected_ok = (
                naive.is_under(parent, enroller)
                and 0 <= position < (naive.width or 1 << 32)
                and (parent, position) not in naive.child
            )
            try:
                where = tree.place_manual(
                    new_id=new_id, enroller_id=enroller, parent_id=parent, position=position
                )
            except PlacementError as exc:
                assert not expected_ok, exc
                log.append(type(exc).__name__)
                continue
            assert expected_ok
        else:
            try:
                expected: Placement | None = naive.locate(enroller, step)
            except MatrixFullError:
                expected = None
            try:
                where = tree.place(new_id=new_id, enroller_id=enroller, **_step_kwargs(step))  # type: ignore[arg-type]
            except MatrixFullError:
                assert expected is None
                log.append("full")
                continue
            assert where == expected
            # the rules, stated once more without the reference
            if naive.width:
                assert 0 <= where.position < naive.width
                assert naive.is_under(where.parent_id, enroller)
            else:
                assert where.parent_id == enroller
        assert (where.parent_id, where.position) not in naive.child
        naive.add(new_id, where)
        placed.append(new_id)
        log.append(where)
    return log


def _steps(width: int) -> st.SearchStrategy[list[Step]]:
    legs = st.integers(0, max(width - 1, 0))
    auto = st.builds(
        Step,
        strategy=st.sampled_from(
            [Strategy.OUTER_LEFT, Strategy.OUTER_RIGHT, Strategy.WEAKER_LEG, Strategy.BREADTH_FIRST]
        ),
        pick=st.integers(0, 10**6),
        leg=st.none() | legs,
        volumes=st.lists(st.integers(0, 3), max_size=max(width, 1)).map(tuple),
        max_depth=st.none() | st.integers(1, 4),
        overflow=st.sampled_from(list(Overflow)),
    )
    manual = st.builds(
        Step,
        strategy=st.just(Strategy.HOLDING_TANK),
        pick=st.integers(0, 10**6),
        manual=st.tuples(st.integers(0, 10**6), st.integers(-1, max(width, 3))),
    )
    return st.lists(st.one_of(auto, auto, auto, manual), max_size=80)


def _compare(width: int, steps: list[Step], cut: int) -> None:
    tree, naive = PlacementTree(width=width), NaiveTree(width)
    before = run(tree, naive, steps[:cut], first_id=2)
    # a restarted service: rebuild from the stored rows, shuffled, and carry on
    rows = list(tree.rows())
    random.Random(cut).shuffle(rows)
    rebuilt = PlacementTree.from_rows(rows, width=width)
    assert list(rebuilt.rows()) == list(tree.rows())
    after = run(rebuilt, naive, steps[cut:], first_id=2 + cut)
    # deterministic: the same steps on a fresh tree give the same answers
    again = run(PlacementTree(width=width), NaiveTree(width), steps, first_id=2)
    assert again == before + after


@pytest.mark.parametrize("width", [1, 2, 3, 5, 0])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_placement_matches_the_naive_reference(width: int, data: st.DataObject) -> None:
    steps = data.draw(_steps(width))
    cut = data.draw(st.integers(0, len(steps)))
    _compare(width, steps, cut)


@pytest.mark.parametrize("width", [2, 3])
def test_a_long_random_company_matches_the_reference(width: int) -> None:
    rng = random.Random(width)
    strategies = [Strategy.OUTER_LEFT, Strategy.OUTER_RIGHT, Strategy.WEAKER_LEG]
    steps: list[Step] = []
    for _ in range(3000):
        roll = rng.random()
        if roll < 0.1:
            pick, parent = rng.randrange(10**6), rng.randrange(10**6)
            step = Step(Strategy.HOLDING_TANK, pick, manual=(parent, rng.randrange(width)))
        elif roll < 0.5:
            step = Step(Strategy.BREADTH_FIRST, rng.randrange(10**6))
        else:
            volumes = tuple(rng.randrange(100) for _ in range(width))
            step = Step(rng.choice(strategies), rng.randrange(10**6), volumes=volumes)
        steps.append(step)
    _compare(width, steps, cut=2000)


@settings(max_examples=40, deadline=None)
@given(edges=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 2)), min_size=1, max_size=40))
def test_from_rows_rebuilds_any_tree_it_accepts(edges: list[tuple[int, int]]) -> None:
    """Random rows, valid or not: accepted ones equal the tree built by adding one by one."""
    rows: list[tuple[int, int | None, int | None]] = [
        (node, 1 + parent % (node + 1), position)
        for node, (parent, position) in enumerate(edges, start=2)
    ]
    try:
        rebuilt = PlacementTree.from_rows(rows, width=2)
    except PlacementError:
        rebuilt = None
    step_by_step = PlacementTree(width=2)
    try:
        step_by_step.extend(rows)
    except PlacementError:
        assert rebuilt is None
        return
    assert rebuilt is not None
    assert list(rebuilt.rows()) == list(step_by_step.rows())
    for node in range(1, len(rows) + 2):
        for strategy in ("outer-left", "outer-right", "breadth-first"):
            assert rebuilt.locate(enroller_id=node, strategy=strategy) == step_by_step.locate(
                enroller_id=node, strategy=strategy
            )
        for top in range(1, len(rows) + 2):
            assert rebuilt.is_in_subtree(node, top_id=top) == step_by_step.is_in_subtree(
                node, top_id=top
            )
