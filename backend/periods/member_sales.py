"""The period's counted sales summed per buyer and currency (`PeriodMemberSales`), written by
the compute beside the period's other summaries, so a team's, a member's, a leg's and a
region's sales read a buyer's few rows, not every line of the package. Counted from the
inputs the engine ran on (``inputs/orders.tbl``): own and retail lines as `PeriodSalesSummary`
counts them, each charged at its retail price when a customer bought it, else at its wholesale
price; fee lines apart (``fees``, at their price), for the compliance flags. Beside them, each
person's placement subtree as the period's genealogy placed it (`PeriodTeam`: its PV and active
people from the engine's results; ``team_charged``: its sales), so a leg or a team is one row."""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.periods.models import Period, PeriodMemberSales, PeriodTeam
from backend.periods.review import package_file
from backend.periods.team_lines import ensure_team_lines, package_inputs
from backend.periods.team_lines import folder as team_lines_folder
from ledger.engine import PeriodResult
from ledger.inputs import KIND_FEE, KIND_OWN, KIND_RETAIL, Genealogy, Orders, PeriodInputs
from ledger.package import read_package_table
from ledger.standing import dense_index, team_sums

INSERT_CHUNK = 20_000
RESULTS = "results/distributors.tbl"
I64 = NDArray[np.int64]


def member_rows(period_id: int, orders: Orders, genealogy: Genealogy) -> list[dict[str, Any]]:
    """One row per (person, currency) with product sales, fees or team sales in it, by person
    then currency. ``team_charged``: the sales of their placement subtree (themselves
    included) in the period's genealogy, so a leg's or a team's sales are its top's row."""
    kind = orders.kind
    retail, fee = kind == KIND_RETAIL, kind == KIND_FEE
    product = (kind == KIND_OWN) | retail
    # A retail line at its retail price, an own line (and a fee) at its wholesale price.
    price = np.where(retail, orders.retail_price, orders.wholesale_price).astype(np.int64)
    codes = np.unique(orders.currency[product | fee]).tolist()
    zero = np.zeros(kind.shape[0], dtype=np.int64)
    charged = {code: np.where(product & (orders.currency == code), price, zero) for code in codes}
    # Every currency's subtree sums in one walk of the placement tree.
    ids, teams = team_sums(genealogy, orders.distributor, [charged[code] for code in codes])
    at = dense_index(ids, orders.distributor)
    known = at >= 0
    rows: list[tuple[int, int, list[int]]] = []
    for code, team in zip(codes, teams, strict=True):
        mine = orders.currency == code
        sold, paid = mine & product, mine & fee
        columns = [
            sold.astype(np.int64),  # lines
            charged[code],
            np.where(sold & retail, price, zero),  # retail
            np.where(sold, orders.pv, zero),  # pv
            np.where(paid, price, zero),  # fees
        ]
        sums = []
        for column in columns:  # each person's own lines, not their subtree's
            own = np.zeros(ids.shape[0], dtype=np.int64)
            np.add.at(own, at[known], column[known])
            sums.append(own)
        sums.append(team)
        held = np.zeros(ids.shape[0], dtype=np.bool_)
        for summed in sums:
            held |= summed != 0
        ids_list = ids[held].tolist()
        values = [summed[held].tolist() for summed in sums]
        rows.extend((who, int(code), [v[n] for v in values]) for n, who in enumerate(ids_list))
    rows.sort(key=lambda r: (r[0], r[1]))
    names = ("lines", "charged", "retail", "pv", "fees", "team_charged")
    return [
        {"period_id": period_id, "distributor_id": who, "currency": code}
        | dict(zip(names, values, strict=True))
        for who, code, values in rows
    ]


def team_rows(
    period_id: int, genealogy: Genealogy, ids: I64, pv: I64, active: NDArray[Any]
) -> list[dict[str, Any]]:
    """One row per person whose placement subtree had PV or active people, and one per root
    of the placement tree whatever it had: a computed period with anyone in it always has rows,
    which is how the readers know its summaries were made."""
    people, (team_pv, team_active) = team_sums(genealogy, ids, [pv, active.astype(np.int64)])
    parent = genealogy.parent[np.argsort(genealogy.id)]
    root = ~np.isin(parent, people)
    held = (team_pv != 0) | (team_active != 0) | root
    return [
        {"period_id": period_id, "distributor_id": who, "pv": summed, "active": count}
        for who, summed, count in zip(
            people[held].tolist(), team_pv[held].tolist(), team_active[held].tolist(), strict=True
        )
    ]


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(model), rows[start : start + INSERT_CHUNK])


def store_member_sales(
    session: Session, period_id: int, inputs: PeriodInputs, result: PeriodResult
) -> None:
    """Insert the period's rows (the caller deleted the old ones and commits)."""
    _insert(session, PeriodMemberSales, member_rows(period_id, inputs.orders, inputs.genealogy))
    rows = team_rows(period_id, inputs.genealogy, result.ids, result.pv, result.active)
    _insert(session, PeriodTeam, rows)


def has_member_sales(session: Session, period_id: int) -> bool:
    """Whether the period's summaries were made (its tree's roots always have a row)."""
    found = session.exec(
        select(PeriodTeam.period_id).where(PeriodTeam.period_id == period_id).limit(1)
    ).first()
    return found is not None


def _table(settings: Settings, period: Period, name: str) -> dict[str, Any]:
    found: dict[str, Any] = read_package_table(package_file(settings, period, name), file=name)
    return found


def ensure_member_sales(session: Session, settings: Settings, period: Period) -> None:
    """A period computed before the summary existed gets it from its package's counted lines
    (the same inputs the compute counts), once, in its own write unit; a concurrent reader's
    or compute's rows written first are kept."""
    if period.id is None or period.manifest is None or has_member_sales(session, period.id):
        return
    orders, genealogy = package_inputs(settings, period)
    people = _table(settings, period, RESULTS)
    ids, pv = np.asarray(people["id"], np.int64), np.asarray(people["pv"], np.int64)
    active = np.asarray(people["active"], np.int64)
    with Session(session.get_bind()) as writer:
        try:
            _insert(writer, PeriodMemberSales, member_rows(period.id, orders, genealogy))
            _insert(writer, PeriodTeam, team_rows(period.id, genealogy, ids, pv, active))
            writer.commit()
        except IntegrityError:  # written meanwhile: those rows count the same lines
            writer.rollback()


def make_missing(session: Session, settings: Settings) -> list[int]:
    """Make the report summaries (these and `backend.periods.team_lines`' files) of every
    computed period that lacks them (computed before they existed: at 1,000,000 distributors
    a few minutes each), oldest first, so no report request has to: the worker runs this when
    it starts, ``lineage period summaries`` on demand. The periods made."""
    team = PeriodTeam.__table__.c  # type: ignore[attr-defined]
    lacking = set(
        session.exec(
            select(Period.id)
            .where(col(Period.manifest).is_not(None))
            .where(~sa.exists().where(team.period_id == Period.id))
        ).all()
    )
    made = []
    computed = select(Period).where(col(Period.manifest).is_not(None)).order_by(col(Period.id))
    for period in session.exec(computed).all():
        assert period.id is not None
        if period.id in lacking:
            ensure_member_sales(session, settings, period)
        elif team_lines_folder(settings, period).is_dir():
            continue
        ensure_team_lines(session, settings, period)
        made.append(period.id)
    return made
