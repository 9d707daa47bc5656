"""People KPIs on a small company counted by eye, over three monthly periods, on SQLite and
PostgreSQL. The periods tests' company: root 1 > Dina 2 > 3, 4 and 3 > 5 > 6, all joined in
month 1; everyone but the root buys 200 PV there (active from 100 PV). Month 2: 7 joins under
3 and 3 adds a retail customer; 2, 3, 5 and 7 buy. Month 3: 2 and 7 buy, 5 is terminated.

    active:   month 1: 2 3 4 5 6     month 2: 2 3 5 7     month 3: 2 7
    churned:  month 2: 4 6 (of 5)    month 3: 3 5 (of 4)
    cohorts:  month 1 (6 people): 5, 3, 1 active;  month 2 (just 7): 1, 1

3 leads {3, 5, 6, 7} and sees nobody else."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from lineage_api import Api, add_user, token_for
from openpyxl import load_workbook
from sqlmodel import col, select
from test_api_periods import at, buy, close, company, month_start, post

from backend.core.model_base import Role
from backend.genealogy.models import Distributor
from backend.orders.models import RetailCustomer
from backend.periods.models import PeriodPeopleSummary
from backend.reports import export, framework, registry
from backend.reports.people_counts import PeopleCounts, people_counts, recount
from backend.web.reports import TITLES

__all__ = ["company"]  # the fixture, re-exported for pytest
PEOPLE = ("people-new", "people-active", "people-retention", "people-churn", "people-ranks")


def two_more_months(api: Api) -> None:
    """Months 2 and 3 of the module's company, after month 1 is closed (the browser tests'
    company too)."""
    api.clock.now = at(month_start(2) + timedelta(days=3))
    assert post(api, "/api/periods").status_code == 201
    body = {"first_name": "D", "last_name": "7", "sponsor_id": 3, "wallet": "0x" + "07" * 20}
    joined = api.client.post("/api/distributors", json=body, headers=api.as_("admin"))
    assert joined.status_code == 201, joined.text
    assert joined.json()["id"] == 7
    with api.session() as session:
        customer = RetailCustomer(first_name="R", last_name="C", distributor_id=3)
        customer.created_at = api.clock.now
        session.add(customer)
        session.commit()
    for buyer in (2, 3, 5, 7):
        buy(api, buyer)
    close(api, 2)
    api.clock.now = at(month_start(1) + timedelta(days=3))
    assert post(api, "/api/periods").status_code == 201
    for buyer in (2, 7):
        buy(api, buyer)
    ended = api.client.post(
        "/api/distributors/5/status",
        json={"status": "terminated", "reason": "breach of the code of conduct"},
        headers=api.as_("admin"),
    )
    assert ended.status_code == 200, ended.text
    assert post(api, "/api/periods/3/compute").status_code == 200  # recomputed by close
    close(api, 3)


@pytest.fixture
def months(company: Api) -> Api:
    api = company
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    two_more_months(api)
    leader = add_user(api.engine, "d3@example.com", Role.distributor, 3)
    api.headers["d3"] = token_for(leader, api.clock)
    return api


def report(api: Api, name: str, who: str = "auditor") -> dict[str, Any]:
    found = api.client.get(f"/api/reports/{name}", headers=api.as_(who))
    assert found.status_code == 200, found.text
    return dict(found.json())


def rows(found: dict[str, Any], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row[k] for k in keys) for row in found["rows"]]


def test_new_people_per_period(months: Api) -> None:
    found = report(months, "people-new")
    assert rows(found, "distributors", "customers") == [(6, 0), (1, 1), (0, 0)]


def test_growth_per_period_for_the_company_and_a_leader(months: Api) -> None:
    """7 joins below 3 in month 2; 3's team is 3, 5 and 6 before that (counted by eye)."""
    found = report(months, "structure-growth")
    assert rows(found, "joined", "total") == [(6, 6), (1, 7), (0, 7)]
    team = report(months, "structure-growth", "d3")
    assert rows(team, "joined", "total") == [(3, 3), (1, 4), (0, 4)]


def test_active_rate_shows_the_plans_definition(months: Api) -> None:
    found = report(months, "people-active")
    assert rows(found, "min_pv", "people", "active", "active_rate") == [
        (100, 6, 5, "83.3333"),
        (100, 7, 4, "57.1428"),
        (100, 7, 2, "28.5714"),
    ]
    assert any("Active" in note for note in found["notes"])


def test_retention_by_cohort(months: Api) -> None:
    found = report(months, "people-retention")
    first, second = month_start(3), month_start(2)
    assert [c["key"] for c in found["columns"]] == ["cohort", "size", "m0", "m1", "m2"]
    assert rows(found, "cohort", "size", "m0", "m1", "m2") == [
        (f"{first:%Y-%m}", 6, "83.3333", "50.0000", "16.6666"),
        (f"{second:%Y-%m}", 1, "100.0000", "100.0000", None),
    ]
    assert found["chart"]["type"] == "heatmap"


def test_churn_and_terminations(months: Api) -> None:
    found = report(months, "people-churn")
    assert rows(found, "was_active", "churned", "churn_rate", "terminated") == [
        (0, 0, "0.0000", 0),
        (5, 2, "40.0000", 0),
        (4, 2, "50.0000", 1),
    ]


