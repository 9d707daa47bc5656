"""The auditor's chain history: placements, anchors and payments read from the contracts' events,
each beside the database's record of the same fact, and one transaction read whole.

Everything here reads; the chain only through `AuditReader`. A chain that cannot be read is a
`ChainUnreadable` (503) with the node's one-line reason, never a trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from backend.audit.report import AuditInputError
from backend.chain.audit_reads import AuditReader, ChainTransaction, PaymentEvents, PlacedEvent
from backend.chain.chain_types import ChainError
from backend.chain_jobs.models import ChainJob, JobKind
from backend.core.days import day_start
from backend.core.errors import Unavailable
from backend.genealogy.models import Placement
from backend.periods.models import Period, PeriodPayee

__all__ = [
    "AuditReader",
    "ChainTransaction",
    "ChainUnreadable",
    "Compared",
    "HistoryPage",
    "HistoryRow",
    "OpenReader",
    "TxView",
    "history",
    "reading_chain",
    "transaction_view",
]

OpenReader = Callable[[], AuditReader]
Kind = Literal["placement", "anchor", "batch", "claim", "failed", "attest"]
ValueKind = Literal["text", "money", "hash"]


class ChainUnreadable(Unavailable):
    code = "chain_unavailable"


@contextmanager
def reading_chain() -> Iterator[None]:
    """Chain errors (node down, wrong chain, a refused read) as one `ChainUnreadable`."""
    try:
        yield
    except (ChainError, AuditInputError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ChainUnreadable(reason) from exc


@dataclass(frozen=True)
class Compared:
    """One field of a fact: what the chain says, what the database says (None: no record)."""

    name: str
    chain: str | int | None
    database: str | int | None
    kind: ValueKind = "text"

    @property
    def same(self) -> bool:
        if isinstance(self.chain, str) and isinstance(self.database, str):
            return self.chain.lower() == self.database.lower()
        return self.chain == self.database


@dataclass(frozen=True)
class HistoryRow:
    kind: Kind
    block: int
    tx_hash: str
    period_id: int | None
    distributor_id: int | None
    compared: tuple[Compared, ...]
    in_database: bool
    currency: str | None = None
    exponent: int = 0
    lines: int = 0  # a batch's paid (or attested) lines
    #: An attestation's lines: (index, distributor id or None, payment reference).
    attested: tuple[tuple[int, int | None, str], ...] = ()

    @property
    def match(self) -> bool:
        return self.in_database and all(c.same for c in self.compared)


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    total: int
    offset: int
    limit: int


_ORDER = {"placement": 0, "anchor": 1, "batch": 2, "claim": 3, "failed": 4, "attest": 5}


def history(
    session: Session,
    open_reader: OpenReader,
    *,
    period_id: int | None = None,
    person: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> HistoryPage:
    """Newest first. `period_id` keeps that period's anchor and payments and the placements the
    database dates within its days; `person` keeps that distributor's placement and payments."""
    periods = {p.id: p for p in session.exec(select(Period).order_by(col(Period.id)))}
    period = periods.get(period_id) if period_id is not None else None
    rows: list[HistoryRow] = []
    with reading_chain():
        reader = open_reader()
        placed = _placed(session, reader, period_id, period, person)
        anchors = reader.anchored_events(period_id)
        if person is None:
            for event in anchors:
                db = periods.get(event.period_id)
                rows.append(
                    HistoryRow(
                        kind="anchor",
                        block=event.block,
                        tx_hash=event.tx_hash,
                        period_id=event.period_id,
                        distributor_id=None,
                        compared=(
                            Compared(
                                "payoutRoot", event.payout_root, _a(db, "payout_root"), "hash"
                            ),
                            Compared("payoutTotal", event.total, _a(db, "payout_total"), "money"),
                            Compared("leafCount", event.leaf_count, _a(db, "leaf_count")),
                            Compared("transaction", event.tx_hash, _a(db, "anchor_tx"), "hash"),
                        ),
                        in_database=db is not None,
                        currency=db.currency if db else None,
                        exponent=(db.exponent or 0) if db else 0,
                    )
                )
        for event in anchors:
            rows.extend(
                _payments(
                    session,
                    event.period_id,
                    periods.get(event.period_id),
                    reader.payment_events(event.period_id),
                    person,
                )
            )
    # Placements stay events until the page is cut: only the page's are read from the database.
    keyed: list[tuple[tuple[int, int, int], HistoryRow | PlacedEvent]] = [
        ((r.block, _ORDER[r.kind], r.distributor_id or 0), r) for r in rows
    ]
    keyed += [((e.block, _ORDER["placement"], e.id), e) for e in placed]
    keyed.sort(key=lambda item: item[0], reverse=True)
    page = [item for _, item in keyed[offset : offset + limit]]
    events = [item for item in page if isinstance(item, PlacedEvent)]
    built = iter(_placement_rows(session, events))
    shown = [next(built) if isinstance(item, PlacedEvent) else item for item in page]
    return HistoryPage(shown, len(keyed), offset, limit)


