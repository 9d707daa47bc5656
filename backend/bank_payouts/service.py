"""A period's bank lines: the payment file, the bank's statement, the attest jobs.

A bank line is a payout leaf whose account is a bank pseudo-address (`ledger.rails.is_bank`);
it is paid to the bank details of the payee profile in force at the period's end
(`backend.payees.service.in_force`), the net amount of the period's payee row (gross less the
tax withheld). Finance downloads the payment file of the lines no payment has matched yet
(`payment_file`), the bank executes it, and finance uploads the bank's statement
(`upload_statement`): each of the company's payments is matched to its line (line reference,
account, amount: `backend.bankfiles.matching`) and stored with its outcome; the matched lines
go to the chain as attest jobs of at most `ATTEST_LINES` lines, in the same transaction. The
same file uploaded again adds nothing; a payment an earlier statement matched is recorded as
`seen`; a line is matched once (a unique index backs the period lock).

The chain writer reports back through `confirm_attest`; the period becomes `paid` once its
token batches are confirmed and its bank lines attested (`periods.onchain.settle_paid`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend import chain_jobs
from backend.accounts.models import User
from backend.bank_payouts.models import (
    AttestBatchPublic,
    BankLinePublic,
    BankPayment,
    BankPaymentPublic,
    BankPaymentsPublic,
    BankStatementUpload,
    BankSummary,
    BankUploadPublic,
    Outcome,
    StatementUploadPublic,
)
from backend.bankfiles.exchange import LINE_REFERENCE, date_text
from backend.bankfiles.matching import ExpectedLine, Reason, match, payment_reference, payment_salt
from backend.bankfiles.orders import PaymentOrder
from backend.bankfiles.orders import payment_file as write_payment_file
from backend.bankfiles.statement import Document, parse_statement
from backend.chain_jobs import AttestJob, ChainJob, JobKind, JobStatus
from backend.company.requisites import missing, payer_needs, requisites
from backend.core.config import Settings
from backend.core.days import date_of, day_start
from backend.core.db import begin_write
from backend.core.errors import Conflict
from backend.core.model_base import now_utc
from backend.payees.models import PayeeProfile, TaxStatus
from backend.payees.service import in_force
from backend.periods import onchain
from backend.periods.models import Period, PeriodPayee, PeriodStatus
from backend.periods.service import get_period
from backend.periods.statements import names_of

#: Lines per `attestBatch` (the vault takes up to 300; 100 keeps a batch well under the gas cap).
ATTEST_LINES = 100
#: The largest statement accepted (a month of a large company's payments is a few megabytes).
MAX_STATEMENT_BYTES = 32 * 1024 * 1024
#: Payment orders are numbered per period in blocks of this many (see `order_number`).
NUMBER_BLOCK = 50_000
#: Where a bank line can be paid: its root is anchored and the period not closed.
PAYABLE = (PeriodStatus.anchored, PeriodStatus.paying)
#: Where a statement can be uploaded (a paid period's statement only finds `seen` payments).
STATEMENT_STATES = (*PAYABLE, PeriodStatus.paid)


@dataclass(frozen=True)
class BankLine:
    index: int
    distributor_id: int
    name: str
    account: str  # the leaf's pseudo-address
    gross: int
    withheld: int
    net: int
    profile: PayeeProfile | None  # in force at the period's end
    payment: BankPayment | None  # the matched payment, if any
    attested: bool

    @property
    def state(self) -> str:
        if self.attested:
            return "attested"
        return "matched" if self.payment is not None else "open"


def period_end(period: Period) -> datetime:
    """The period's last instant (the profiles in force then are the period's)."""
    return day_start(period.end_day + 1) - timedelta(microseconds=1)


def order_number(period_id: int, index: int) -> int:
    """The payment order's number (1..999,999): blocks of `NUMBER_BLOCK` per period, 19
    periods before a number comes back (a monthly company's orders stay unique within a year
    while a period has fewer than 50,000 lines); the same line always gets the same number."""
    return ((period_id - 1) % 19) * NUMBER_BLOCK + index % NUMBER_BLOCK + 1


def bank_lines(session: Session, period: Period) -> list[BankLine]:
    """The period's bank lines in leaf order, with their payee, payment and attestation."""
    accounts = onchain.bank_lines(session, period.id)
    if not accounts:
        return []
    rows = session.exec(
        select(PeriodPayee)
        .where(PeriodPayee.period_id == period.id)
        .where(col(PeriodPayee.leaf_index).in_(sorted(accounts)))
        .order_by(col(PeriodPayee.leaf_index))
    ).all()
    ids = {row.distributor_id for row in rows}
    profiles = in_force(session, period_end(period), distributor_ids=ids)
    names = names_of(session, ids)
    payments = {
        payment.line_index: payment
        for payment in session.exec(
            select(BankPayment)
            .where(BankPayment.period_id == period.id)
            .where(BankPayment.outcome == Outcome.matched)
        )
    }
    attested = onchain.attested(session, period.id)
    return [
        BankLine(
            index=int(row.leaf_index or 0),
            distributor_id=row.distributor_id,
            name=names.get(row.distributor_id, ""),
            account=str(row.account),
            gross=row.gross,
            withheld=row.withheld,
            net=row.payout,
            profile=profiles.get(row.distributor_id),
            payment=payments.get(row.leaf_index),
            attested=row.leaf_index in attested,
        )
        for row in rows
    ]


