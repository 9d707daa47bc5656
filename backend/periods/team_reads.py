"""Reads of a period's team files (`backend.periods.team_lines`): a leader's team is the run
of places ``[place, place + size)`` of its head, so each read is a binary search and a few
vectorised sums over that run, whatever the company's size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session

from backend.core.config import Settings
from backend.periods.models import Period
from backend.periods.team_lines import (
    ACTIVE,
    I64,
    RANKED_UP,
    STANDING,
    WAS_ACTIVE,
    ensure_team_lines,
)


@dataclass(frozen=True)
class TeamLines:
    """A team's product lines in a period, summed per ``combos`` row (product, warehouse,
    currency, retail): ``lines``, ``orders``, ``charged`` and ``pv`` per row."""

    combos: I64  # shape (k, 4)
    lines: I64
    orders: I64
    charged: I64
    pv: I64


def _array(base: Path, name: str) -> NDArray[np.generic]:
    """One of the period's arrays, memory mapped (read as sliced)."""
    found: NDArray[np.generic] = np.load(base / f"{name}.npy", mmap_mode="r")
    return found


def _run(base: Path, name: str, lo: int, hi: int) -> I64:
    """Entries ``[lo, hi)`` of one of the period's arrays, as integers."""
    return np.asarray(_array(base, name)[lo:hi], dtype=np.int64)


def _span(base: Path, name: str, start: int, end: int) -> tuple[int, int]:
    """Where the entries of places ``[start, end)`` are in ``name`` (kept in place order)."""
    lo, hi = np.searchsorted(_array(base, name), [start, end])
    return int(lo), int(hi)


def _combos(base: Path) -> I64:
    """The (product, warehouse, currency, retail) rows the lines' ``combo`` points at."""
    return np.asarray(_array(base, "combos"), dtype=np.int64).reshape(-1, 4)


def _team_run(
    session: Session, settings: Settings, period: Period, leader: int
) -> tuple[Path, int, int] | None:
    """The period's folder and the places ``[start, end)`` of ``leader``'s placement subtree
    (None when the period's genealogy did not hold them)."""
    base = ensure_team_lines(session, settings, period)
    ids = _array(base, "people_id")
    at = int(np.searchsorted(ids, leader))
    if at >= ids.shape[0] or int(ids[at]) != leader:
        return None
    start = int(_array(base, "people_place")[at])
    return base, start, start + int(_array(base, "people_size")[at])


def team_people(
    session: Session, settings: Settings, period: Period, leader: int
) -> list[tuple[int, int, list[int]]]:
    """``leader``'s team in the period counted per (enrollment month, paid-as rank): people,
    active, was active (in the period before), churned (was and is not), ranked up: what
    `PeriodPeopleSummary` holds for the company, for one team's run of places."""
    found = _team_run(session, settings, period, leader)
    if found is None:
        return []
    base, start, end = found
    cohort = _run(base, "place_cohort", start, end)
    rank = _run(base, "place_rank", start, end)
    flags = _run(base, "place_flags", start, end)
    held = (flags & STANDING) != 0
    cohort, rank, flags = cohort[held], rank[held], flags[held]
    if not cohort.shape[0]:
        return []
    first, ranks = int(cohort.min()), int(rank.max()) + 1
    key = (cohort - first) * ranks + rank
    active, was = (flags & ACTIVE) != 0, (flags & WAS_ACTIVE) != 0
    everyone = np.ones(key.shape[0], dtype=np.bool_)
    size = int(key.max()) + 1
    counts = [
        np.bincount(key[mask], minlength=size)
        for mask in (everyone, active, was, was & ~active, (flags & RANKED_UP) != 0)
    ]
    return [
        (first + k // ranks, k % ranks, [int(c[k]) for c in counts])
        for k in np.flatnonzero(counts[0]).tolist()
    ]


def team_places(
    session: Session, settings: Settings, period: Period, leader: int | None
) -> list[tuple[tuple[str, str], int, int]]:
    """((country, region), currency, charged) of the sales of ``leader``'s team (None: of
    everyone) in the period, summed per where each buyer lived when it was computed."""
    base = ensure_team_lines(session, settings, period)
    lo, hi = 0, int(_array(base, "place").shape[0])
    if leader is not None:
        run = _team_run(session, settings, period, leader)
        if run is None:
            return []
        lo, hi = _span(base, "place", run[1], run[2])
    names = np.load(base / "places.npy").tolist()
    combos = _combos(base)
    codes, currency_of_combo = np.unique(combos[:, 2], return_inverse=True)
    where = np.asarray(_array(base, "place_where"))
    buyers = _run(base, "place", lo, hi)
    combo = _run(base, "combo", lo, hi)
    charged = _run(base, "charged", lo, hi)
    width = max(int(codes.shape[0]), 1)
    key = where[buyers].astype(np.int64) * width + currency_of_combo.reshape(-1)[combo]
    summed = np.zeros(len(names) * width, dtype=np.int64)
    np.add.at(summed, key, charged)
    held = np.bincount(key, minlength=summed.shape[0]) > 0
    found = []
    for k in np.flatnonzero(held).tolist():
        country, region = str(names[k // width]).split("|", 1)
        found.append(((country, region), int(codes[k % width]), int(summed[k])))
    return found


def team_payouts(
    session: Session, settings: Settings, period: Period, leader: int
) -> dict[int, tuple[int, int]]:
    """Bonus (1-based) -> (gross, amount) of the lines paying ``leader``'s team in the
    period: their run of the per-payee sums, not every line of the period."""
    found = _team_run(session, settings, period, leader)
    if found is None:
        return {}
    base, start, end = found
    lo, hi = _span(base, "pay_place", start, end)
    bonus = _run(base, "pay_bonus", lo, hi)
    size = int(bonus.max()) + 1 if bonus.shape[0] else 0
    sums = []
    for name in ("pay_gross", "pay_amount"):
        summed = np.zeros(size, dtype=np.int64)
        np.add.at(summed, bonus, _run(base, name, lo, hi))
        sums.append(summed)
    return {
        b: (int(sums[0][b]), int(sums[1][b]))
        for b in np.flatnonzero(np.bincount(bonus, minlength=size)).tolist()
    }


def team_lines(session: Session, settings: Settings, period: Period, leader: int) -> TeamLines:
    """The sums of the lines bought by ``leader``'s placement subtree (as the period placed
    it; nobody when they were not in it): a binary search for the team's run of lines and one
    sum per column."""
    base = ensure_team_lines(session, settings, period)
    combos = _combos(base)
    sums = [np.zeros(combos.shape[0], dtype=np.int64) for _ in range(4)]
    run = _team_run(session, settings, period, leader)
    if run is not None:
        lo, hi = _span(base, "place", run[1], run[2])
        combo = _run(base, "combo", lo, hi)
        values = (
            np.ones(hi - lo, dtype=np.int64),
            _run(base, "first", lo, hi),
            _run(base, "charged", lo, hi),
            _run(base, "pv", lo, hi),
        )
        for summed, value in zip(sums, values, strict=True):
            np.add.at(summed, combo, value)
    return TeamLines(combos, *sums)