def test_rank_advancement(months: Api) -> None:
    found = report(months, "people-ranks")
    names = {c["key"]: c["title"] for c in found["columns"]}
    assert (names["paid_1"], names["paid_2"]) == ("Member", "Bronze")  # the plan's ladder
    # Month 1: all five buyers reach their first rank; 2 (200 PV + 3's 600 + 4's 200 = 1000 GV)
    # is paid as Bronze, the others as Member, the root as none. Month 2: 2's GV is 800, paid as
    # Member but keeps Bronze as highest; only 7 reaches a first rank. Month 3: only 2 and 7
    # are paid a rank; nobody rises.
    assert rows(found, "ranked_up", "paid_0", "paid_1", "paid_2", "paid_3") == [
        (5, 1, 4, 1, 0),
        (1, 3, 4, 0, 0),
        (0, 5, 2, 0, 0),
    ]


def test_a_leader_sees_their_team_only(months: Api) -> None:
    api = months
    new = report(api, "people-new", "d3")
    assert new["scope"] == "team:3"
    assert rows(new, "distributors", "customers") == [(3, 0), (1, 1), (0, 0)]
    active = report(api, "people-active", "d3")
    assert rows(active, "people", "active") == [(3, 3), (4, 3), (4, 1)]
    churn = report(api, "people-churn", "d3")
    assert rows(churn, "was_active", "churned", "terminated") == [(0, 0, 0), (3, 1, 0), (3, 2, 1)]
    cohorts = report(api, "people-retention", "d3")
    assert rows(cohorts, "size", "m0", "m1", "m2") == [
        (3, "100.0000", "66.6666", "0.0000"),
        (1, "100.0000", "100.0000", None),
    ]
    ranks = report(api, "people-ranks", "d3")
    assert rows(ranks, "ranked_up", "paid_0", "paid_1") == [(3, 0, 3), (1, 1, 3), (0, 3, 1)]


def test_the_summary_agrees_with_a_recount_of_the_standings(months: Api) -> None:
    api = months
    with api.session() as session:
        window = framework.window(session)
        periods = window.computed
        assert [p.id for p in periods] == [1, 2, 3]
        assert session.exec(select(PeriodPeopleSummary)).all()
        summed = people_counts(session, api.settings, framework.Scope(), periods)
        counted = PeopleCounts(summed.first_cohort)
        recount(session, framework.Scope(), periods, counted)
        assert summed.cells == counted.cells
        # Month 2's rows by eye: cohort 1 (the root paid as none, 2 3 5 and the inactive 4 6),
        # cohort 2 (7).
        first = summed.first_cohort
        assert sum(v[0] for (p, c, _), v in summed.cells.items() if p == 2 and c == first) == 6
        assert summed.cohort(2, first + 1, "active") == 1
        # Stored rows keep their own cohort whatever the window (month 1's, from the summary).
        stored = session.exec(
            select(PeriodPeopleSummary).where(col(PeriodPeopleSummary.period_id) == 3)
        ).all()
        assert {r.cohort for r in stored} == {first, first + 1}
        assert sum(r.churned for r in stored) == 2 and sum(r.was_active for r in stored) == 4


def test_every_team_s_counts_agree_with_a_recount_of_its_standings(months: Api) -> None:
    """A leader's counts come from their run of each period's people kept in placement order
    (`backend.periods.team_lines`); the recount asks the standings of the people placed
    below them."""
    api = months
    with api.session() as session:
        periods = framework.window(session).computed
        people = session.exec(select(Distributor)).all()
        sizes = []
        for person in people:
            team = framework.Scope(person)
            found = people_counts(session, api.settings, team, periods)
            counted = PeopleCounts(found.first_cohort)
            recount(session, team, periods, counted)
            assert found.cells == counted.cells, person.id
            sizes.append(sum(v[0] for (p, _, _), v in found.cells.items() if p == 2))
        # The root's team is the company; the people below them fewer, down to one.
        whole = people_counts(session, api.settings, framework.Scope(), periods)
        root = next(p for p in people if p.id == 1)
        assert people_counts(session, api.settings, framework.Scope(root), periods).cells == (
            whole.cells
        )
        assert max(sizes) == 7 and min(sizes) == 1


def test_exports_hold_the_report_numbers(months: Api) -> None:
    api = months
    with api.session() as session:
        asked = framework.Asked(session, api.settings, framework.Scope(), framework.window(session))
        for name in PEOPLE:
            data = report(api, name)
            built = registry.build(name, asked)
            sheet = load_workbook(io.BytesIO(export.xlsx_bytes(built, str)), read_only=True).active
            assert sheet is not None
            cells = list(sheet.iter_rows(values_only=True))
            assert len(cells) == len(data["rows"]) + 1
            width = len(data["columns"])
            for got, row in zip(cells[1:], data["rows"], strict=True):
                got = (*got, *([None] * (width - len(got))))  # empty trailing cells are left out
                for value, (key, kind) in zip(
                    got, ((c["key"], c["kind"]) for c in data["columns"]), strict=True
                ):
                    expected = row[key]
                    if expected is None:
                        assert value is None
                    elif kind == "pct":
                        assert Decimal(str(value)) == Decimal(expected)
                    else:
                        assert value == expected
            text = export.csv_text(built, str)
            assert text.count("\n") == len(data["rows"]) + 1


def test_the_pages_titles_are_the_reports_own(months: Api) -> None:
    for name in PEOPLE:
        assert report(months, name)["name"] == name
        with months.session() as session:
            asked = framework.Asked(
                session, months.settings, framework.Scope(), framework.window(session)
            )
            assert registry.build(name, asked).title == TITLES[name]
    assert registry.entry("people-retention").area == "people" and "people" in registry.AREAS