def _require(period: Period, states: Sequence[PeriodStatus], what: str) -> None:
    if period.status not in states:
        raise Conflict(
            f"period {period.id} is {period.status}; {what} once its payout root is anchored",
            code="period_state",
        )


# -- the payment file ---------------------------------------------------------------------------


def payment_file(session: Session, period_id: int, *, now: datetime) -> tuple[str, bytes]:
    """The payment file (filename, bytes) of the period's bank lines no payment has matched
    yet. Refused (409) with the list of the company's missing details, or when no line is
    open; a payee whose bank details do not make an order is named (422, nothing written)."""
    period = get_period(session, period_id)
    _require(period, PAYABLE, "its bank lines are paid")
    company = requisites(session)
    lacking = missing(company, payer_needs(company))
    if lacking:
        raise Conflict(
            "the company's details are missing: " + ", ".join(lacking),
            code="requisites_missing",
            details={"missing": lacking},
        )
    lines = [line for line in bank_lines(session, period) if line.state == "open"]
    if not lines:
        raise Conflict(f"period {period_id} has no bank line left to pay", code="no_bank_lines")
    no_profile = [line.distributor_id for line in lines if line.profile is None]
    if no_profile:
        raise Conflict(
            "no payee profile in force at the period's end for distributors "
            + ", ".join(map(str, no_profile)),
            code="payee_missing",
        )
    label = f"{date_text(date_of(period.start_day))}–{date_text(date_of(period.end_day))}"
    orders = [_order(period, line, label) for line in lines]
    data = write_payment_file(company, orders, created_at=now)
    return f"bank-payouts-period-{period_id}-{now:%Y%m%d-%H%M%S}.txt", data


def _order(period: Period, line: BankLine, label: str) -> PaymentOrder:
    profile = line.profile
    assert profile is not None
    taxed = profile.tax_status == TaxStatus.individual
    return PaymentOrder(
        number=order_number(period.id, line.index),
        amount=line.net,
        payee_name=line.name,
        payee_inn=profile.inn or "",
        payee_account=profile.bank_account or "",
        payee_bik=profile.bik or "",
        payee_corr_account=profile.corr_account or "",
        payee_bank_name=profile.bank_name or "",
        period_id=period.id,
        line_index=line.index,
        act_number=f"{period.id}-{line.distributor_id}",
        period_label=label,
        withheld=line.withheld if taxed else None,
    )


# -- the statement ------------------------------------------------------------------------------


