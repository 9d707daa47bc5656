"""Small builders for engine tests: a plan from a TOML fragment, a company from tuples.

Money in these tests: ``minor_per_point = 100`` (1 point = 1.00 = 100 cents), so a line's
amount in cents is ``points x percent``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ledger.engine import PeriodResult, run_period
from ledger.inputs import Genealogy, Orders, PeriodInputs, Returns, State
from ledger.plan import BONUS_TYPES, Plan, load_plan

START, END = 20758, 20787  # 2026-11-01 .. 2026-11-30
OLD = 19737  # joined long before the period

HEADER = """
[plan]
name = "test"

[currency]
code = "USD"
decimals = 2
minor_per_point = 100

[activity]
min_pv = 50
"""


def plan(fragment: str, *, header: str = HEADER) -> Plan:
    return load_plan(header + fragment, source="test.toml")


def company(
    rows: Sequence[tuple[int, int, int, int]],
    orders: Iterable[tuple[int, int]] = (),
    *,
    joined: dict[int, int] | None = None,
    no_wallet: Iterable[int] = (),
    order_lines: Iterable[tuple[int, int, int, int, int, int, int]] = (),
    state: Iterable[tuple[int, int, int, int, int, int]] = (),
    returns: Iterable[tuple[int, int]] = (),
    period_id: int = 1,
) -> PeriodInputs:
    """``rows``: (id, enroller, parent, position); ``orders``: (distributor, pv=cv) own orders
    on the first day; ``order_lines``: full (distributor, kind, day, pv, cv, retail, wholesale).
    """
    ids = [r[0] for r in rows]
    joined = joined or {}
    missing = set(no_wallet)
    wallet = np.zeros((len(rows), 20), dtype=np.uint8)
    for i, who in enumerate(ids):
        wallet[i, :] = who % 256
        wallet[i, 0] = 0xAA
    lines = [(d, 0, START, v, v, 0, v * 120) for d, v in orders] + list(order_lines)
    st = list(state)
    rt = list(returns)
    return PeriodInputs(
        period_id=period_id,
        start_day=START,
        end_day=END,
        genealogy=Genealogy.from_columns(
            id=ids,
            enroller=[r[1] for r in rows],
            parent=[r[2] for r in rows],
            position=[r[3] for r in rows],
            joined_day=[joined.get(who, OLD) for who in ids],
            wallet=wallet,
            has_wallet=[who not in missing for who in ids],
        ),
        orders=Orders.from_columns(
            order_id=list(range(1, len(lines) + 1)),
            distributor=[x[0] for x in lines],
            kind=[x[1] for x in lines],
            day=[x[2] for x in lines],
            pv=[x[3] for x in lines],
            cv=[x[4] for x in lines],
            retail_price=[x[5] for x in lines],
            wholesale_price=[x[6] for x in lines],
        ),
        returns=Returns.from_columns(
            return_id=list(range(1, len(rt) + 1)),
            distributor=[r[0] for r in rt],
            amount=[r[1] for r in rt],
        ),
        state=State.from_columns(
            id=[s[0] for s in st],
            carry_left=[s[1] for s in st],
            carry_right=[s[2] for s in st],
            balance=[s[3] for s in st],
            achieved_rank=[s[4] for s in st],
            matrix_done=[s[5] for s in st],
        ),
    )


def run(p: Plan, inputs: PeriodInputs) -> PeriodResult:
    return run_period(plan=p, inputs=inputs)


def lines(result: PeriodResult, bonus: str) -> list[tuple[int, int, int, int, int]]:
    """(source id, level, payee id or 0, gross, amount) of one bonus type, canonical order."""
    code = BONUS_TYPES.index(bonus) + 1
    ids = result.ids
    out = []
    for block in result.lines:
        if block.bonus != code:
            continue
        for s, lv, p, g, a in zip(
            block.source, block.level, block.payee, block.gross, block.amount, strict=True
        ):
            out.append((int(ids[s]), int(lv), int(ids[p]) if p >= 0 else 0, int(g), int(a)))
    return out


def paid(result: PeriodResult, bonus: str) -> dict[int, int]:
    """Amount per payee id of one bonus type (payees with amount > 0)."""
    out: dict[int, int] = {}
    for _, _, payee, _, amount in lines(result, bonus):
        if amount:
            out[payee] = out.get(payee, 0) + amount
    return out


def of(result: PeriodResult, column: str, who: int) -> int:
    i = int(np.searchsorted(result.ids, who))
    return int(getattr(result, column)[i])