def _a(period: Period | None, name: str) -> str | int | None:
    if period is None:
        return None
    value: str | int | None = getattr(period, name)
    return value


def _placed(
    session: Session,
    reader: AuditReader,
    period_id: int | None,
    period: Period | None,
    person: int | None,
) -> list[PlacedEvent]:
    """The `Placed` events the filters keep (one person's through the event's indexed id); the
    database is asked only for the ids a period keeps, not for every placement."""
    if period_id is not None and period is None:
        return []
    events = reader.placed_events(person)
    if period is None:
        return events
    first, after = day_start(period.start_day), day_start(period.end_day + 1)
    query = select(Placement.distributor_id).where(
        col(Placement.placed_at) >= first, col(Placement.placed_at) < after
    )
    if person is not None:
        query = query.where(Placement.distributor_id == person)
    within = set(session.exec(query))
    return [event for event in events if event.id in within]


def _placement_rows(session: Session, events: Sequence[PlacedEvent]) -> list[HistoryRow]:
    """Rows for the placements on one page, each beside its database record (one query)."""
    ids = [event.id for event in events]
    stored = (
        {
            p.distributor_id: p
            for p in session.exec(select(Placement).where(col(Placement.distributor_id).in_(ids)))
        }
        if ids
        else {}
    )
    rows = []
    for event in events:
        row = stored.get(event.id)
        rows.append(
            HistoryRow(
                kind="placement",
                block=event.block,
                tx_hash=event.tx_hash,
                period_id=None,
                distributor_id=event.id,
                compared=(
                    Compared("sponsor", event.sponsor, (row.sponsor_id or 0) if row else None),
                    Compared("parent", event.parent, (row.parent_id or 0) if row else None),
                    Compared("position", event.position, row.position if row else None),
                    Compared("status", "confirmed", str(row.chain_status) if row else None),
                    Compared(
                        "transaction",
                        event.tx_hash,
                        (row.tx_hash or event.tx_hash) if row else None,
                        "hash",
                    ),
                ),
                in_database=row is not None,
            )
        )
    return rows


