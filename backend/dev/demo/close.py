"""Closing a demo period end to end, as finance would: open, compute (maker), approve (checker),
anchor, fund the vault, pay; every chain step is run by the one chain writer (`ChainWriter`,
the writer `lineage run` serves with), driven here round by round until it has settled.

A period with bank lines (the rouble company) pays them as finance would too: the vault is
funded for the token lines only, which `payBatch` pushes; the bank lines' payment file goes
to the dev bank (`backend.dev.bank`), whose statement is uploaded, matched and attested on
chain through the same queue. The statement is kept beside the period's package
(`<data>/bank/period-<n>-statement.txt`) for `lineage audit --bank-statement`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.accounts.models import User
from backend.bank_payouts import service as bank
from backend.chain.payouts import PayoutChain
from backend.core.config import Settings
from backend.dev import bank as dev_bank
from backend.periods import compute as periods_compute
from backend.periods import onchain as periods_chain
from backend.periods import service as periods
from backend.periods.models import Period, PeriodStatus
from backend.worker.writer import ChainWriter

Step = Callable[[str], None]


class DemoError(Exception):
    """Something the demo could not do; the message is the one line the CLI prints."""


def settle(writer: ChainWriter, *, rounds: int = 10_000) -> None:
    """Rounds until one does nothing and no placement is pending (queued or sent)."""
    for _ in range(rounds):
        if writer.run_once() == 0 and writer.pending() == 0:
            return
    raise DemoError("the chain writer did not settle: see the node's log in the data folder")


class PeriodCloser:
    def __init__(
        self, engine: Engine, settings: Settings, writer: ChainWriter, chain: PayoutChain
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.writer = writer
        self.chain = chain

    def open(self, *, actor_id: int, now: datetime) -> int:
        with Session(self.engine) as session:
            actor = _user(session, actor_id)
            return periods.open_next(session, self.settings, actor=actor, now=now).id

    def close(
        self, period_id: int, *, maker_id: int, checker_id: int, now: datetime, step: Step
    ) -> Period:
        """Compute -> approve -> anchor -> fund -> pay, each confirmed before the next."""
        with Session(self.engine) as session:
            maker, checker = _user(session, maker_id), _user(session, checker_id)
            step("compute")
            computed = periods_compute.compute(
                session, self.settings, period_id, actor=maker, now=now
            )
            step("approve")
            periods_compute.approve(
                session,
                self.settings,
                period_id,
                computation=computed.computations,
                actor=checker,
                now=now,
            )
            step("anchor")
            periods_chain.request_anchor(session, period_id, actor=maker, now=now)
        settle(self.writer)
        with Session(self.engine) as session:
            maker = _user(session, maker_id)
            period = periods.get_period(session, period_id)
            if period.status != PeriodStatus.anchored:
                raise DemoError(f"period {period_id} is {period.status} after its anchor job")
            step("fund")
            token_total = int(period.payout_total or 0) - _bank_total(session, period)
            shortfall = token_total - self.chain.vault_balance()
            if shortfall > 0:
                periods_chain.request_funding(session, shortfall, actor=maker, now=now)
        settle(self.writer)
        with Session(self.engine) as session:
            maker = _user(session, maker_id)
            step("pay")
            periods_chain.plan_payouts(
                session,
                period_id,
                paid_flags=lambda indices: self.chain.paid_flags(period_id, indices),
                vault_balance=self.chain.vault_balance,
                actor=maker,
                now=now,
            )
        settle(self.writer)
        self._pay_bank_lines(period_id, maker_id=maker_id, now=now, step=step)
        with Session(self.engine) as session:
            period = periods.get_period(session, period_id)
            session.expunge(period)
        if period.status != PeriodStatus.paid:
            raise DemoError(f"period {period_id} is {period.status} after paying")
        return period

    def _pay_bank_lines(self, period_id: int, *, maker_id: int, now: datetime, step: Step) -> None:
        """The payment file to the dev bank, its statement back, the matches attested."""
        with Session(self.engine) as session:
            period = periods.get_period(session, period_id)
            if not any(line.state == "open" for line in bank.bank_lines(session, period)):
                return
            step("bank")
            _name, orders = bank.payment_file(session, period_id, now=now)
        statement = dev_bank.execute(orders, on=now.date())
        folder = self.settings.data_dir / "bank"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"period-{period_id}-statement.txt").write_bytes(statement)
        with Session(self.engine) as session:
            maker = _user(session, maker_id)
            uploaded = bank.upload_statement(
                session,
                self.settings,
                period_id,
                statement,
                filename=f"period-{period_id}-statement.txt",
                actor=maker,
                now=now,
            )
        if uploaded.problems:
            first = uploaded.problems[0]
            raise DemoError(f"period {period_id}: the statement did not match: {first}")
        step("attest")
        settle(self.writer)


def _bank_total(session: Session, period: Period) -> int:
    """What the period's bank lines amount to: paid by transfer, never from the vault."""
    return sum(line.net for line in bank.bank_lines(session, period))


def _user(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise DemoError(f"user {user_id} is missing")
    return found
