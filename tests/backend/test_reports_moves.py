"""The stored moves (`PeriodMove`: each person's change of GV and of earnings from the period
before, which the top movers and the largest payout changes read) against both periods' own
rows, as the compute writes them and as migration 0034 makes them for periods computed before
it; and the top earners over several periods, chosen from each period's largest, against every
payee summed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lineage_api import Api
from sqlalchemy import delete, text
from sqlmodel import Session, col, select
from test_reports import closed, company, report
from test_reports_turnover import _period_1, two_periods

import backend.reports.payouts as payouts
from backend.periods.models import Measure, PeriodMove, PeriodPayee, PeriodStanding

__all__ = ["closed", "company", "two_periods"]  # the fixtures, re-exported for pytest

MIGRATION = Path(__file__).parents[2] / "backend/migrations/versions/0034_period_move.py"


def stored(session: Session) -> set[tuple[int, int, int, int, int, int]]:
    return {
        (m.period_id, m.measure, m.distributor_id, m.previous, m.latest, m.change)
        for m in session.exec(select(PeriodMove))
    }


def recounted(session: Session) -> set[tuple[int, int, int, int, int, int]]:
    """Straight from the standings and payees of every period and the one before it."""
    found = set()
    for measure, model, name in (
        (Measure.gv, PeriodStanding, "gv"),
        (Measure.earned, PeriodPayee, "earned"),
    ):
        values: dict[tuple[int, int], int] = {
            (int(p), int(i)): int(v)
            for p, i, v in session.exec(
                select(model.period_id, model.distributor_id, getattr(model, name))
            )
        }
        for period in {p for p, _ in values}:
            people = {i for p, i in values if p in (period, period - 1)}
            for i in people:
                was, now = values.get((period - 1, i), 0), values.get((period, i), 0)
                if was != now:
                    found.add((period, int(measure), i, was, now, now - was))
    return found


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0034", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_moves_agree_with_both_periods_rows(two_periods: Api) -> None:
    api = two_periods
    with api.session() as session:
        moves = stored(session)
        assert moves == recounted(session)
    # By eye (the small company's GV, see test_reports_turnover): in period 2, 3 rose by 200;
    # 4 and 6 lost all of theirs (200); period 1 is against nothing before it.
    gv = {(p, i): (was, now) for p, m, i, was, now, _ in moves if m == Measure.gv}
    assert gv[(2, 3)] == (600, 800) and gv[(2, 4)] == (200, 0) and gv[(2, 6)] == (200, 0)
    assert gv[(1, 2)] == (0, 1000) and (2, 1) in gv
    assert any(m == Measure.earned and p == 2 for p, m, *_ in moves)
    # The migration makes the same rows for periods computed before it.
    module = migration()
    with api.session() as session:
        session.execute(delete(PeriodMove))
        for period in (1, 2):
            for measure, (table, column) in module.MEASURES.items():
                session.execute(
                    text(module.BACKFILL.format(table=table, column=column)),
                    {"period": period, "measure": measure},
                )
        session.commit()
        assert stored(session) == moves


def everyone_summed(session: Session, limit: int) -> list[tuple[int, int]]:
    totals: dict[int, int] = {}
    for i, earned in session.exec(select(PeriodPayee.distributor_id, PeriodPayee.earned)):
        totals[int(i)] = totals.get(int(i), 0) + int(earned)
    return sorted(((i, t) for i, t in totals.items() if t > 0), key=lambda r: (-r[1], r[0]))[:limit]


def add_payees(session: Session, earned: dict[tuple[int, int], int]) -> None:
    for (period, who), amount in earned.items():
        session.add(
            PeriodPayee(
                period_id=period,
                distributor_id=who,
                earned=amount,
                clawback=0,
                balance_in=0,
                payout=amount,
                balance_out=0,
            )
        )
    session.commit()


def test_top_earners_over_several_periods_find_who_no_single_period_shows(
    two_periods: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of 1001..1100 earned 1,000 USDT in period 1 alone, each of 2001..2100 in period 2
    alone (the small company's own payees earn far less); 3000 earned 999.999999 in both, so
    is the largest over both and in neither period's hundred largest (what the first look reads
    for twenty): the answer must still find them."""
    api = two_periods
    earned = {(1, 1000 + k): 1_000_000_000 for k in range(1, 101)}
    earned |= {(2, 2000 + k): 1_000_000_000 for k in range(1, 101)}
    earned |= {(1, 3000): 999_999_999, (2, 3000): 999_999_999}
    with api.session() as session:
        add_payees(session, earned)
        expected = everyone_summed(session, payouts.TOP)
    assert expected[0] == (3000, 1_999_999_998) and expected[1] == (1001, 1_000_000_000)

    def shown() -> list[tuple[int, int]]:
        found: dict[str, Any] = report(api, "payouts-top")
        assert found["periods"] == [1, 2]
        return [(r["id"], r["earned"]) for r in found["rows"]]

    assert shown() == expected
    # With room for no more candidates than the first look, every payee is summed: the same.
    monkeypatch.setattr(payouts, "CANDIDATES", 1)
    assert shown() == expected
    monkeypatch.undo()
    # One period's own largest come from its index alone.
    one = report(api, "payouts-top", **_period_1(api))
    with api.session() as session:
        firsts = session.exec(
            select(PeriodPayee.distributor_id, PeriodPayee.earned)
            .where(PeriodPayee.period_id == 1, col(PeriodPayee.earned) > 0)
            .order_by(col(PeriodPayee.earned).desc(), col(PeriodPayee.distributor_id))
            .limit(payouts.TOP)
        ).all()
    assert [(r["id"], r["earned"]) for r in one["rows"]] == [(int(i), int(e)) for i, e in firsts]
