"""What finance reviews before and while closing a period, read from what compute stored.

The figures come from the period's package (``results/totals.json`` and
``results/compliance.json``, each checked against the stored manifest's digest before it is
believed) and from the result rows compute wrote beside it (``period_payee``, ``period_line``);
nothing is recomputed here. The chain side of closing (anchor and funding jobs, payout
batches, held and claimable lines) comes from the chain-job queue, and the vault's figures
from the injected chain reads (`vault.PayoutReads`), a node that cannot be read being said in
words (`ChainUnreadable`) rather than failing the page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.chain.chain_types import ChainError
from backend.chain_jobs import ChainJob, JobKind, JobStatus
from backend.core.config import Settings
from backend.core.errors import AppError, Conflict, Unavailable
from backend.periods import onchain
from backend.periods.models import (
    HeldReason,
    Period,
    PeriodBatchPublic,
    PeriodLine,
    PeriodPayee,
    PeriodPublic,
    PeriodStatus,
    PeriodTransition,
)
from backend.periods.service import get_period, manifest_of, package_dir, to_public
from backend.periods.statements import course_rule, held_reason, names_of
from backend.periods.vault import PayoutReads
from ledger.plan import BONUS_TYPES

TOP_EARNERS = 10
CHANGES_SHOWN = 20


class ChainUnreadable(Unavailable):
    """The node did not answer or refused a read: the page says so and carries on."""

    code = "chain_unavailable"


@contextmanager
def chain_reads() -> Iterator[None]:
    """Chain reads inside become `ChainUnreadable` with the node's first line of reason."""
    try:
        yield
    except ChainError as exc:
        reason = (str(exc.reason) or type(exc).__name__).splitlines()[0]
        raise ChainUnreadable(f"the chain cannot be read: {reason}") from exc


# -- the list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    period: PeriodPublic
    reached: dict[str, datetime]  # status -> when the period last entered it


def period_rows(session: Session, settings: Settings) -> list[PeriodRow]:
    """Every period, the latest first, with when it was computed, approved, anchored, paid."""
    periods = session.exec(select(Period).order_by(col(Period.id).desc())).all()
    reached: dict[int, dict[str, datetime]] = {}
    for period_id, status, at in session.exec(
        select(
            PeriodTransition.period_id, PeriodTransition.to_status, PeriodTransition.at
        ).order_by(col(PeriodTransition.id))
    ):
        reached.setdefault(period_id, {})[str(status)] = at
    return [PeriodRow(to_public(p, settings), reached.get(p.id, {})) for p in periods]


# -- one period's review ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BonusRow:
    bonus: str
    lines: int
    gross: int
    amount: int
    breakage: int
    pct_of_sales: str | None
    previous: int | None  # the previous period's amount of this bonus (None: not computed)

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.amount - self.previous


@dataclass(frozen=True)
class Earner:
    distributor_id: int
    name: str
    earned: int
    payout: int


@dataclass(frozen=True)
class TransitionRow:
    transition: PeriodTransition
    actor: str | None


@dataclass
class Review:
    period: PeriodPublic
    previous_id: int | None
    totals: dict[str, Any] = field(default_factory=dict)
    compliance: dict[str, Any] = field(default_factory=dict)
    bonuses: list[BonusRow] = field(default_factory=list)
    top: list[Earner] = field(default_factory=list)
    transitions: list[TransitionRow] = field(default_factory=list)
    problem: str | None = None  # the package could not be read as computed

    @property
    def largest_changes(self) -> list[BonusRow]:
        moved = [b for b in self.bonuses if b.change]
        return sorted(moved, key=lambda b: (-abs(b.change or 0), b.bonus))[:3]


def package_json(settings: Settings, period: Period, name: str) -> dict[str, Any]:
    """A JSON file of the period's package, refused unless it is the one compute wrote."""
    manifest = manifest_of(period)
    files = manifest.get("files")
    digest = files.get(name) if isinstance(files, dict) else None
    try:
        data = (package_dir(settings, period.id) / name).read_bytes()
    except OSError:
        data = None
    if data is None or digest != "0x" + hashlib.sha256(data).hexdigest():
        raise Conflict(
            f"period {period.id}: package file {name} is missing or differs from the "
            "computed manifest; compute again",
            code="package_mismatch",
        )
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def review(session: Session, settings: Settings, period_id: int) -> Review:
    period = get_period(session, period_id)
    previous = session.get(Period, period_id - 1) if period_id > 1 else None
    shown = Review(
        period=to_public(period, settings),
        previous_id=previous.id if previous is not None else None,
        transitions=transitions(session, period_id),
    )
    if period.manifest is None:
        return shown
    try:
        shown.totals = package_json(settings, period, "results/totals.json")
        shown.compliance = package_json(settings, period, "results/compliance.json")
        before: dict[str, Any] | None = None
        if previous is not None and previous.manifest is not None:
            before = package_json(settings, previous, "results/totals.json")
    except AppError as refused:
        shown.problem = refused.message
        return shown
    by_pct = shown.compliance.get("payout_pct_of_sales", {}).get("by_bonus", {})
    earlier = (before or {}).get("bonuses", {})
    for bonus in BONUS_TYPES:
        row = shown.totals.get("bonuses", {}).get(bonus)
        if row is None and bonus not in earlier:
            continue
        row = row or {"lines": 0, "gross": 0, "amount": 0, "breakage": 0}
        shown.bonuses.append(
            BonusRow(
                bonus=bonus,
                lines=row["lines"],
                gross=row["gross"],
                amount=row["amount"],
                breakage=row["breakage"],
                pct_of_sales=by_pct.get(bonus),
                previous=None if before is None else earlier.get(bonus, {}).get("amount", 0),
            )
        )
    shown.top = top_earners(session, period_id)
    return shown


