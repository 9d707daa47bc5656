"""`run_demo`: a realistic company on an empty data folder, every period closed and paid.

The clock is simulated from the first day of the oldest month: each month's enrollment wave
and orders are written with that month's dates, the chain writer confirms the placements, and
the month's period is closed on the 2nd of the next month (compute, approve, anchor, fund,
pay, all confirmed on chain) before the next month begins. The month the demo runs in ends it
open, with its orders so far and a preview, so the dashboards show estimates at once.
Seeded: the same options give the same company.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.bankfiles.matching import SALT_FILE
from backend.bootstrap import bootstrap
from backend.chain.deployment import PayoutCurrency, payout_currency_mismatch
from backend.chain.gateway import ChainGateway
from backend.chain.payouts import PayoutChain
from backend.core.config import Settings
from backend.core.days import date_of
from backend.core.db import make_engine
from backend.core.money import format_money, format_pct, reader_locale
from backend.dev.demo import rub
from backend.dev.demo.close import DemoError, PeriodCloser, settle
from backend.dev.demo.company import Company, CompanyBuilder, DemoLogin, at, month_starts
from backend.genealogy.models import Distributor
from backend.periods.models import Period
from backend.periods.money import payout_share
from backend.periods.preview import PreviewOutcome, refresh_preview
from backend.periods.service import plan_path
from backend.worker.writer import ChainWriter
from ledger.errors import PlanError
from ledger.plan import load_plan

__all__ = ["DemoError", "DemoOptions", "DemoResult", "run_demo"]


@dataclass(frozen=True)
class DemoOptions:
    distributors: int = 2000
    periods: int = 3
    seed: int = 2024
    quiet: bool = False
    #: The payout currency: "USD" (the company plan: a USD-pegged token, every partner paid
    #: in it) or "RUB" (the rouble company, `backend.dev.demo.rub`).
    currency: str = "USD"


@dataclass
class DemoResult:
    data_dir: Path
    logins: list[DemoLogin]
    periods: list[Period] = field(default_factory=list)
    distributors: int = 0
    orders: int = 0
    returns: int = 0
    inactive: int = 0
    seconds: float = 0.0
    preview: PreviewOutcome | None = None  # of the month the demo ends in (its open period)
    card_alias: str | None = None  # the leader's public card (/p/<alias>)

    def package(self, period_id: int) -> Path:
        return self.data_dir / "periods" / str(period_id)


def run_demo(
    settings: Settings,
    gateway: ChainGateway,
    options: DemoOptions,
    *,
    url: str = "http://127.0.0.1:8000",
    today: date | None = None,
) -> DemoResult:
    """Create the demo company in `settings.data_dir` (which must hold no company yet)."""
    if options.distributors < 1 or options.periods < 1:
        raise DemoError("the demo needs at least one distributor and one period")
    if options.currency not in CURRENCIES:
        raise DemoError(f"the demo pays in {' or '.join(CURRENCIES)}, not {options.currency}")
    rouble = options.currency == "RUB"
    _check_token(gateway, rub.RUB_PLAN if rouble else plan_path(settings))
    if rouble:
        try:
            rub.install_plan(settings.data_dir)
        except ValueError as exc:
            raise DemoError(str(exc)) from None
    started = time.monotonic()
    # Wide enough for the closing table's amounts even when the output is not a terminal.
    console = Console(quiet=options.quiet, stderr=False, width=max(Console().width, 110))
    engine = make_engine(settings.resolved_database_url)
    try:
        boot = bootstrap(settings, engine)
        with Session(engine) as session:
            existing = session.exec(select(func.count()).select_from(Distributor)).one()
            opened = session.exec(select(func.count()).select_from(Period)).one()
        if existing > 1 or opened > 0:
            raise DemoError(
                f"{settings.data_dir} already holds a company: give the demo an empty --data-dir"
            )
        months = month_starts(options.periods, today or datetime.now(UTC).date())
        payees = rub.PayeeMaker(options.seed) if rouble else None
        builder = CompanyBuilder(engine, settings, seed=options.seed, payees=payees)
        company = builder.users(months)
        if payees is not None:
            _rouble_company(engine, company, payees, at(months[0], 0, 1))
        builder.catalog(company)
        writer = ChainWriter(engine, gateway, settings)
        closer = PeriodCloser(engine, settings, writer, PayoutChain(gateway))
        result = DemoResult(data_dir=settings.data_dir, logins=company.logins)
        if boot.generated_password is not None and boot.admin_email is not None:
            result.logins.insert(0, DemoLogin("admin", boot.admin_email, boot.generated_password))
        per_month = _waves(options.distributors, options.periods)
        with _progress(console) as progress:
            for index, first in enumerate(months):
                _one_month(progress, builder, closer, company, index, per_month[index])
                result.periods.append(_close(progress, closer, company, index + 1, first))
            result.preview = _this_month(
                progress, builder, closer, company, today or datetime.now(UTC).date()
            )
        result.logins += builder.distributor_logins(company, len(months))
        result.card_alias = builder.leader_card(company)
        result.distributors = len(company.distributor_ids)
        result.orders, result.returns = company.orders, company.returns
        result.inactive = company.inactive
    finally:
        engine.dispose()
    result.seconds = time.monotonic() - started
    _summary(console, result, url)
    return result


CURRENCIES = ("USD", "RUB")


def _check_token(gateway: ChainGateway, plan: Path) -> None:
    """One payout currency per period: the deployed token must be of the plan's (the deploy
    checks a fresh deployment; a recorded one is checked here before anything is written)."""
    try:
        currency = load_plan(plan.read_bytes(), source=str(plan)).currency
    except PlanError as exc:
        raise DemoError(f"the company plan is invalid: {exc}") from None
    mismatch = payout_currency_mismatch(
        gateway.deployment, PayoutCurrency(currency.code, currency.peg, currency.decimals)
    )
    if mismatch is not None:
        raise DemoError(mismatch)


def _rouble_company(
    engine: Engine, company: Company, payees: rub.PayeeMaker, now: datetime
) -> None:
    """The company's details (the payer of every payment order) and the root's payee profile
    (the top of the genealogy: a company, paid by bank)."""
    with Session(engine) as session:
        rub.fill_requisites(session, actor=company.admin, now=now)
        root = session.exec(select(Distributor).order_by(col(Distributor.id))).first()
        if root is not None:
            payees.record(session, [root], actor=company.admin, now=now, company=True)


def _waves(total: int, months: int) -> list[int]:
    """A company that grows: each month's wave is larger than the one before."""
    weights = list(range(1, months + 1))
    shares = [total * w // sum(weights) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _one_month(
    progress: Progress,
    builder: CompanyBuilder,
    closer: PeriodCloser,
    company: Company,
    index: int,
    joining: int,
) -> None:
    first = company.months[index]
    label = first.strftime("%B %Y")
    if index == 0:
        assert company.admin.id is not None
        closer.open(actor_id=company.admin.id, now=at(first, 0, 5))
    days = progress.add_task(f"{label}: {joining} join, orders", total=27)
    builder.month(company, index, joining, lambda n: progress.advance(days, n))
    builder.rates(company, index)
    placing = progress.add_task(f"{label}: placements on chain", total=1)
    settle(closer.writer)
    progress.update(placing, completed=1)