def upload_statement(
    session: Session,
    settings: Settings,
    period_id: int,
    data: bytes,
    *,
    filename: str | None,
    actor: User,
    now: datetime,
) -> StatementUploadPublic:
    """Read the bank's statement, match its payments to the period's open bank lines, store
    the upload and every payment's outcome, and queue the matched lines' attestation; all in
    one transaction. A file that is no statement is refused (422, `BankFileError` naming the
    line) and nothing is stored; the same file again returns the first upload (`new` false)."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise Conflict(
            f"the statement is larger than {MAX_STATEMENT_BYTES // (1024 * 1024)} MiB",
            code="statement_too_large",
        )
    digest = hashlib.sha256(data).hexdigest()
    statement = parse_statement(data)  # before any lock: a bad file costs no write
    try:
        salt = payment_salt(settings)
    except ValueError as bad:  # a salt set wrong: said, never a stack trace
        raise Conflict(f"the payment reference salt: {bad}", code="salt_invalid") from None
    period = get_period(session, period_id, lock=True)
    _require(period, STATEMENT_STATES, "a bank statement is matched")
    existing = session.exec(
        select(BankStatementUpload)
        .where(BankStatementUpload.period_id == period_id)
        .where(BankStatementUpload.sha256 == digest)
    ).first()
    if existing is not None:
        session.rollback()
        return _upload_public(session, existing, new=False)
    lines = bank_lines(session, period)
    by_index = {line.index: line for line in lines}
    expected = [
        ExpectedLine(period_id, line.index, line.net, line.profile.bank_account or "")
        for line in lines
        if line.state == "open" and line.profile is not None
    ]
    result = match(statement, expected, salt=salt)
    upload = BankStatementUpload(
        period_id=period_id,
        sha256=digest,
        filename=(filename or "")[:200] or None,
        size=len(data),
        documents=len(statement.documents),
        matched=len(result.matched),
        problems=0,
        unrelated=result.unrelated,
        uploaded_by=actor.id,
        uploaded_at=now,
    )
    session.add(upload)
    session.flush()
    assert upload.id is not None
    payments: list[BankPayment] = []
    for found in result.matched:
        payments.append(
            _payment(upload, Outcome.matched, found.document, found.line.index, by_index)
        )
        payments[-1].reference = "0x" + found.reference.hex()
    for problem in result.unmatched:
        if problem.reason == Reason.unpaid or problem.document is None:
            continue  # a line this statement does not pay: still open, nothing to resolve
        document = problem.document
        index = problem.line.index if problem.line is not None else _named_line(document, period)
        outcome = Outcome(problem.reason.value)
        known = by_index.get(index) if index is not None else None
        if outcome == Outcome.unknown_line and known is not None and known.payment is not None:
            same = known.payment.reference == "0x" + payment_reference(salt, document).hex()
            outcome = Outcome.seen if same else Outcome.paid_twice
        payments.append(_payment(upload, outcome, document, index, by_index))
    upload.problems = sum(p.outcome not in (Outcome.matched, Outcome.seen) for p in payments)
    session.add_all(payments)
    batches = _enqueue_attestations(session, period_id, payments, now=now)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            "another statement matched some of these lines at the same moment: upload it again",
            code="statement_race",
        ) from None
    session.commit()
    return StatementUploadPublic(
        upload=_upload_row(upload),
        new=True,
        matched=[_payment_public(p) for p in payments if p.outcome == Outcome.matched],
        problems=[_payment_public(p) for p in payments if _is_problem(p)],
        batches=[attest_public(job) for job in batches],
    )


def _named_line(document: Document, period: Period) -> int | None:
    found = LINE_REFERENCE.search(document.purpose)
    if found is None or int(found.group(1)) != period.id:
        return None
    return int(found.group(2))


def _payment(
    upload: BankStatementUpload,
    outcome: Outcome,
    document: Document,
    index: int | None,
    lines: dict[int, BankLine],
) -> BankPayment:
    assert upload.id is not None
    line = lines.get(index) if index is not None else None
    return BankPayment(
        upload_id=upload.id,
        period_id=upload.period_id,
        outcome=outcome,
        line_index=index,
        distributor_id=line.distributor_id if line is not None else None,
        document_number=document.number[:40],
        document_date=document.date,
        statement_line=document.line,
        amount=document.amount,
        payee_account=document.payee_account[:40],
        created_at=upload.uploaded_at,
    )


def _enqueue_attestations(
    session: Session, period_id: int, payments: list[BankPayment], *, now: datetime
) -> list[ChainJob]:
    matched = sorted(
        (p for p in payments if p.outcome == Outcome.matched), key=lambda p: p.line_index or 0
    )
    if not matched:
        return []
    amounts = {
        int(index): int(amount)
        for index, amount in session.exec(
            select(PeriodPayee.leaf_index, PeriodPayee.payout)
            .where(PeriodPayee.period_id == period_id)
            .where(col(PeriodPayee.leaf_index).in_([p.line_index for p in matched]))
        )
        if index is not None
    }
    seq = len(attest_jobs(session, period_id))
    jobs: list[ChainJob] = []
    for start in range(0, len(matched), ATTEST_LINES):
        chunk = matched[start : start + ATTEST_LINES]
        indices = [int(p.line_index or 0) for p in chunk]
        seq += 1
        job = chain_jobs.enqueue(
            session,
            AttestJob(
                period_id=period_id,
                seq=seq,
                indices=indices,
                refs=[str(p.reference) for p in chunk],
                amount=sum(amounts[i] for i in indices),
            ),
            now=now,
        )
        session.flush()
        for payment in chunk:
            payment.job_id = job.id
        jobs.append(job)
    return jobs


# -- the chain writer's report ------------------------------------------------------------------


def confirm_attest(
    session: Session,
    job: ChainJob,
    *,
    block: int | None,
    tx_hash: str | None,
    gas_used: int | None,
    attested: list[int],
    skipped: list[int],
    note: str | None = None,
) -> None:
    """A settled attest job; the period becomes `paid` when this was the last bank line and
    its token batches are confirmed."""
    assert job.id is not None
    period_id = job.attest().period_id
    begin_write(session)
    chain_jobs.mark_confirmed(
        session,
        [job.id],
        block_number=block,
        tx_hash=tx_hash,
        gas_used=gas_used,
        result={"attested": attested, "skipped": skipped},
        note=note,
        commit=False,
    )
    session.flush()
    period = get_period(session, period_id, lock=True)
    onchain.settle_paid(
        session,
        period,
        actor=None,
        now=now_utc(),
        detail="every token batch confirmed and every bank line attested",
    )
    session.commit()


def next_attest(session: Session) -> ChainJob | None:
    """The next queued attest job: the earliest period's lowest `seq`."""
    found = chain_jobs.queued(session, [JobKind.attest], limit=1, by_subject=True)
    return found[0] if found else None


