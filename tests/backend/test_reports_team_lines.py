"""A period's counted sales lines kept in placement order (`backend.periods.team_lines`), which
a leader's sales reports read: every person's team summed from their run of lines against the
order lines of the people placed below them, counted straight from the database; made again
from the package when the files are gone; replaced by a recompute."""

from __future__ import annotations

import shutil

from lineage_api import Api
from sqlmodel import select
from test_api_periods import company, post
from test_reports_summary import computed, recomputed

from backend.genealogy.models import Distributor
from backend.genealogy.tree_path import is_within
from backend.periods.models import Period, PeriodLine
from backend.periods.team_lines import FOLDER, folder
from backend.periods.team_reads import team_lines, team_payouts, team_places
from ledger.money import numeric_code

__all__ = ["company", "computed"]  # the fixtures, re-exported for pytest

Sums = dict[tuple[int, ...], tuple[int, int, int, int]]


def every_team(api: Api) -> dict[int, Sums]:
    """Each person's team: (lines, orders, charged, pv) per product, warehouse, currency and
    retail flag, from the files."""
    found = {}
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None
        for person in session.exec(select(Distributor)).all():
            assert person.id is not None
            team = team_lines(session, api.settings, period, person.id)
            found[person.id] = {
                tuple(combo): (lines, orders, charged, pv)
                for combo, lines, orders, charged, pv in zip(
                    team.combos.tolist(),
                    team.lines.tolist(),
                    team.orders.tolist(),
                    team.charged.tolist(),
                    team.pv.tolist(),
                    strict=True,
                )
                if lines
            }
    return found


def every_payout(api: Api) -> dict[int, dict[int, tuple[int, int]]]:
    """Each person's team: (gross, amount) per bonus of the lines paying them, from the files."""
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None
        return {
            int(p.id): team_payouts(session, api.settings, period, int(p.id))
            for p in session.exec(select(Distributor)).all()
            if p.id is not None
        }


def payouts_counted(api: Api) -> dict[int, dict[int, tuple[int, int]]]:
    """The same from the period's stored lines of the people placed below each person."""
    found: dict[int, dict[int, tuple[int, int]]] = {}
    with api.session() as session:
        people = session.exec(select(Distributor)).all()
        lines = session.exec(select(PeriodLine).where(PeriodLine.period_id == 1)).all()
        for person in people:
            assert person.id is not None and person.tree_path is not None
            members = {d.id for d in people if is_within(d.tree_path or b"", person.tree_path)}
            sums: dict[int, tuple[int, int]] = {}
            for line in lines:
                if line.payee in members:
                    gross, amount = sums.get(line.bonus, (0, 0))
                    sums[line.bonus] = (gross + line.gross, amount + line.amount)
            found[person.id] = sums
    return found


def counted(api: Api) -> dict[int, Sums]:
    """The same straight from the order lines of each person's placement subtree."""
    found = {}
    with api.session() as session:
        people = session.exec(select(Distributor)).all()
        for person in people:
            assert person.id is not None and person.tree_path is not None
            members = {
                d.id
                for d in people
                if d.id is not None
                and d.tree_path is not None
                and is_within(d.tree_path, person.tree_path)
            }
            found[person.id] = {
                (product, warehouse, currency, int(retail)): (lines, orders, charged, pv)
                for (product, warehouse, currency, retail), (
                    lines,
                    orders,
                    _,
                    charged,
                    pv,
                ) in recomputed(session, members).items()
            }
    return found


def test_each_team_s_lines_agree_with_its_people_s_order_lines(computed: Api) -> None:
    api = computed
    teams = every_team(api)
    assert teams == counted(api)
    paid = every_payout(api)
    assert paid == payouts_counted(api)
    # Where they lived (nobody stated it here): each team's sales per currency, all in "not
    # stated"; the company's (None) are the root's.
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None
        for person, team in teams.items():
            per_currency: dict[int, int] = {}
            for (_, _, currency, _), (_, _, charged, _) in team.items():
                per_currency[currency] = per_currency.get(currency, 0) + charged
            placed = team_places(session, api.settings, period, person)
            assert {c: v for (_, c, v) in placed} == per_currency
            assert {where for where, _, _ in placed} <= {("", "")}
        everyone = team_places(session, api.settings, period, None)
        assert everyone == team_places(session, api.settings, period, 1)
    assert paid[1] and sum(a for _, a in paid[1].values()) > sum(a for _, a in paid[3].values())
    rub, kzt = numeric_code("RUB"), numeric_code("KZT")
    tea, moscow = 1, 1
    # By eye (root 1 > 2 > 3, 4 and 3 > 5 > 6): the root's team and 2's are everyone, as the
    # period's summary; 6 bought 2 Tea in Moscow (16.00 roubles, 200 PV) and nothing else (the
    # cancelled order is no sale); 5 adds their own 2 Tea and 5 Tea paid in tenge.
    with api.session() as session:
        assert (
            teams[1]
            == teams[2]
            == {
                (k[0], k[1], k[2], int(k[3])): (v[0], v[1], v[3], v[4])
                for k, v in recomputed(session).items()
            }
        )
    assert sum(v[1] for v in teams[1].values()) == 9  # orders, each once
    assert teams[6] == {(tea, moscow, rub, 0): (1, 1, 1600, 200)}
    assert teams[5] == {
        (tea, moscow, rub, 0): (2, 2, 3200, 400),
        (tea, moscow, kzt, 0): (1, 1, 2500, 500),
    }


def test_the_files_are_made_again_from_the_package_and_replaced_by_a_recompute(
    computed: Api,
) -> None:
    api = computed
    before, paid = every_team(api), every_payout(api)
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None
        made = folder(api.settings, period)
    assert made.is_dir()
    shutil.rmtree(made)
    assert every_team(api) == before  # made from the package and the stored lines
    assert every_payout(api) == paid
    assert made.is_dir()
    assert post(api, "/api/periods/1/compute").status_code == 200
    with api.session() as session:
        period = session.get(Period, 1)
        assert period is not None
        again = folder(api.settings, period)
    assert again != made and again.is_dir() and not made.exists()
    assert [p.name for p in (api.settings.data_dir / FOLDER / "1").iterdir()] == [again.name]
    assert every_team(api) == before