def _close(
    progress: Progress, closer: PeriodCloser, company: Company, number: int, first: date
) -> Period:
    """Close period `number` on the 2nd of the following month, then open the next one."""
    following = (first + timedelta(days=32)).replace(day=1)
    now = min(at(following + timedelta(days=1), 9), datetime.now(UTC))
    steps = ("compute", "approve", "anchor", "fund", "pay", "bank", "attest")
    task = progress.add_task(f"period {number}: compute", total=len(steps))

    def step(name: str) -> None:
        done = steps.index(name)
        progress.update(task, completed=done, description=f"period {number}: {name}")

    assert company.finance.id is not None and company.checker.id is not None
    period = closer.close(
        number, maker_id=company.finance.id, checker_id=company.checker.id, now=now, step=step
    )
    progress.update(task, completed=len(steps), description=f"period {number}: paid")
    if number < len(company.months):
        assert company.admin.id is not None
        closer.open(actor_id=company.admin.id, now=at(following, 0, 5))
    return period


def _this_month(
    progress: Progress, builder: CompanyBuilder, closer: PeriodCloser, company: Company, today: date
) -> PreviewOutcome:
    """Open the month the demo runs in, write its orders up to yesterday, and preview it (what
    the worker does every few minutes), so the dashboards show estimates from the first start."""
    first = today.replace(day=1)
    assert company.admin.id is not None
    closer.open(actor_id=company.admin.id, now=at(first, 0, 5))
    days = [first + timedelta(days=d) for d in range(today.day - 1)]
    task = progress.add_task(f"{first:%B %Y} so far: orders", total=max(len(days), 1))
    builder.month_so_far(company, days, lambda n: progress.advance(task, n))
    progress.update(task, completed=max(len(days), 1))
    now = min(at(today, 6), datetime.now(UTC))
    with Session(closer.engine) as session:
        outcome = refresh_preview(session, closer.settings, now=now, force=True)
    if outcome.status != "stored":
        raise DemoError(f"the open period's preview was not stored: {outcome.message}")
    return outcome