def sent_attests(session: Session) -> list[ChainJob]:
    return chain_jobs.sent(session, [JobKind.attest])


# -- reads --------------------------------------------------------------------------------------


def attest_jobs(session: Session, period_id: int) -> list[ChainJob]:
    query = select(ChainJob).where(
        ChainJob.kind == JobKind.attest, ChainJob.subject_id == period_id
    )
    return list(session.exec(query.order_by(col(ChainJob.id))))


def attest_public(job: ChainJob) -> AttestBatchPublic:
    attest = job.attest()
    result = job.result or {}
    return AttestBatchPublic(
        id=job.id or 0,
        seq=attest.seq,
        indices=attest.indices,
        amount=attest.amount,
        status=str(job.status),
        tx_hash=job.tx_hash,
        block_number=job.block_number,
        gas_used=job.gas_used,
        attested=result.get("attested"),
        skipped=result.get("skipped"),
        note=job.note,
    )


def _is_problem(payment: BankPayment) -> bool:
    return payment.outcome not in (Outcome.matched, Outcome.seen)


def _payment_public(payment: BankPayment) -> BankPaymentPublic:
    return BankPaymentPublic(
        id=payment.id or 0,
        upload_id=payment.upload_id,
        outcome=Outcome(payment.outcome),
        line_index=payment.line_index,
        distributor_id=payment.distributor_id,
        document_number=payment.document_number,
        document_date=payment.document_date,
        statement_line=payment.statement_line,
        amount=payment.amount,
        payee_account=payment.payee_account,
        reference=payment.reference,
        job_id=payment.job_id,
    )


def _upload_row(upload: BankStatementUpload) -> BankUploadPublic:
    return BankUploadPublic.model_validate(upload, from_attributes=True)


def _upload_public(
    session: Session, upload: BankStatementUpload, *, new: bool
) -> StatementUploadPublic:
    payments = session.exec(
        select(BankPayment).where(BankPayment.upload_id == upload.id).order_by(col(BankPayment.id))
    ).all()
    job_ids = {p.job_id for p in payments if p.job_id is not None}
    jobs = [job for job in attest_jobs(session, upload.period_id) if job.id in job_ids]
    return StatementUploadPublic(
        upload=_upload_row(upload),
        new=new,
        matched=[_payment_public(p) for p in payments if p.outcome == Outcome.matched],
        problems=[_payment_public(p) for p in payments if _is_problem(p)],
        batches=[attest_public(job) for job in jobs],
    )


def payments_public(session: Session, period_id: int) -> BankPaymentsPublic:
    """The period's bank side: its lines and their state, the payments to resolve, the
    matched ones, the uploads and the attest jobs."""
    period = get_period(session, period_id)
    lines = bank_lines(session, period)
    payments = session.exec(
        select(BankPayment).where(BankPayment.period_id == period_id).order_by(col(BankPayment.id))
    ).all()
    uploads = session.exec(
        select(BankStatementUpload)
        .where(BankStatementUpload.period_id == period_id)
        .order_by(col(BankStatementUpload.id))
    ).all()

    def total(state: str) -> tuple[int, int]:
        chosen = [line.net for line in lines if line.state == state]
        return len(chosen), sum(chosen)

    attested, waiting, still_open = total("attested"), total("matched"), total("open")
    return BankPaymentsPublic(
        period_id=period_id,
        summary=BankSummary(
            lines=len(lines),
            amount=sum(line.net for line in lines),
            attested=attested[0],
            attested_amount=attested[1],
            waiting=waiting[0],
            waiting_amount=waiting[1],
            open=still_open[0],
            open_amount=still_open[1],
        ),
        lines=[
            BankLinePublic(
                index=line.index,
                distributor_id=line.distributor_id,
                name=line.name,
                account=line.account,
                gross=line.gross,
                withheld=line.withheld,
                net=line.net,
                state=line.state,
                reference=line.payment.reference if line.payment is not None else None,
            )
            for line in lines
        ],
        problems=[_payment_public(p) for p in payments if _is_problem(p)],
        matched=[_payment_public(p) for p in payments if p.outcome == Outcome.matched],
        uploads=[_upload_row(upload) for upload in uploads],
        batches=[attest_public(job) for job in attest_jobs(session, period_id)],
    )


def pending_attests(session: Session, period_id: int) -> bool:
    """An attest job of the period is still on its way."""
    return any(
        job.status in (JobStatus.queued, JobStatus.sent) for job in attest_jobs(session, period_id)
    )