def top_earners(session: Session, period_id: int, limit: int = TOP_EARNERS) -> list[Earner]:
    rows = session.exec(
        select(PeriodPayee)
        .where(PeriodPayee.period_id == period_id)
        .where(PeriodPayee.earned > 0)
        .order_by(col(PeriodPayee.earned).desc(), col(PeriodPayee.distributor_id))
        .limit(limit)
    ).all()
    names = names_of(session, {r.distributor_id for r in rows})
    return [
        Earner(r.distributor_id, names.get(r.distributor_id, ""), r.earned, r.payout) for r in rows
    ]


def transitions(session: Session, period_id: int) -> list[TransitionRow]:
    rows = session.exec(
        select(PeriodTransition)
        .where(PeriodTransition.period_id == period_id)
        .order_by(col(PeriodTransition.id))
    ).all()
    actors = {r.actor_id for r in rows if r.actor_id is not None}
    emails = (
        {
            row[0]: row[1]
            for row in session.exec(
                select(User.id, User.email).where(col(User.id).in_(sorted(actors)))
            ).all()
        }
        if actors
        else {}
    )
    return [TransitionRow(r, emails.get(r.actor_id) if r.actor_id else None) for r in rows]


# -- who moved most in one bonus ---------------------------------------------------------------


@dataclass(frozen=True)
class PayeeChange:
    distributor_id: int
    name: str
    amount: int
    previous: int

    @property
    def change(self) -> int:
        return self.amount - self.previous


def bonus_number(bonus: str) -> int:
    if bonus not in BONUS_TYPES:
        raise Conflict(f"there is no bonus type {bonus!r}", code="unknown_bonus")
    return BONUS_TYPES.index(bonus) + 1


def changes(
    session: Session, period_id: int, bonus: str, limit: int = CHANGES_SHOWN
) -> list[PayeeChange]:
    """The payees whose amount of ``bonus`` moved most from the previous period."""
    get_period(session, period_id)
    number = bonus_number(bonus)

    def amounts(of_period: int) -> dict[int, int]:
        rows = session.exec(
            select(PeriodLine.payee, func.sum(PeriodLine.amount))
            .where(PeriodLine.period_id == of_period, PeriodLine.bonus == number)
            .where(PeriodLine.payee > 0)
            .group_by(col(PeriodLine.payee))
        )
        return {int(payee): int(total or 0) for payee, total in rows}

    now, before = amounts(period_id), amounts(period_id - 1) if period_id > 1 else {}
    moved = [
        (payee, now.get(payee, 0), before.get(payee, 0))
        for payee in now.keys() | before.keys()
        if now.get(payee, 0) != before.get(payee, 0)
    ]
    moved.sort(key=lambda m: (-abs(m[1] - m[2]), m[0]))
    moved = moved[:limit]
    names = names_of(session, {m[0] for m in moved})
    return [PayeeChange(p, names.get(p, ""), a, b) for p, a, b in moved]


# -- closing on chain: jobs, batches, held and claimable lines -------------------------------------


@dataclass(frozen=True)
class HeldLine:
    distributor_id: int
    name: str
    amount: int
    reason: HeldReason
    course: str = ""  # the course not completed, when the reason is compliance_course


@dataclass
class Progress:
    period: Period
    anchors: list[ChainJob]
    fundings: list[ChainJob]
    batches: list[PeriodBatchPublic]
    held: list[HeldLine]
    attests: list[ChainJob] = field(default_factory=list)  # bank lines' attestBatch jobs

    @property
    def claimable(self) -> list[int]:
        return sorted(i for b in self.batches for i in (b.failed or []))

    @property
    def pending(self) -> bool:
        """Something was asked of the chain and has not settled yet."""
        live = (JobStatus.queued, JobStatus.sent)
        jobs = self.anchors + self.fundings + self.attests
        return any(j.status in live for j in jobs) or any(
            b.status != "confirmed" for b in self.batches
        )