def _payments(
    session: Session,
    period_id: int,
    period: Period | None,
    events: PaymentEvents,
    person: int | None,
) -> list[HistoryRow]:
    payees = {
        int(p.leaf_index): p
        for p in session.exec(
            select(PeriodPayee).where(
                PeriodPayee.period_id == period_id, col(PeriodPayee.leaf_index).is_not(None)
            )
        )
        if p.leaf_index is not None
    }
    wanted: int | None = None
    if person is not None:
        mine = [i for i, p in payees.items() if p.distributor_id == person]
        if not mine:
            return []
        wanted = mine[0]
    jobs = {
        (job.tx_hash or "").lower(): job
        for job in session.exec(
            select(ChainJob).where(ChainJob.kind == JobKind.pay, ChainJob.subject_id == period_id)
        )
        if job.tx_hash
    }
    money = {"currency": period.currency if period else None, "exponent": _exp(period)}
    rows = []
    for batch in events.batches:
        if wanted is not None and wanted not in batch.indices:
            continue
        job = jobs.get(batch.tx_hash.lower())
        pay = job.pay() if job is not None else None
        lines = [payees.get(i) for i in batch.indices]
        stored_sum = sum(p.payout for p in lines if p is not None)
        rows.append(
            HistoryRow(
                kind="batch",
                block=batch.block,
                tx_hash=batch.tx_hash,
                period_id=period_id,
                distributor_id=None,
                compared=(
                    Compared("amount", batch.amount, pay.amount if pay else None, "money"),
                    Compared(
                        "lines",
                        _indices(batch.indices),
                        _indices(pay.indices) if pay else None,
                    ),
                    Compared(
                        "sum of the lines",
                        batch.amount,
                        stored_sum if all(p is not None for p in lines) else None,
                        "money",
                    ),
                ),
                in_database=pay is not None,
                lines=len(batch.indices),
                **money,  # type: ignore[arg-type]
            )
        )
    attest_jobs = {
        (job.tx_hash or "").lower(): job.attest()
        for job in session.exec(
            select(ChainJob).where(
                ChainJob.kind == JobKind.attest, ChainJob.subject_id == period_id
            )
        )
        if job.tx_hash
    }
    for attest in events.attest_batches:
        if wanted is not None and wanted not in attest.indices:
            continue
        lines = [payees.get(i) for i in attest.indices]
        stored_sum = sum(p.payout for p in lines if p is not None)
        queued = attest_jobs.get(attest.tx_hash.lower())
        # A resent batch attests only what was not attested before: compare those lines.
        job_refs = dict(zip(queued.indices, queued.refs, strict=True)) if queued else {}
        rows.append(
            HistoryRow(
                kind="attest",
                block=attest.block,
                tx_hash=attest.tx_hash,
                period_id=period_id,
                distributor_id=payees[wanted].distributor_id if wanted is not None else None,
                compared=(
                    Compared(
                        "sum of the lines",
                        attest.amount,
                        stored_sum if all(p is not None for p in lines) else None,
                        "money",
                    ),
                    Compared(
                        "bank lines",
                        len(attest.indices),
                        sum(1 for p in lines if p is not None and p.rail == "bank"),
                    ),
                    Compared(  # how many of its references the queued job holds too
                        "refs",
                        len(attest.indices),
                        sum(
                            1
                            for i, ref in zip(attest.indices, attest.refs, strict=True)
                            if job_refs.get(i, "").lower() == ref.lower()
                        )
                        if queued
                        else None,
                    ),
                ),
                in_database=queued is not None and all(p is not None for p in lines),
                lines=len(attest.indices),
                attested=tuple(
                    sorted(
                        (index, p.distributor_id if p is not None else None, ref)
                        for index, p, ref in zip(attest.indices, lines, attest.refs, strict=True)
                        if wanted is None or index == wanted
                    )
                ),
                **money,  # type: ignore[arg-type]
            )
        )
    for kind, items in (("claim", events.claims), ("failed", events.failed)):
        for line in items:
            if wanted is not None and line.index != wanted:
                continue
            payee = payees.get(line.index)
            rows.append(
                HistoryRow(
                    kind=kind,  # type: ignore[arg-type]
                    block=line.block,
                    tx_hash=line.tx_hash,
                    period_id=period_id,
                    distributor_id=payee.distributor_id if payee else None,
                    compared=(
                        Compared("account", line.account, payee.account if payee else None),
                        Compared("amount", line.amount, payee.payout if payee else None, "money"),
                    ),
                    in_database=payee is not None,
                    **money,  # type: ignore[arg-type]
                )
            )
    return rows


def _exp(period: Period | None) -> int:
    return (period.exponent or 0) if period is not None else 0


def _indices(indices: Sequence[int]) -> str:
    return " ".join(str(i) for i in indices)


# -- one transaction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TxView:
    tx: ChainTransaction
    #: What the database records under this hash, with its state: ("placement", distributor
    #: id), ("anchor", period id), ("job_<kind>", chain job id).
    known_as: list[tuple[str, int, str]]


def transaction_view(session: Session, open_reader: OpenReader, tx_hash: str) -> TxView | None:
    with reading_chain():
        tx = open_reader().transaction(tx_hash)
    if tx is None:
        return None
    wanted = tx_hash.lower()
    known: list[tuple[str, int, str]] = []
    for p in session.exec(select(Placement).where(col(Placement.tx_hash).ilike(wanted))):
        known.append(("placement", p.distributor_id, str(p.chain_status)))
    for period in session.exec(select(Period).where(col(Period.anchor_tx).ilike(wanted))):
        known.append(("anchor", period.id, str(period.status)))
    for job in session.exec(select(ChainJob).where(col(ChainJob.tx_hash).ilike(wanted))):
        if job.kind == JobKind.place:
            continue  # the placement rows above say it better
        known.append((f"job_{job.kind}", job.id or 0, str(job.status)))
    return TxView(tx, known)
