"""Period standings on SQLite and PostgreSQL: filled by every compute from the package's
``results/distributors.tbl``; the open period's preview (no package, no status change) and its
refresh rule; refusals kept with their reason; `figures_of`; the rank report card's numbers with
the leg cap; the downline feed (both of its query paths)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from lineage_api import Api
from sqlalchemy import delete
from sqlmodel import Session, select
from test_api_periods import at, buy, close, company, month_start, post, today
from typer.testing import CliRunner

from backend.cli import _register
from backend.cli import app as cli
from backend.periods import feed as feed_module
from backend.periods.dashboard import dashboard_of, rank_card
from backend.periods.feed import downline_feed
from backend.periods.models import Period, PeriodStanding, StandingKind, StandingRun
from backend.periods.preview import refresh_preview, run_preview
from backend.periods.standings import figures_of
from backend.rates.models import ExchangeRate
from backend.worker.preview import PreviewJob
from ledger.package import TABLE_COLUMNS, read_table

__all__ = ["company"]  # the fixture, re-exported for pytest


def standings(session: Session, period_id: int) -> dict[int, PeriodStanding]:
    rows = session.exec(select(PeriodStanding).where(PeriodStanding.period_id == period_id))
    return {row.distributor_id: row for row in rows}


def preview(api: Api, *, force: bool = True) -> object:
    with api.session() as session:
        return refresh_preview(session, api.settings, now=api.clock(), force=force)


def into_period_two(api: Api) -> None:
    """Period 1 closed (approved), period 2 open, the clock inside it."""
    assert post(api, "/api/periods").status_code == 201
    close(api, 1)
    assert post(api, "/api/periods").status_code == 201
    api.clock.now = at(month_start(2) + timedelta(days=3))


def test_compute_stores_every_row_of_the_packages_distributors_table(company: Api) -> None:
    api = company
    assert post(api, "/api/periods").status_code == 201
    today(api)
    computed = post(api, "/api/periods/1/compute").json()
    table = read_table(
        (Path(computed["package"]) / "results" / "distributors.tbl").read_bytes(),
        file="distributors.tbl",
        columns=TABLE_COLUMNS["results/distributors.tbl"],
    )
    with api.session() as session:
        rows = standings(session, 1)
        run = session.get(StandingRun, 1)
    assert run is not None and run.kind == StandingKind.computed
    assert run.plan_hash == computed["plan_hash"] and run.binary and run.currency == "USDT"
    assert run.distributors == len(rows) == len(table["id"]) == 6
    for i, distributor in enumerate(table["id"].tolist()):
        row = rows[distributor]
        for name in ("pv", "cv", "gv", "left_volume", "right_volume", "paid_rank", "earned"):
            assert getattr(row, name) == int(table[name][i]), (distributor, name)
        assert row.active == bool(table["active"][i])
    # Everyone below Dina joined inside period 1 (the fixture backdates them to its first day).
    assert rows[2].new_in_team == 4 and rows[3].new_in_team == 2 and rows[6].new_in_team == 0
    assert all(row.prior_rank == 0 for row in rows.values())  # the first period carries nothing
    assert rows[2].earned > 0


def test_preview_estimates_the_open_period_and_compute_replaces_it(company: Api) -> None:
    api = company
    into_period_two(api)
    buy(api, 2, quantity=3)
    outcome = preview(api)
    assert outcome.status == "stored" and outcome.period_id == 2  # type: ignore[attr-defined]
    with api.session() as session:
        period = session.get(Period, 2)
        run = session.get(StandingRun, 2)
        rows = standings(session, 2)
        figures = figures_of(session, [2, 3, 999])
    assert period is not None and period.status == "open" and period.computations == 0
    assert period.manifest is None and not (api.settings.data_dir / "periods" / "2").exists()
    assert run is not None and run.kind == StandingKind.preview and run.computed_at == api.clock()
    assert rows[2].pv == 300 and rows[3].pv == 0  # only what was paid in period 2 so far
    assert set(figures) == {2, 3}  # 999 is nobody
    assert figures[2].kind == StandingKind.preview and figures[2].period_id == 2
    assert figures[2].pv == 300 and figures[2].computed_at == api.clock()
    assert rows[2].prior_rank == standings_after(api, 1)[2].achieved_rank > 0

    today(api)
    computed = post(api, "/api/periods/2/compute")
    assert computed.status_code == 200, computed.text
    with api.session() as session:
        run = session.get(StandingRun, 2)
        assert run is not None and run.kind == StandingKind.computed
        assert figures_of(session, [2])[2].kind == StandingKind.computed
        assert standings(session, 2)[2].pv == 300
    # The period is computed, not open: the worker's job finds nothing to preview.
    assert preview(api, force=False).status == "no_open_period"  # type: ignore[attr-defined]


def standings_after(api: Api, period_id: int) -> dict[int, PeriodStanding]:
    with api.session() as session:
        return standings(session, period_id)


def test_the_preview_is_refreshed_only_when_due(company: Api) -> None:
    api = company
    assert preview(api).status == "no_open_period"  # type: ignore[attr-defined]
    into_period_two(api)
    assert preview(api, force=False).status == "stored"  # type: ignore[attr-defined]
    first = api.clock()
    api.clock.advance(minutes=api.settings.preview_minutes - 1)
    assert preview(api, force=False).status == "fresh"  # type: ignore[attr-defined]
    buy(api, 4)
    api.clock.advance(minutes=1)
    assert preview(api, force=False).status == "stored"  # type: ignore[attr-defined]
    with api.session() as session:
        run = session.get(StandingRun, 2)
        assert run is not None and run.computed_at == first + timedelta(
            minutes=api.settings.preview_minutes
        )
        assert standings(session, 2)[4].pv == 200


def test_a_refused_preview_says_why_and_keeps_the_earlier_estimate(company: Api) -> None:
    api = company
    today(api)
    assert post(api, "/api/periods").status_code == 201
    assert post(api, "/api/periods").status_code == 201
    api.clock.now = at(month_start(2) + timedelta(days=3))
    with api.session() as session:
        early = run_preview(session, api.settings, 2, now=api.clock())
        estimate = dashboard_of(session, 2).estimate
    assert early.status == "refused" and early.reason == "previous_not_approved"
    assert estimate.state == "unavailable" and estimate.refused == "previous_not_approved"

    close(api, 1)
    api.clock.now = at(month_start(2) + timedelta(days=3))
    buy(api, 2)  # priced in roubles: the estimate needs RUB/USD
    with api.session() as session:
        rates = [r.model_dump() for r in session.exec(select(ExchangeRate))]
        session.execute(delete(ExchangeRate))
        session.commit()
    refused = preview(api)
    assert refused.status == "refused" and refused.reason == "rate_missing"  # type: ignore[attr-defined]
    with api.session() as session:
        run = session.get(StandingRun, 2)
        assert run is not None and run.computed_at is None and run.refused == "rate_missing"
        estimate = dashboard_of(session, 2).estimate
    assert estimate.state == "unavailable" and estimate.details["pair"] == "RUB/USD"

    with api.session() as session:
        session.add_all(ExchangeRate(**rate) for rate in rates)
        session.commit()
    assert preview(api).status == "stored"  # type: ignore[attr-defined]
    stored_at = api.clock()
    with api.session() as session:
        session.execute(delete(ExchangeRate))
        session.commit()
    api.clock.advance(minutes=30)
    assert preview(api).status == "refused"  # type: ignore[attr-defined]
    with api.session() as session:
        estimate = dashboard_of(session, 2).estimate
        assert len(standings(session, 2)) == 6
    assert estimate.state == "ready" and estimate.computed_at == stored_at
    assert estimate.refused == "rate_missing" and estimate.amount is not None


def test_rank_card_counts_group_volume_with_the_leg_cap(company: Api) -> None:
    """Bronze needs GV 1000 with at most 60 % (600) from one leg. Distributor 3 has PV 200 and
    one leg (5 > 6) of 1200 after 6 buys 8 more: 1400 plain GV, but 800 as Bronze counts it."""
    api = company
    buy(api, 6, quantity=8)
    assert post(api, "/api/periods").status_code == 201
    today(api)
    assert post(api, "/api/periods/1/compute").status_code == 200
    with api.session() as session:
        three = dashboard_of(session, 3)
        dina = dashboard_of(session, 2)
    assert three.current is None and three.last is not None
    card = three.card
    assert card is not None and card.paid is not None and card.paid.name == "Member"
    assert card.next is not None and card.next.name == "Bronze"
    by_rule = {r.what: r for r in card.requirements}
    assert (by_rule["pv"].have, by_rule["pv"].need, by_rule["pv"].met) == (200, 100, True)
    gv = by_rule["gv"]
    assert (gv.have, gv.need, gv.uncapped, gv.leg_cap) == (800, 1000, 1400, 600)
    assert not gv.met and gv.percent == 80
    # Dina holds Bronze (200 + 600 capped + 200 = 1000); Silver caps a leg at 2500.
    card = dina.card
    assert card is not None and card.paid is not None and card.paid.name == "Bronze"
    by_rule = {r.what: r for r in card.requirements}
    assert (by_rule["gv"].have, by_rule["gv"].need, by_rule["gv"].uncapped) == (1800, 5000, 1800)
    # 6 (PV 1000, no leg to cap) is Bronze, so the leg through 3 holds one; the leg of 4 not.
    legs = by_rule["legs"]
    assert (legs.have, legs.need, legs.leg_rank) == (1, 2, "Bronze")
    with api.session() as session:
        assert figures_of(session, [6])[6].paid_rank == 2  # Bronze, the ladder's second rung
    assert rank_card(dina.last) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("small", [True, False], ids=["path-index", "newest-first"])
def test_feed_lists_joins_rank_ups_and_lapses_below_only(
    company: Api, small: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = company
    if not small:
        monkeypatch.setattr(feed_module, "SMALL", 1)  # a downline of 4 counts as large
    assert post(api, "/api/periods").status_code == 201
    today(api)
    assert post(api, "/api/periods/1/compute").status_code == 200
    api.clock.advance(minutes=5)
    lapsed = api.client.post(
        "/api/distributors/5/status",
        json={"status": "inactive", "reason": "stopped buying"},
        headers=api.as_("admin"),
    )
    assert lapsed.status_code == 200, lapsed.text
    with api.session() as session:
        events = downline_feed(session, 2)
        nobody = downline_feed(session, 6)
    assert nobody == []
    assert events[0].kind == "inactive" and events[0].distributor_id == 5
    assert events[0].name == "D 5"
    kinds = {(e.kind, e.distributor_id) for e in events}
    assert {("joined", n) for n in (3, 4, 5, 6)} <= kinds
    assert ("ranked_up", 3) in kinds and all(e.distributor_id not in (1, 2) for e in events)
    ranked = [e for e in events if e.kind == "ranked_up"]
    assert all(e.rank and e.period_id == 1 and not e.estimate for e in ranked)
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    assert len(events) == 9  # 4 joins, 4 rank ups (everyone below bought 200 PV), 1 lapse


def test_the_worker_job_and_the_command_preview_the_open_period(
    company: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = company
    into_period_two(api)
    job = PreviewJob(api.engine, api.settings, clock=api.clock)
    assert job.run_once().status == "stored"
    assert job.run_once().status == "fresh"  # not due again for LINEAGE_PREVIEW_MINUTES
    buy(api, 3)
    monkeypatch.setenv("LINEAGE_DATABASE_URL", api.engine.url.render_as_string(False))
    _register()
    ran = CliRunner().invoke(cli, ["period", "preview", "--data-dir", str(api.settings.data_dir)])
    assert ran.exit_code == 0, ran.output
    assert "period 2: 6 distributors previewed" in ran.output
    with api.session() as session:
        assert standings(session, 2)[3].pv == 200  # the command ran although not due