def progress(session: Session, settings: Settings, period_id: int) -> Progress:
    period = get_period(session, period_id)
    anchors = session.exec(
        select(ChainJob)
        .where(ChainJob.kind == JobKind.anchor, ChainJob.subject_id == period_id)
        .order_by(col(ChainJob.id))
    ).all()
    # Funding asked from this period's page, and funding that names no period (the vault's
    # page, the API) asked since this period was approved.
    for_it = col(ChainJob.subject_id) == period_id
    if period.approved_at is not None:
        for_it = for_it | (
            col(ChainJob.subject_id).is_(None) & (col(ChainJob.created_at) >= period.approved_at)
        )
    fundings = list(
        session.exec(
            select(ChainJob)
            .where(ChainJob.kind == JobKind.fund)
            .where(for_it)
            .order_by(col(ChainJob.id))
        ).all()
    )
    held_rows = session.exec(
        select(PeriodPayee)
        .where(PeriodPayee.period_id == period_id, PeriodPayee.balance_out != 0)
        .order_by(col(PeriodPayee.distributor_id))
    ).all()
    names = names_of(session, {r.distributor_id for r in held_rows})
    rule = course_rule(settings, period) if held_rows else None
    held = [
        HeldLine(
            r.distributor_id,
            names.get(r.distributor_id, ""),
            r.balance_out,
            reason,
            (rule.course or "") if rule and reason == HeldReason.compliance_course else "",
        )
        for r in held_rows
        if (reason := held_reason(r, rule)) is not None
    ]
    batches = [onchain.batch_public(job) for job in onchain.batches(session, period_id)]
    attests = session.exec(
        select(ChainJob)
        .where(ChainJob.kind == JobKind.attest, ChainJob.subject_id == period_id)
        .order_by(col(ChainJob.id))
    ).all()
    return Progress(period, list(anchors), fundings, batches, held, list(attests))


# -- the vault -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VaultPeriod:
    period: Period
    paid: int | None  # paidTotalOf on chain (None: the chain could not be read)
    funded: int = 0  # confirmed funding asked from this period's page

    @property
    def outstanding(self) -> int | None:
        total = self.period.payout_total or 0
        return None if self.paid is None else total - self.paid


@dataclass
class VaultView:
    balance: int | None
    vault: str | None
    token: str | None
    committed: int
    funded: int  # confirmed funding jobs, all time
    funded_unassigned: int  # of which asked without naming a period (the vault's page, the API)
    periods: list[VaultPeriod]
    currency: str | None
    exponent: int | None
    problem: str | None = None  # why the chain could not be read


def vault_view(session: Session, open_reads: Callable[[], PayoutReads]) -> VaultView:
    anchored = session.exec(
        select(Period).where(col(Period.anchor_tx).is_not(None)).order_by(col(Period.id).desc())
    ).all()
    confirmed_funding = (
        select(ChainJob.subject_id, func.coalesce(func.sum(ChainJob.amount), 0))
        .where(ChainJob.kind == JobKind.fund)
        .where(ChainJob.status == JobStatus.confirmed)
        .group_by(col(ChainJob.subject_id))
    )
    funded_for = {subject: int(amount or 0) for subject, amount in session.exec(confirmed_funding)}
    funded = sum(funded_for.values())
    currency = payout_currency(session)
    view = VaultView(
        balance=None,
        vault=None,
        token=None,
        committed=onchain.committed(session),
        funded=funded,
        funded_unassigned=funded_for.get(None, 0),
        periods=[VaultPeriod(p, None, funded_for.get(p.id, 0)) for p in anchored],
        currency=currency[0] if currency is not None else None,
        exponent=currency[1] if currency is not None else None,
    )
    try:
        with chain_reads():
            reads = open_reads()
            view.vault, view.token = reads.vault_address, reads.token_address
            view.balance = reads.vault_balance()
            view.periods = [
                VaultPeriod(p, reads.paid_total_of(p.id), funded_for.get(p.id, 0)) for p in anchored
            ]
    except AppError as refused:
        view.problem = refused.message
    return view


def payout_currency(session: Session, period_id: int | None = None) -> tuple[str, int] | None:
    """The payout currency (code, decimals) of the period, else of the latest computed one."""
    query = select(Period).where(col(Period.currency).is_not(None))
    if period_id is not None:
        query = query.where(Period.id == period_id)
    found = session.exec(query.order_by(col(Period.id).desc())).first()
    if found is None or found.currency is None or found.exponent is None:
        return None
    return found.currency, found.exponent


@dataclass(frozen=True)
class Funding:
    """What paying the period needs from the vault, as `onchain.plan_payouts` counts it."""

    balance: int | None
    available: int | None
    outstanding: int
    shortfall: int | None
    problem: str | None = None


def funding_needed(
    session: Session, period: PeriodPublic, open_reads: Callable[[], PayoutReads]
) -> Funding:
    total = period.payout_total or 0
    try:
        with chain_reads():
            reads = open_reads()
            balance = reads.vault_balance()
            paid = reads.paid_total_of(period.id)
    except AppError as refused:
        token_total = total - onchain.bank_unattested(session, period.id)
        return Funding(None, None, token_total, None, refused.message)
    # Bank lines are attested, never paid from the vault: what waits for them is not owed.
    outstanding = max(0, total - paid - onchain.bank_unattested(session, period.id))
    available = balance - onchain.committed(session, other_than=period.id)
    return Funding(balance, available, outstanding, max(0, outstanding - available))


def payable(period: PeriodPublic) -> bool:
    return period.status in (PeriodStatus.anchored, PeriodStatus.paying)
