"""Placement strategies on hand-drawn trees (docs/compensation.md#placement)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ledger.errors import (
    AlreadyPlacedError,
    GenealogyError,
    HoldExpiredError,
    LedgerError,
    MatrixFullError,
    OutsideSubtreeError,
    PlacementError,
    PositionError,
    PositionOccupiedError,
    UnknownDistributorError,
)
from ledger.placement import (
    LEFT,
    RIGHT,
    ROOT_ID,
    UNLIMITED,
    HoldingTank,
    Overflow,
    Placement,
    PlacementTree,
    Strategy,
)

# A binary tree, positions 0 = left, 1 = right:
#
#            1
#          /   \
#         2     3
#        / \     \
#       4   5     6
#      /
#     7
BINARY_ROWS = [(1, None, None), (2, 1, 0), (3, 1, 1), (4, 2, 0), (5, 2, 1), (6, 3, 1), (7, 4, 0)]

# A 3-wide matrix:
#
#              1
#        /     |     \
#       2      3      4
#     / | \    |
#    5  6  7   8
MATRIX_ROWS = [(2, 1, 0), (3, 1, 1), (4, 1, 2), (5, 2, 0), (6, 2, 1), (7, 2, 2), (8, 3, 0)]


@pytest.fixture
def binary() -> PlacementTree:
    return PlacementTree.from_rows(BINARY_ROWS, width=2)


@pytest.fixture
def matrix() -> PlacementTree:
    return PlacementTree.from_rows(MATRIX_ROWS, width=3)


# --- the tree -----------------------------------------------------------------------------------


def test_a_new_company_holds_only_the_root_distributor_1() -> None:
    tree = PlacementTree(width=2)
    assert ROOT_ID == 1
    assert len(tree) == 1 and tree.root_id == 1
    assert tree.placement_of(1) is None
    assert tree.depth_of(1) == 0
    assert list(tree.rows()) == [(1, None, None)]


def test_queries_answer_from_the_rows(binary: PlacementTree) -> None:
    assert binary.children(2) == [(0, 4), (1, 5)]
    assert binary.children(3) == [(1, 6)]
    assert binary.child_at(3, LEFT) is None
    assert binary.child_at(3, RIGHT) == 6
    assert binary.child_at(3, 2) is None
    assert binary.placement_of(7) == Placement(parent_id=4, position=0)
    assert binary.depth_of(7) == 3
    assert 7 in binary and 8 not in binary
    assert binary.is_in_subtree(7, top_id=2)
    assert binary.is_in_subtree(2, top_id=2)
    assert not binary.is_in_subtree(6, top_id=2)
    assert not binary.is_in_subtree(1, top_id=7)


def test_rows_round_trip_top_down(binary: PlacementTree) -> None:
    assert list(binary.rows()) == [
        (1, None, None),
        (2, 1, 0),
        (3, 1, 1),
        (4, 2, 0),
        (5, 2, 1),
        (6, 3, 1),
        (7, 4, 0),
    ]
    again = PlacementTree.from_rows(list(reversed(list(binary.rows()))), width=2)
    assert list(again.rows()) == list(binary.rows())


def test_from_arrays_takes_numpy_columns_without_the_root() -> None:
    tree = PlacementTree.from_arrays(
        ids=np.array([2, 3, 4]), parent_ids=np.array([1, 1, 2]), positions=np.array([0, 1, 0]),
        width=2,
    )  # fmt: skip
    assert tree.children(1) == [(0, 2), (1, 3)]
    assert tree.placement_of(4) == (2, 0)


def test_sparse_ids_and_another_root_id_are_fine() -> None:
    rows = [(10**15, 7, 0), (7, None, None), (-3, 10**15, 1)]
    tree = PlacementTree.from_rows(rows, width=2, root_id=7)
    assert tree.placement_of(-3) == (10**15, 1)
    assert tree.place(new_id=5, enroller_id=7, strategy="outer-right") == (7, 1)


# --- outer-left / outer-right -------------------------------------------------------------------


def test_outer_left_follows_the_left_line_to_its_end(binary: PlacementTree) -> None:
    assert binary.locate(enroller_id=1, strategy=Strategy.OUTER_LEFT) == (7, LEFT)
    assert binary.locate(enroller_id=5, strategy=Strategy.OUTER_LEFT) == (5, LEFT)
    assert binary.locate(enroller_id=3, strategy=Strategy.OUTER_LEFT) == (3, LEFT)


def test_outer_right_follows_the_right_line_to_its_end(binary: PlacementTree) -> None:
    assert binary.locate(enroller_id=1, strategy="outer-right") == (6, RIGHT)
    assert binary.locate(enroller_id=2, strategy="outer-right") == (5, RIGHT)


def test_the_enroller_may_choose_the_leg(binary: PlacementTree) -> None:
    assert binary.locate(enroller_id=1, strategy="outer-left", leg=RIGHT) == (6, RIGHT)
    assert binary.locate(enroller_id=1, strategy="outer-right", leg=LEFT) == (7, LEFT)
    with pytest.raises(PositionError):
        binary.locate(enroller_id=1, strategy="outer-left", leg=2)


def test_outer_placements_extend_the_line(binary: PlacementTree) -> None:
    assert binary.place(new_id=8, enroller_id=2, strategy="outer-left") == (7, LEFT)
    assert binary.place(new_id=9, enroller_id=1, strategy="outer-left") == (8, LEFT)
    assert binary.place(new_id=10, enroller_id=4, strategy="outer-right") == (4, RIGHT)
    assert binary.place(new_id=11, enroller_id=1, strategy="outer-right") == (6, RIGHT)
    assert binary.place(new_id=12, enroller_id=3, strategy="outer-right") == (11, RIGHT)


def test_matrix_outer_lines_use_the_first_and_last_position(matrix: PlacementTree) -> None:
    assert matrix.locate(enroller_id=1, strategy="outer-left") == (5, 0)
    assert matrix.locate(enroller_id=1, strategy="outer-right") == (4, 2)
    assert matrix.locate(enroller_id=1, strategy="outer-left", leg=1) == (3, 1)
    matrix.place(new_id=9, enroller_id=1, strategy="outer-left", leg=1)
    assert matrix.placement_of(9) == (3, 1)
    assert matrix.locate(enroller_id=1, strategy="outer-left", leg=1) == (9, 1)
    assert matrix.locate(enroller_id=2, strategy="outer-left", leg=1) == (6, 1)


# --- weaker-leg ---------------------------------------------------------------------------------


def test_weaker_leg_goes_to_the_outer_end_of_the_leg_with_less_volume(
    binary: PlacementTree,
) -> None:
    assert binary.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[500, 200]) == (6, 1)
    assert binary.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[100, 900]) == (7, 0)


def test_weaker_leg_ties_go_left(binary: PlacementTree) -> None:
    assert binary.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[300, 300]) == (7, 0)
    assert binary.locate(enroller_id=3, strategy="weaker-leg", leg_volumes={}) == (3, 0)


def test_weaker_leg_takes_a_mapping_a_sequence_or_a_callable(binary: PlacementTree) -> None:
    assert binary.locate(enroller_id=1, strategy="weaker-leg", leg_volumes={0: 5}) == (6, 1)
    assert binary.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[5]) == (6, 1)
    volumes = {0: 1, 1: 0}.__getitem__
    assert binary.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=volumes) == (6, 1)


def test_weaker_leg_in_a_matrix_compares_every_leg(matrix: PlacementTree) -> None:
    assert matrix.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[10, 5, 5]) == (3, 1)
    assert matrix.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[10, 9, 5]) == (4, 2)


def test_weaker_leg_needs_volumes(binary: PlacementTree) -> None:
    with pytest.raises(PlacementError, match="leg_volumes"):
        binary.locate(enroller_id=1, strategy="weaker-leg")


# --- breadth-first ------------------------------------------------------------------------------


def test_breadth_first_fills_level_by_level_left_to_right(binary: PlacementTree) -> None:
    assert binary.locate(enroller_id=1, strategy="breadth-first") == (3, LEFT)
    assert binary.locate(enroller_id=2, strategy="breadth-first") == (4, RIGHT)
    assert binary.locate(enroller_id=7, strategy="breadth-first") == (7, LEFT)
    placed = [binary.place(new_id=i, enroller_id=1, strategy="breadth-first") for i in (8, 9, 10)]
    # level 2 done (3 left), then level 3 from the left: 4 right, 5 left
    assert placed == [(3, 0), (4, 1), (5, 0)]


def test_breadth_first_fills_a_3_wide_matrix(matrix: PlacementTree) -> None:
    placed = [matrix.place(new_id=i, enroller_id=1, strategy="breadth-first") for i in range(9, 15)]
    assert placed == [(3, 1), (3, 2), (4, 0), (4, 1), (4, 2), (5, 0)]


def test_breadth_first_with_a_depth_limit_refuses_a_full_matrix(matrix: PlacementTree) -> None:
    with pytest.raises(MatrixFullError, match="3 x 1 matrix of 1 is full"):
        matrix.locate(enroller_id=1, strategy="breadth-first", max_depth=1)
    with pytest.raises(MatrixFullError):
        matrix.locate(enroller_id=2, strategy="breadth-first", max_depth=1)
    assert matrix.locate(enroller_id=1, strategy="breadth-first", max_depth=2) == (3, 1)
    assert matrix.locate(enroller_id=3, strategy="breadth-first", max_depth=1) == (3, 1)


def test_breadth_first_spills_below_a_full_matrix_when_the_plan_says_so(
    matrix: PlacementTree,
) -> None:
    where = matrix.locate(
        enroller_id=2, strategy="breadth-first", max_depth=1, overflow=Overflow.SPILL
    )
    assert where == (5, 0)


def test_a_binary_matrix_completes_at_2_plus_4_positions() -> None:
    tree = PlacementTree(width=2)
    for new_id in range(2, 8):
        tree.place(new_id=new_id, enroller_id=1, strategy="breadth-first", max_depth=2)
    with pytest.raises(MatrixFullError):
        tree.place(new_id=8, enroller_id=1, strategy="breadth-first", max_depth=2)
    assert 8 not in tree
    assert [c for _, c in tree.children(1)] == [2, 3]
    assert [tree.children(p) for p in (2, 3)] == [[(0, 4), (1, 5)], [(0, 6), (1, 7)]]


# --- unlimited width ----------------------------------------------------------------------------


def test_unlimited_width_places_directly_under_the_enroller() -> None:
    tree = PlacementTree.from_rows([(2, 1, 0), (3, 1, 1), (4, 1, 2), (5, 3, 0)], width=UNLIMITED)
    for strategy in ("outer-left", "outer-right", "breadth-first"):
        assert tree.locate(enroller_id=1, strategy=strategy) == (1, 3)
    assert tree.locate(enroller_id=1, strategy="weaker-leg", leg_volumes=[1, 0]) == (1, 3)
    assert tree.place(new_id=6, enroller_id=3, strategy="breadth-first") == (3, 1)
    assert tree.place(new_id=7, enroller_id=2, strategy="outer-left") == (2, 0)
    assert tree.children(3) == [(0, 5), (1, 6)]


def test_unlimited_width_manual_positions_move_the_next_position_on() -> None:
    tree = PlacementTree(width=UNLIMITED)
    tree.place_manual(new_id=2, enroller_id=1, parent_id=1, position=4)
    assert tree.locate(enroller_id=1, strategy="outer-left") == (1, 5)
    assert tree.child_at(1, 4) == 2 and tree.child_at(1, 0) is None
    with pytest.raises(PositionOccupiedError):
        tree.check_manual(enroller_id=1, parent_id=1, position=4)
    with pytest.raises(PositionError):
        tree.check_manual(enroller_id=1, parent_id=1, position=-1)


# --- holding tank -------------------------------------------------------------------------------


def test_a_manual_choice_inside_the_enrollers_subtree_is_accepted(binary: PlacementTree) -> None:
    assert binary.check_manual(enroller_id=2, parent_id=5, position=LEFT) == (5, LEFT)
    assert binary.check_manual(enroller_id=3, parent_id=3, position=LEFT) == (3, LEFT)
    assert 8 not in binary  # checking changes nothing
    assert binary.place_manual(new_id=8, enroller_id=1, parent_id=7, position=RIGHT) == (7, 1)
    assert binary.child_at(7, RIGHT) == 8


@pytest.mark.parametrize(
    ("enroller_id", "parent_id", "position", "error"),
    [
        (2, 6, LEFT, OutsideSubtreeError),  # 6 is under 3
        (4, 2, RIGHT, OutsideSubtreeError),  # the enroller's own parent
        (2, 4, LEFT, PositionOccupiedError),  # 7 is there
        (2, 5, 2, PositionError),  # binary: 0 or 1
        (2, 5, -1, PositionError),
        (2, 99, LEFT, UnknownDistributorError),
        (99, 5, LEFT, UnknownDistributorError),
    ],
)
def test_a_bad_manual_choice_is_refused(
    binary: PlacementTree,
    enroller_id: int,
    parent_id: int,
    position: int,
    error: type[LedgerError],
) -> None:
    with pytest.raises(error):
        binary.place_manual(
            new_id=8, enroller_id=enroller_id, parent_id=parent_id, position=position
        )
    assert 8 not in binary


def test_the_hold_ends_after_n_days_and_the_fallback_applies() -> None:
    tank = HoldingTank(days=7, fallback=Strategy.OUTER_LEFT)
    enrolled_at = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    end = datetime(2026, 1, 8, 9, 30, tzinfo=UTC)
    assert tank.expires_at(enrolled_at=enrolled_at) == end
    assert not tank.is_expired(enrolled_at=enrolled_at, now=end - timedelta(seconds=1))
    assert tank.is_expired(enrolled_at=enrolled_at, now=end)
    assert tank.cutoff(now=end) == enrolled_at
    tank.check_open(enrolled_at=enrolled_at, now=end - timedelta(seconds=1))
    with pytest.raises(HoldExpiredError, match="outer-left"):
        tank.check_open(enrolled_at=enrolled_at, now=end)


def test_a_holding_tank_needs_an_automatic_fallback() -> None:
    with pytest.raises(PlacementError):
        HoldingTank(days=7, fallback=Strategy.HOLDING_TANK)
    with pytest.raises(PlacementError):
        HoldingTank(days=-1, fallback=Strategy.BREADTH_FIRST)


def test_holding_tank_is_not_computed(binary: PlacementTree) -> None:
    with pytest.raises(PlacementError, match="check_manual"):
        binary.locate(enroller_id=1, strategy="holding-tank")


# --- refusals -----------------------------------------------------------------------------------


def test_placement_never_moves_anyone(binary: PlacementTree) -> None:
    with pytest.raises(AlreadyPlacedError):
        binary.place(new_id=7, enroller_id=1, strategy="outer-right")
    with pytest.raises(AlreadyPlacedError):
        binary.add(node_id=1, parent_id=6, position=0)
    assert binary.placement_of(7) == (4, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "zigzag"}, "unknown placement strategy"),
        ({"strategy": "breadth-first", "leg": 0}, "leg="),
        ({"strategy": "outer-left", "leg_volumes": [1, 2]}, "leg_volumes="),
        ({"strategy": "outer-left", "max_depth": 3}, "max_depth="),
        ({"strategy": "breadth-first", "max_depth": 0}, "max_depth"),
        ({"strategy": "breadth-first", "overflow": "wrap"}, "overflow"),
    ],
)
def test_bad_arguments_are_refused_clearly(
    binary: PlacementTree, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(PlacementError, match=message):
        binary.locate(enroller_id=1, **kwargs)  # type: ignore[arg-type]


def test_an_unknown_enroller_is_refused(binary: PlacementTree) -> None:
    with pytest.raises(UnknownDistributorError, match="enroller 42"):
        binary.place(new_id=8, enroller_id=42, strategy="outer-left")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(2, 1, 0), (2, 1, 1)], "2 appears twice"),
        ([(2, 1, 0), (1, 2, 0)], "1 appears twice"),
        ([(2, 1, 0), (3, 9, 0)], "3 is placed under 9, who is not in the tree"),
        ([(2, 1, 0), (3, None, None)], "3 has no parent"),
        ([(2, 1, None)], "2 has a parent but no position"),
        ([(2, 1, 2)], "beyond the width 2"),
        ([(2, 1, -1)], "beyond the width 2"),
        ([(2, 1, 0), (3, 1, 0)], "position 0 under 1 is held by both"),
        ([(2, 1, 0), (3, 4, 0), (4, 3, 1)], "cycle"),
        ([(2, 2, 0)], "cycle"),
    ],
)
def test_rows_that_are_not_one_tree_are_refused(
    rows: list[tuple[int, int | None, int | None]], message: str
) -> None:
    with pytest.raises(GenealogyError, match=message):
        PlacementTree.from_rows(rows, width=2)


def test_sparse_ids_get_the_same_checks() -> None:
    big = 10**12
    with pytest.raises(GenealogyError, match="appears twice"):
        PlacementTree.from_rows([(big, 1, 0), (big, 1, 1)], width=2)
    with pytest.raises(GenealogyError, match="who is not in the tree"):
        PlacementTree.from_rows([(big, 1, 0), (3, big + 1, 0)], width=2)


def test_unlimited_rows_are_checked_too() -> None:
    with pytest.raises(GenealogyError, match="held by both 2 and 3"):
        PlacementTree.from_rows([(2, 1, 5), (3, 1, 5)], width=UNLIMITED)
    with pytest.raises(GenealogyError, match="not a position"):
        PlacementTree.from_rows([(2, 1, -1)], width=UNLIMITED)


# --- a service catching up with its database ----------------------------------------------------


def test_locate_then_add_is_place(binary: PlacementTree) -> None:
    where = binary.locate(enroller_id=1, strategy="breadth-first")
    assert 8 not in binary
    binary.add(node_id=8, parent_id=where.parent_id, position=where.position)
    assert binary.locate(enroller_id=1, strategy="breadth-first") == (4, 1)


def test_extend_catches_up_with_rows_in_any_order(binary: PlacementTree) -> None:
    newer = [(10, 9, 1), (9, 8, 0), (8, 7, 1), (5, 2, 1)]  # 5 is known already
    assert binary.extend(newer) == 3
    assert binary.placement_of(10) == (9, 1)
    assert binary.locate(enroller_id=7, strategy="outer-right") == (8, 1)
    assert binary.locate(enroller_id=8, strategy="outer-left") == (9, 0)
    assert binary.locate(enroller_id=8, strategy="breadth-first") == (8, 1)


def test_extend_refuses_rows_that_contradict_the_tree(binary: PlacementTree) -> None:
    with pytest.raises(GenealogyError, match="nobody moves"):
        binary.extend([(5, 3, 0)])
    with pytest.raises(GenealogyError, match="who is not in the tree"):
        binary.extend([(9, 8, 0)])
    with pytest.raises(GenealogyError, match="held by 7"):
        binary.extend([(9, 4, 0)])
