"""All acts of a closed period in one language, issued by the worker (issue 17: bulk).

Finance requests a job (`request_job`; one unfinished job per period and language, a second
request gets the running one); the worker (`backend.worker.acts`) runs it (`run_job`) in two
steps, each resumable after a crash:

1. numbers: the payees without an act, in distributor order, are gathered (`act_fields`, the
   on-demand act's own data) a chunk at a time and each chunk's numbers are reserved in one
   short write unit (`reserved.reserve`). A payee refused an act (no tax status, say) is listed
   in the job's failures and takes no number; the others go on.
2. documents: every reservation of the period in the job's language is rendered and inserted
   (`reserved.write_reserved`) by ``processes`` render processes (spawned, each with its own
   engine; a PDF never leaves the process that rendered it, so memory stays flat), the job's
   ``done`` brought up to date as they finish.

After a crash the job is still unfinished: the next run skips what has an act or a
reservation and writes the reservations left, so no act is issued twice and no number is
lost. An on-demand issue of a reserved act writes it with its reserved number.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from collections.abc import Callable, Generator
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core.db import make_engine
from backend.core.errors import AppError, Conflict, NotFound
from backend.core.model_base import Language
from backend.documents.acts import CLOSED, act_fields
from backend.documents.models import (
    ActsJob,
    ActsJobStatus,
    Document,
    DocumentKind,
    DocumentReservation,
)
from backend.documents.render import RenderError
from backend.documents.reserved import Planned, reserve, write_reserved
from backend.documents.store import company_for
from backend.periods.models import Period, PeriodPayee

log = logging.getLogger("lineage.documents.bulk")

#: Payees gathered and reserved per write unit: short enough that an on-demand issue waits
#: for the series' lock a fraction of a second.
CHUNK = 200
#: How often a running job's ``done`` is written (seconds).
PROGRESS_EVERY = 1.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def unfinished_job(session: Session, period_id: int, language: Language) -> ActsJob | None:
    return session.exec(
        select(ActsJob).where(
            ActsJob.period_id == period_id,
            ActsJob.language == language.value,
            ActsJob.status != ActsJobStatus.done.value,
        )
    ).first()


def latest_jobs(session: Session, period_id: int) -> list[ActsJob]:
    """The newest job of each language for a period (the acts page shows them)."""
    jobs = session.exec(
        select(ActsJob).where(ActsJob.period_id == period_id).order_by(col(ActsJob.id).desc())
    ).all()
    newest: dict[str, ActsJob] = {}
    for job in jobs:
        newest.setdefault(job.language, job)
    return [newest[language] for language in sorted(newest)]


def failures_of(job: ActsJob) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(job.failures)
    return listed


def request_job(
    session: Session,
    period_id: int,
    *,
    language: Language,
    site: str,
    actor: User,
    now: datetime,
) -> ActsJob:
    """A job for the period's acts in ``language`` (the unfinished one when there is one):
    404 for an unknown period, 409 ``period_state`` unless anchored, 409 ``requisites_missing``
    when the company's details lack what an act needs."""
    period = session.get(Period, period_id)
    if period is None:
        raise NotFound(f"period {period_id} not found")
    if period.status not in CLOSED or period.payout_root is None:
        raise Conflict(
            f"period {period_id} is {period.status}: acts are issued for anchored periods",
            code="period_state",
        )
    company_for(session, DocumentKind.act)
    running = unfinished_job(session, period_id, language)
    if running is not None:
        return running
    total = session.exec(
        select(func.count()).select_from(PeriodPayee).where(PeriodPayee.period_id == period_id)
    ).one()
    job = ActsJob(
        period_id=period_id,
        language=language.value,
        site=site,
        total=int(total),
        requested_by=actor.id,
        requested_at=now,
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request made it first (the partial unique index)
        session.rollback()
        running = unfinished_job(session, period_id, language)
        if running is None:
            raise
        return running
    session.refresh(job)
    return job


def next_job(session: Session) -> ActsJob | None:
    """The oldest unfinished job (a ``running`` one is a crashed worker's: resumed)."""
    return session.exec(
        select(ActsJob).where(ActsJob.status != ActsJobStatus.done.value).order_by(col(ActsJob.id))
    ).first()


def _subject(period_id: int, distributor_id: int) -> str:
    return f"act:{period_id}:{distributor_id}"


def _issued_count(session: Session, job: ActsJob) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Document)
            .where(
                Document.kind == DocumentKind.act.value,
                Document.period_id == job.period_id,
                Document.language == job.language,
                Document.revision == 0,
            )
        ).one()
    )


def _pending(session: Session, job: ActsJob) -> list[int]:
    """The payees with neither an act nor a reservation in the job's language."""
    payees = session.exec(
        select(PeriodPayee.distributor_id)
        .where(PeriodPayee.period_id == job.period_id)
        .order_by(col(PeriodPayee.distributor_id))
    ).all()
    had = {
        distributor_id
        for model in (Document, DocumentReservation)
        for distributor_id in session.exec(
            select(model.distributor_id).where(
                model.kind == DocumentKind.act.value,
                model.period_id == job.period_id,
                model.language == job.language,
            )
        )
    }
    return [payee for payee in payees if payee not in had]