def _summary(console: Console, result: DemoResult, url: str) -> None:
    locale = reader_locale()
    data = result.data_dir
    console.print(
        f"\n[bold green]Demo company ready[/] in {result.seconds:.0f} s: "
        f"{result.distributors} distributors ({result.inactive} inactive), "
        f"{result.orders} orders, {result.returns} returns"
    )
    table = Table(title="Closed periods, in the payout currency", title_justify="left")
    for column in ("period", "status", "sales", "payout", "% of sales", "payees"):
        table.add_column(column, justify="left" if column in ("period", "status") else "right")
    ceilings: set[str] = set()
    for period in result.periods:
        share = payout_share(period)
        if share is None:
            continue
        if share.cap_pct is not None:
            ceilings.add(share.cap_pct)
        table.add_row(
            f"{period.id} · {date_of(period.start_day):%m.%Y}",
            str(period.status),
            format_money(share.sales, share.currency, share.exponent, locale=locale),
            format_money(share.payout, share.currency, share.exponent, locale=locale),
            format_pct(share.pct, locale=locale),
            f"{period.leaf_count}",
        )
    console.print(table)
    if ceilings:
        shown = ", ".join(format_pct(c, locale=locale) for c in sorted(ceilings))
        console.print(f"  the plan's ceiling on payout: {shown} of sales")
    for period in result.periods:
        console.print(f"  period {period.id} anchored in tx {period.anchor_tx}")
    if result.preview is not None:
        console.print(
            f"  period {result.preview.period_id} is open: its estimates are on the dashboards "
            "(refreshed every LINEAGE_PREVIEW_MINUTES)"
        )
    console.print(f"\n  web office:  {url}/")
    console.print(f"  API:         {url}/api  (OpenAPI docs at {url}/docs)")
    for login in result.logins:
        console.print(f"  login:       {login.email} / {login.password}  ({login.role})")
    if result.card_alias:
        console.print(f"  card:        {url}/p/{result.card_alias}  (the leader's public card)")
    console.print(f"  data folder: {data}")
    console.print(f"  packages:    {data / 'periods'}/<period>")
    last = result.periods[-1].id if result.periods else 1
    console.print(f"  audit:       lineage audit {result.package(last)} --data-dir {data}")
    statement = data / "bank" / f"period-{last}-statement.txt"
    if statement.is_file():  # the rouble company: its bank lines' references too
        console.print(f"               --bank-statement {statement} --salt-file {data / SALT_FILE}")
    console.print("               (needs the chain: run it while `lineage run` serves the folder)")
