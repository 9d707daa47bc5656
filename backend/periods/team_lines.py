"""A computed period's counted sales lines, commission lines and people in the order of its
placement tree, so a leader's team is one contiguous run of each: what a team's sales (by
product, category, warehouse, currency and region), commissions and people counts read
(`backend.periods.team_reads`) instead of the period's every line and standing (at 1,000,000
distributors and 5,000,000 lines, a top leader's half of the company is a slice and a few
vectorised sums).

Written by the compute beside the package (in ``<data dir>/team-lines/<period>/``, a folder
per computation and format, so a file never answers for another computation of the period),
as numpy arrays read memory mapped:

- per product line (own and retail; fees are no sales), in placement preorder of its buyer
  (`ledger.standing.placement_order`) then line order: the buyer's ``place``, its ``combo``
  (a row of ``combos``: product, warehouse, currency, retail flag), ``charged`` (its retail
  price when a customer bought it, else its wholesale price, in minor units of its currency),
  ``pv`` and ``first`` (the first counted line of its order: orders counted once, as
  `PeriodSalesSummary` counts them);
- per person (ids sorted): ``place`` and the ``size`` of their placement subtree;
- per place: enrollment month, paid-as rank and flags (a standing, active, active in the
  period before, ranked up) from the period's standings, and where they lived (country and
  region as stated when the period was computed);
- per payee and bonus, in placement order: the commission lines' gross and amount.

A period computed before these files existed gets them from its package, standings and stored
order lines (and the places stated then) on first read, or from the worker when it starts."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.days import day_start
from backend.genealogy.models import Distributor
from backend.orders.models import Order, OrderLine
from backend.periods.models import Period, PeriodStanding
from backend.periods.people_summary import month_of_days, previously_active
from backend.periods.review import package_file
from ledger.engine import PeriodResult
from ledger.inputs import KIND_OWN, KIND_RETAIL, Genealogy, Orders
from ledger.package import read_package_table
from ledger.standing import dense_index, placement_order

I64 = NDArray[np.int64]
FOLDER = "team-lines"
FORMAT = 4  # the files written; a folder of another is not read
# A place's flags.
STANDING, ACTIVE, WAS_ACTIVE, RANKED_UP = 1, 2, 4, 8
LINES = ("place", "combo", "charged", "pv", "first")
PEOPLE = ("id", "place", "size")
ORDERS = "inputs/orders.tbl"
GENEALOGY = "inputs/distributors.tbl"
LINES_FILE = "results/lines.tbl"


@dataclass(frozen=True)
class LineFacts:
    """Per counted line (in the order of the period's ``inputs/orders.tbl``): its order,
    product and warehouse, which the package does not hold."""

    order: I64
    product: I64
    warehouse: I64


@dataclass(frozen=True)
class PayoutLines:
    """The period's commission lines (``results/lines.tbl``): payee id (0: nobody could be
    paid), bonus (1-based in `ledger.plan.BONUS_TYPES`), gross and amount, per line."""

    payee: I64
    bonus: I64
    gross: I64
    amount: I64

    @classmethod
    def of(cls, result: PeriodResult) -> PayoutLines:
        ext = np.concatenate([np.zeros(1, dtype=np.int64), result.ids])  # dense -1 -> id 0
        blocks = result.lines
        if not blocks:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty)
        return cls(
            np.concatenate([ext[b.payee + 1] for b in blocks]),
            np.concatenate([np.full(len(b), b.bonus, dtype=np.int64) for b in blocks]),
            np.concatenate([b.gross for b in blocks]).astype(np.int64),
            np.concatenate([b.amount for b in blocks]).astype(np.int64),
        )


def folder(settings: Settings, period: Period) -> Path:
    """The files of the period's current computation, in this module's format (files of
    another format are made again, and replace them)."""
    return settings.data_dir / FOLDER / str(period.id) / f"{period.computations}.v{FORMAT}"


def write_team_lines(
    session: Session,
    settings: Settings,
    period: Period,
    orders: Orders,
    facts: LineFacts,
    genealogy: Genealogy,
    payouts: PayoutLines,
) -> None:
    """Write the period's files for its current computation (``period.computations``) and
    drop those of other computations; the folder is whole or absent (written aside, renamed;
    when a concurrent reader renamed theirs first, theirs is kept: the same lines)."""
    ids, place, size = placement_order(genealogy)
    product = (orders.kind == KIND_OWN) | (orders.kind == KIND_RETAIL)
    at = dense_index(ids, orders.distributor)
    kept = product & (at >= 0)
    # The first product line of each order, lines being in id order (as the summary counts).
    rows = np.flatnonzero(kept)
    first = np.zeros(orders.kind.shape[0], dtype=np.bool_)
    first[rows[np.unique(facts.order[rows], return_index=True)[1]]] = True
    retail = orders.kind == KIND_RETAIL
    keys = np.stack(
        [facts.product, facts.warehouse, orders.currency, retail.astype(np.int64)], axis=1
    )[rows]
    combos, combo = np.unique(keys, axis=0, return_inverse=True)
    charged = np.where(retail, orders.retail_price, orders.wholesale_price).astype(np.int64)
    line_place = place[at[rows]]
    order = np.argsort(line_place, kind="stable")  # placement order, then line order
    arrays: dict[str, NDArray[np.generic]] = {
        "place": line_place[order],
        "combo": combo.reshape(-1).astype(np.int32)[order],
        "charged": charged[rows][order],
        "pv": orders.pv[rows][order],
        "first": first[rows][order],
        "combos": combos.astype(np.int64).reshape(-1, 4),
        "people_id": ids,
        "people_place": place,
        "people_size": size,
        **_people_by_place(session, period, ids, place, genealogy),
        **_payouts_by_place(ids, place, payouts),
        **_places_by_place(session, ids, place),
    }
    target = folder(settings, period)
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    for name, values in arrays.items():
        np.save(aside / f"{name}.npy", values, allow_pickle=False)
    for old in target.parent.iterdir():
        if old.name != target.name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    try:
        os.replace(aside, target)
    except OSError:  # written meanwhile
        shutil.rmtree(aside, ignore_errors=True)


def _places_by_place(session: Session, ids: I64, place: I64) -> dict[str, NDArray[np.generic]]:
    """Where each person lived when the period was computed, as they stated it (country and
    optional ISO 3166-2 region): ``places`` (``"RU|RU-MOW"``, ``"RU|"``, ``"|"`` for nobody
    stated), and per place its index there (``place_where``)."""
    rows = session.exec(select(Distributor.id, Distributor.country, Distributor.region)).all()
    found = {
        int(i): f"{country or ''}|{region or ''}" for i, country, region in rows if i is not None
    }
    names = sorted(set(found.values()) | {"|"})
    index = {name: n for n, name in enumerate(names)}
    where = np.full(ids.shape[0], index["|"], dtype=np.int32)
    at = dense_index(ids, np.asarray(list(found), dtype=np.int64))
    codes = np.asarray([index[v] for v in found.values()], dtype=np.int32)
    where[place[at[at >= 0]]] = codes[at >= 0]
    return {"places": np.asarray(names, dtype=np.str_), "place_where": where}


def _payouts_by_place(ids: I64, place: I64, payouts: PayoutLines) -> dict[str, I64]:
    """The lines' gross and amount summed per payee and bonus, in the payees' placement order
    (``pay_place``, ``pay_bonus``, ``pay_gross``, ``pay_amount``); lines paying nobody (or
    someone outside the genealogy) are nobody's team's."""
    at = dense_index(ids, payouts.payee)
    known = at >= 0
    bonuses = int(payouts.bonus.max()) + 1 if payouts.bonus.shape[0] else 1
    key = place[at[known]] * bonuses + payouts.bonus[known]
    keys, inverse = np.unique(key, return_inverse=True)
    sums = []
    for values in (payouts.gross, payouts.amount):
        summed = np.zeros(keys.shape[0], dtype=np.int64)
        np.add.at(summed, inverse, values[known])
        sums.append(summed)
    return {
        "pay_place": keys // bonuses,
        "pay_bonus": keys % bonuses,
        "pay_gross": sums[0],
        "pay_amount": sums[1],
    }


def _people_by_place(
    session: Session, period: Period, ids: I64, place: I64, genealogy: Genealogy
) -> dict[str, NDArray[np.generic]]:
    """Per place: the person's enrollment month (``year * 12 + month - 1``), paid-as rank and
    ``flags`` (`STANDING`, `ACTIVE`, `WAS_ACTIVE`, `RANKED_UP`) from the period's stored
    standings, as the people reports count them."""
    n = int(ids.shape[0])
    cohort = np.zeros(n, dtype=np.int64)
    cohort[place[np.searchsorted(ids, genealogy.id)]] = month_of_days(genealogy.joined_day)
    rank = np.zeros(n, dtype=np.int64)
    flags = np.zeros(n, dtype=np.int64)
    standing = PeriodStanding
    rows = session.exec(
        select(
            standing.distributor_id,
            standing.paid_rank,
            standing.active,
            col(standing.achieved_rank) > col(standing.prior_rank),
        ).where(standing.period_id == period.id)
    ).all()
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    at = dense_index(ids, table[:, 0])
    known = at >= 0
    where = place[at[known]]
    assert period.id is not None
    was = np.isin(table[known, 0], previously_active(session, period.id))
    rank[where] = table[known, 1]
    flags[where] = (
        STANDING
        | np.where(table[known, 2] != 0, ACTIVE, 0)
        | np.where(was, WAS_ACTIVE, 0)
        | np.where(table[known, 3] != 0, RANKED_UP, 0)
    )
    return {
        "place_cohort": cohort.astype(np.int32),
        "place_rank": rank.astype(np.int16),
        "place_flags": flags.astype(np.int8),
    }


def line_facts(session: Session, period: Period, line_id: I64) -> LineFacts:
    """The stored order lines' side of ``line_id`` (lines paid in the period, as the snapshot
    reads them); refused when the package counts a line no longer stored."""
    rows = session.exec(
        select(OrderLine.id, OrderLine.order_id, OrderLine.product_id, Order.warehouse_id)
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(col(Order.paid_at) >= day_start(period.start_day))
        .where(col(Order.paid_at) < day_start(period.end_day + 1))
        .order_by(col(OrderLine.id))
    ).all()
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    at = np.searchsorted(table[:, 0], line_id)
    if at.shape[0] and (int(at.max()) >= table.shape[0] or not (table[at, 0] == line_id).all()):
        raise LookupError(f"period {period.id}: the package counts order lines no longer stored")
    return LineFacts(table[at, 1], table[at, 2], table[at, 3])


def package_inputs(settings: Settings, period: Period) -> tuple[Orders, Genealogy]:
    """The counted order lines and the genealogy the period's package was computed on."""
    columns = read_package_table(package_file(settings, period, ORDERS), file=ORDERS)
    orders = Orders.from_columns(
        **{name: columns[name] for name in Orders.__dataclass_fields__ if name in columns}
    )
    columns = read_package_table(package_file(settings, period, GENEALOGY), file=GENEALOGY)
    genealogy = Genealogy.from_columns(
        **{name: columns[name] for name in ("id", "enroller", "parent", "position", "joined_day")}
    )
    return orders, genealogy


def ensure_team_lines(session: Session, settings: Settings, period: Period) -> Path:
    """The period's folder, written first from its package's counted lines and genealogy and
    the stored order lines when it lacks one."""
    target = folder(settings, period)
    if target.is_dir():
        return target
    orders, genealogy = package_inputs(settings, period)
    facts = line_facts(session, period, orders.order_id)
    lines = read_package_table(package_file(settings, period, LINES_FILE), file=LINES_FILE)
    payouts = PayoutLines(
        *(np.asarray(lines[name], dtype=np.int64) for name in ("payee", "bonus", "gross", "amount"))
    )
    write_team_lines(session, settings, period, orders, facts, genealogy, payouts)
    return target
