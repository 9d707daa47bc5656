"""The demo company on a real Ganache: a small one (60 distributors, two months) is created,
every period is closed end to end and the month it runs in is left open with a preview; what
was paid on chain is what the periods say, the packages pass `lineage audit`, and the demo
refuses a data folder that already has a company."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select
from test_chain_outbox import Chain, chain, chain_template
from typer.testing import CliRunner

from backend.accounts.models import User
from backend.cards.service import public_card
from backend.chain.payouts import PayoutChain
from backend.cli import _register
from backend.cli import app as cli
from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.model_base import ChainStatus, DistributorStatus, Role
from backend.core.security import verify_password
from backend.dev.demo.company import LEADER, LEADER_CARD, NEWCOMER, DemoLogin
from backend.dev.demo.runner import DemoError, DemoOptions, run_demo
from backend.genealogy.models import Distributor, Placement
from backend.orders.models import Order
from backend.periods.models import (
    Period,
    PeriodPayee,
    PeriodStanding,
    PeriodStatus,
    StandingKind,
    StandingRun,
)
from ledger.money import Rate, alpha_code, conversion
from ledger.package import TABLE_COLUMNS, read_table
from ledger.plan import load_plan

pytestmark = pytest.mark.chain
__all__ = ["chain", "chain_template"]  # fixtures, re-exported for pytest
runner = CliRunner()
_register()


def test_small_demo_is_closed_paid_and_audited(settings: Settings, chain: Chain) -> None:
    record = json.loads((chain.node.data_dir / "deployment.json").read_text())
    record["rpcUrl"] = chain.node.rpc_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    deployment = settings.data_dir / "deployment.json"
    deployment.write_text(json.dumps(record))
    options = DemoOptions(distributors=60, periods=2, seed=7, quiet=True)

    started = time.monotonic()
    result = run_demo(settings, chain.gateway(), options, today=date(2026, 5, 20))
    first_of_last_month = date(2026, 4, 1)
    assert time.monotonic() - started < 120

    assert result.distributors == 60 and result.orders > 0
    assert [p.id for p in result.periods] == [1, 2]
    reader = PayoutChain(chain.gateway())
    for period in result.periods:
        assert period.status == PeriodStatus.paid
        assert reader.paid_total_of(period.id) == period.payout_total
        if period.leaf_count:
            assert all(reader.paid_flags(period.id, list(range(period.leaf_count))))
    assert sum(int(p.payout_total or 0) for p in result.periods) > 0

    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        statuses = set(session.exec(select(Placement.chain_status)))
        orders = session.exec(select(func.count()).select_from(Order)).one()
        people = session.exec(select(func.count()).select_from(Distributor)).one()
        active = session.exec(
            select(func.count()).where(Distributor.status == DistributorStatus.active)
        ).one()
        offices = check_distributor_logins(session, result.logins, first_of_last_month)
        # A login for each staff office, its printed password working.
        staff = {login.email: login for login in result.logins if "distributor" not in login.role}
        for user in session.exec(select(User).where(col(User.email).in_(list(staff)))):
            assert verify_password(staff[user.email].password, user.hashed_password)
            staff.pop(user.email)
        assert not staff
        demo_staff = select(User.role).where(col(User.email).endswith("@demo.lineage.local"))
        assert {Role.finance, Role.auditor, Role.warehouse} <= set(session.exec(demo_staff))
        # The leader's card is published, with a text of their own the claim check passed.
        assert result.card_alias == LEADER_CARD
        card = public_card(session, LEADER_CARD)
        leader = session.exec(select(User).where(User.email == LEADER.email)).one()
        assert card.card.distributor_id == leader.distributor_id
        assert card.card.published_text and len(card.blocks) == 3
        # It ends in the month it runs in: that period open, its orders so far previewed.
        current, run = session.get(Period, 3), session.get(StandingRun, 3)
        previewed = session.exec(select(func.count()).where(PeriodStanding.period_id == 3)).one()
    engine.dispose()
    assert current is not None and current.status == PeriodStatus.open
    assert run is not None and run.kind == StandingKind.preview and run.computed_at is not None
    assert result.preview is not None and result.preview.period_id == 3
    assert previewed == run.distributors == 61
    assert statuses == {ChainStatus.confirmed}
    assert offices == 2
    assert orders == result.orders and people == 61 and active < people  # some lapsed

    for period in result.periods:
        package = result.package(period.id)
        audit = runner.invoke(cli, ["audit", str(package), "--deployment", str(deployment)])
        assert audit.exit_code == 0, audit.output

    currencies: set[int] = set()
    for period in result.periods:
        currencies |= check_money(result.package(period.id))
    assert currencies == {643, 398}  # roubles and the partners' tenge

    with pytest.raises(DemoError, match="already holds a company"):
        run_demo(settings, chain.gateway(), options)


def check_distributor_logins(session: Session, logins: list[DemoLogin], joined: date) -> int:
    """After the staff logins: a leader with paid statements and a partner who joined in the
    last month, each a distributor account whose printed password works."""
    roles = [login.role for login in logins]
    assert roles.index(LEADER.role) > max(i for i, r in enumerate(roles) if "distributor" not in r)
    assert [login for login in logins if "distributor" in login.role] == [LEADER, NEWCOMER]
    found = {}
    for login in (LEADER, NEWCOMER):
        user = session.exec(select(User).where(User.email == login.email)).one()
        assert user.role == Role.distributor and user.distributor_id is not None
        assert verify_password(login.password, user.hashed_password)
        found[login] = session.get(Distributor, user.distributor_id)
    leader_paid = session.exec(
        select(func.sum(PeriodPayee.payout)).where(
            PeriodPayee.distributor_id == found[LEADER].id  # type: ignore[union-attr]
        )
    ).one()
    assert leader_paid and leader_paid > 0
    newcomer = found[NEWCOMER]
    assert newcomer is not None and newcomer.enrolled_at.date() >= joined
    return len(found)


def check_money(package: Path) -> set[int]:
    """Recompute a period's payout % of sales from the package's own tables, independently of
    the engine: order lines charged in their currency, summed per currency and converted once at
    the package's rates; payout = the sum of its line amounts. Retail lines are their base
    converted once (half-even). The period is inside the plan's caps."""
    plan = load_plan((package / "plan.toml").read_bytes())
    rates = [
        Rate(r["base"], r["quote"], date.fromisoformat(r["date"]), Decimal(r["rate"]), r["source"])
        for r in json.loads((package / "inputs" / "rates.json").read_text())
    ]
    c = plan.currency

    def factor(numeric: int) -> Fraction:
        code = alpha_code(numeric)
        return conversion(rates, code, c.code, peg=c.peg).minor_factor(2, c.decimals)

    orders = read_table(
        (package / "inputs" / "orders.tbl").read_bytes(),
        file="orders.tbl",
        columns=TABLE_COLUMNS["inputs/orders.tbl"],
    )
    per_currency: dict[int, int] = {}
    for kind, retail, wholesale, currency in zip(
        orders["kind"].tolist(),
        orders["retail_price"].tolist(),
        orders["wholesale_price"].tolist(),
        orders["currency"].tolist(),
        strict=True,
    ):
        if kind in (0, 1):
            per_currency[currency] = per_currency.get(currency, 0) + (
                retail if kind == 1 else wholesale
            )
    sales = sum(round(amount * factor(code)) for code, amount in per_currency.items())
    lines = read_table(
        (package / "results" / "lines.tbl").read_bytes(),
        file="lines.tbl",
        columns=TABLE_COLUMNS["results/lines.tbl"],
    )
    payout = int(lines["amount"].sum())
    report = json.loads((package / "results" / "compliance.json").read_text())
    share = report["payout_pct_of_sales"]
    assert (share["sales"], share["payout"]) == (sales, payout)
    scaled = payout * 1_000_000 // sales
    assert share["overall"] == f"{scaled // 10_000}.{scaled % 10_000:04d}"
    assert share["within_cap"] and 0 < scaled <= 500_000  # the plan's ceiling: 50 %
    cap = report["payout_pct_of_cv_cap"]
    assert cap["capped_amount"] <= cap["cap_amount"]
    retail = lines["bonus"] == 1
    for base, currency, gross in zip(
        lines["base"][retail].tolist(),
        lines["currency"][retail].tolist(),
        lines["gross"][retail].tolist(),
        strict=True,
    ):
        assert gross == round(base * factor(currency))
    return set(per_currency)