def _save(session: Session, job: ActsJob, failures: dict[int, dict[str, Any]]) -> None:
    job.failed = len(failures)
    job.failures = json.dumps([failures[key] for key in sorted(failures)], ensure_ascii=False)
    job.done = _issued_count(session, job)
    session.add(job)
    session.commit()


def _reserve_all(
    session: Session,
    job: ActsJob,
    failures: dict[int, dict[str, Any]],
    clock: Callable[[], datetime],
    stopping: Callable[[], bool],
) -> None:
    assert job.id is not None
    language = Language(job.language)
    pending = _pending(session, job)
    for start in range(0, len(pending), CHUNK):
        if stopping():
            return
        planned = []
        for distributor_id in pending[start : start + CHUNK]:
            try:
                fields = act_fields(session, job.period_id, distributor_id, language, job.site)
            except AppError as refused:
                failures[distributor_id] = {
                    "distributor_id": distributor_id,
                    "code": refused.code,
                    "message": refused.message,
                }
                continue
            failures.pop(distributor_id, None)
            planned.append(
                Planned(
                    subject=_subject(job.period_id, distributor_id),
                    fields=fields,
                    links={"period_id": job.period_id, "distributor_id": distributor_id},
                )
            )
        company = company_for(session, DocumentKind.act)
        issued_at = clock().astimezone(UTC).replace(microsecond=0)
        session.rollback()  # the gathering's read transaction; the reservation is a write unit
        if planned:
            reserve(
                session,
                kind=DocumentKind.act,
                language=job.language,
                company=company,
                planned=planned,
                issued_at=issued_at,
                issued_by=job.requested_by,
                job_id=job.id,
            )
        _save(session, job, failures)


def _reservations(session: Session, job: ActsJob) -> list[tuple[int, int]]:
    """(reservation id, distributor id) of the acts reserved in the job's period and language,
    by number (a crashed job's, or an earlier job's left by a render failure, included)."""
    rows = session.exec(
        select(DocumentReservation.id, DocumentReservation.distributor_id)
        .where(
            DocumentReservation.kind == DocumentKind.act.value,
            DocumentReservation.period_id == job.period_id,
            DocumentReservation.language == job.language,
        )
        .order_by(col(DocumentReservation.number))
    ).all()
    return [(int(rid or 0), int(who or 0)) for rid, who in rows]


# -- the render processes --------------------------------------------------------------------

_process_engine: Engine | None = None


def _start_process(url: str) -> None:
    global _process_engine  # one engine per render process, made once when it starts
    import backend.db_models  # noqa: F401 - every table the documents' keys point to

    _process_engine = make_engine(url)


def _write_one(item: tuple[int, int]) -> tuple[int, str | None]:
    """Write one reserved act in a render process: (distributor id, error or None)."""
    reservation_id, distributor_id = item
    assert _process_engine is not None
    return _write(_process_engine, reservation_id, distributor_id)


def _write(engine: Engine, reservation_id: int, distributor_id: int) -> tuple[int, str | None]:
    with Session(engine) as session:
        try:
            write_reserved(session, reservation_id)
        except RenderError as exc:
            session.rollback()
            return distributor_id, str(exc)
    return distributor_id, None


def _written(
    engine: Engine, items: list[tuple[int, int]], processes: int
) -> Generator[tuple[int, str | None]]:
    url = engine.url.render_as_string(hide_password=False)
    in_memory = engine.url.database in (None, "", ":memory:")
    if processes <= 1 or in_memory:
        for reservation_id, distributor_id in items:
            yield _write(engine, reservation_id, distributor_id)
        return
    # spawn, not fork: the worker process runs threads (the chain writer) and holds connections
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_start_process, initargs=(url,)) as pool:
        yield from pool.imap_unordered(_write_one, items, chunksize=4)


def run_job(
    engine: Engine,
    job_id: int,
    *,
    processes: int = 2,
    clock: Callable[[], datetime] = _utc_now,
    stopping: Callable[[], bool] = lambda: False,
) -> ActsJob:
    """Run (or resume) a job to its end and return it finished; when ``stopping()`` turns
    true (the worker shuts down) it returns the job unfinished, resumed by the next run."""
    with Session(engine) as session:
        job = session.get(ActsJob, job_id)
        if job is None:
            raise NotFound(f"acts job {job_id} not found")
        if job.status == ActsJobStatus.done.value:
            return job
        job.status = ActsJobStatus.running.value
        job.started_at = job.started_at or clock()
        failures = {int(f["distributor_id"]): f for f in failures_of(job)}
        _save(session, job, failures)
        _reserve_all(session, job, failures, clock, stopping)
        items = [] if stopping() else _reservations(session, job)
        session.rollback()
        last = time.monotonic()
        written = _written(engine, items, processes)
        with closing(written):  # closing it ends the render processes
            for distributor_id, error in written:
                if error is not None:
                    failures[distributor_id] = {
                        "distributor_id": distributor_id,
                        "code": "render_failed",
                        "message": error,
                    }
                if time.monotonic() - last >= PROGRESS_EVERY:
                    _save(session, job, failures)
                    last = time.monotonic()
                if stopping():
                    break
        if stopping():
            _save(session, job, failures)
            session.refresh(job)
            return job
        job.status = ActsJobStatus.done.value
        job.finished_at = clock()
        _save(session, job, failures)
        session.refresh(job)
        return job
