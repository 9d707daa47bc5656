"""A closed period's acts in bulk (issue 17), on SQLite and PostgreSQL: the worker's job issues
every act once, numbered 1..N in payee order, lists a partner it cannot issue for and goes on;
a worker killed mid-job (SIGKILL to its process group, render processes included) resumes with
no duplicate and no gap; on-demand issues during a job keep the series gap-free; each act's
amounts are the period's anchored statement amounts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from documents_kit import add_partner, make_period, set_company
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.accounts.models import User
from backend.core.errors import Conflict, NotFound
from backend.core.model_base import Language, Role
from backend.documents import bulk, service
from backend.documents.models import (
    ActsJob,
    Document,
    DocumentCounter,
    DocumentReservation,
)
from backend.genealogy.models import Distributor
from backend.periods.models import PeriodLine, PeriodPayee

NOW = datetime(2026, 5, 14, 9, 30, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
SITE = "https://office.example.com"
STATUSES = ("individual", "self_employed", "sole_proprietor", "company")


@pytest.fixture
def finance(engine: Engine) -> User:
    with Session(engine) as session:
        user = User(email="finance@example.com", role=Role.finance, hashed_password="x")
        root = Distributor(
            first_name="Root", last_name="Partner", referral_code="ROOT1", search_name="root"
        )
        session.add_all([user, root])
        session.commit()
        session.refresh(user)
        return user


def _period(engine: Engine, partners: int, *, without_status: int | None = None) -> list[int]:
    ids = [add_partner(engine, f"P{i:03d}", f"B{i:03d}") for i in range(partners)]
    statuses: dict[int, str | None] = {
        who: STATUSES[n % len(STATUSES)] for n, who in enumerate(ids)
    }
    if without_status is not None:
        statuses[ids[without_status]] = None
    set_company(engine)
    make_period(engine, statuses)
    return ids


def _job(engine: Engine, finance: User) -> int:
    with Session(engine) as session:
        job = bulk.request_job(session, 1, language=Language.ru, site=SITE, actor=finance, now=NOW)
        assert job.id is not None
        return job.id


def _acts(engine: Engine) -> list[Document]:
    with Session(engine) as session:
        return list(session.exec(select(Document).order_by(Document.number)))


def _assert_gap_free(engine: Engine, expected: int) -> None:
    acts = _acts(engine)
    assert [d.number for d in acts] == list(range(1, expected + 1))
    assert len({d.subject for d in acts}) == expected  # no act twice
    with Session(engine) as session:
        counter = session.get(DocumentCounter, ("act", "7701000001", NOW.year))
        assert counter is not None and counter.last_number == expected
        assert session.exec(select(DocumentReservation)).all() == []


def test_a_job_issues_every_act_once_in_payee_order_and_lists_the_refused(
    engine: Engine, finance: User
) -> None:
    ids = _period(engine, 6, without_status=2)
    job_id = _job(engine, finance)
    with Session(engine) as session:  # a second request gets the unfinished job
        again = bulk.request_job(
            session, 1, language=Language.ru, site=SITE, actor=finance, now=NOW
        )
        assert again.id == job_id and again.total == 6 and again.status == "queued"
    done = bulk.run_job(engine, job_id, processes=2, clock=lambda: NOW)
    assert (done.status, done.total, done.done, done.failed) == ("done", 6, 5, 1)
    [failure] = bulk.failures_of(done)
    assert failure["distributor_id"] == ids[2] and failure["code"] == "tax_status_unknown"
    _assert_gap_free(engine, 5)
    acts = _acts(engine)
    assert [d.distributor_id for d in acts] == [who for who in ids if who != ids[2]]
    for act in acts:  # the render processes' bytes are the stored data's, as on demand
        assert service.rerender(act) == act.pdf
        assert act.issued_at == NOW and act.issued_by == finance.id
    with Session(engine) as session:  # a finished job lets a new one start
        assert bulk.unfinished_job(session, 1, Language.ru) is None


def test_acts_amounts_equal_the_anchored_statement(engine: Engine, finance: User) -> None:
    _period(engine, 5)
    bulk.run_job(engine, _job(engine, finance), processes=1, clock=lambda: NOW)
    acts = _acts(engine)
    with Session(engine) as session:
        payees = {p.distributor_id: p for p in session.exec(select(PeriodPayee))}
        for act in acts:
            fields = json.loads(act.data)["fields"]
            payee = payees[act.distributor_id or 0]
            lines = session.exec(
                select(PeriodLine.amount).where(PeriodLine.payee == act.distributor_id)
            ).all()
            assert fields["gross"] == payee.gross == sum(lines)
            assert sum(line["amount"] for line in fields["lines"]) == payee.earned
            assert fields["net"] == payee.payout == fields["leaf"]["amount"]
        gross = sum(json.loads(a.data)["fields"]["gross"] for a in acts)
        assert gross == sum(p.gross for p in payees.values())


def test_request_refusals(engine: Engine, finance: User) -> None:
    with Session(engine) as session:
        with pytest.raises(NotFound):
            bulk.request_job(session, 9, language=Language.ru, site=SITE, actor=finance, now=NOW)
    add_partner(engine, "Only", "One")
    make_period(engine, {2: "individual"}, status="approved")
    with Session(engine) as session:
        with pytest.raises(Conflict) as refused:
            bulk.request_job(session, 1, language=Language.ru, site=SITE, actor=finance, now=NOW)
        assert refused.value.code == "period_state"
        assert session.exec(select(ActsJob)).all() == []


def test_on_demand_issues_during_a_job_keep_the_series_gap_free(
    engine: Engine, finance: User
) -> None:
    ids = _period(engine, 10)
    job_id = _job(engine, finance)
    errors: list[BaseException] = []

    def on_demand(who: int) -> None:
        try:
            with Session(engine) as session:
                document = service.issue_act(
                    session, 1, who, language=Language.ru, actor=finance, now=NOW, site=SITE
                )
                assert document.distributor_id == who
        except BaseException as exc:  # reported below
            errors.append(exc)

    runner = threading.Thread(target=bulk.run_job, args=(engine, job_id), kwargs={"processes": 2})
    runner.start()
    clients = [threading.Thread(target=on_demand, args=(who,)) for who in ids[::3]]
    for n, client in enumerate(clients):
        time.sleep(0.3 * n)
        client.start()
    for thread in [*clients, runner]:
        thread.join(timeout=300)
    assert not errors, errors
    _assert_gap_free(engine, 10)
    for act in _acts(engine):
        assert service.rerender(act) == act.pdf


def test_an_on_demand_issue_of_a_reserved_act_takes_its_reserved_number(
    engine: Engine, finance: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _period(engine, 4)
    job_id = _job(engine, finance)
    # The job stops after taking its numbers (as if killed before its first render).
    monkeypatch.setattr(bulk, "_reservations", lambda session, job: [])
    bulk.run_job(engine, job_id, processes=1, clock=lambda: NOW)
    monkeypatch.undo()
    with Session(engine) as session:
        reserved = session.exec(
            select(DocumentReservation).where(DocumentReservation.distributor_id == ids[2])
        ).one()
        number = reserved.number
        document = service.issue_act(
            session,
            1,
            ids[2],
            language=Language.ru,
            actor=finance,
            now=datetime.now(UTC),
            site=SITE,
        )
        assert document.number == number == 3
        assert document.issued_at == NOW  # the date frozen with the number
    with Session(engine) as session:  # the next job writes the rest of the reserved numbers
        job = bulk.request_job(session, 1, language=Language.ru, site=SITE, actor=finance, now=NOW)
        assert job.id is not None
    bulk.run_job(engine, job.id, processes=1)
    _assert_gap_free(engine, 4)


RUNNER = """
import sys
import backend.db_models
from backend.core.db import make_engine
from backend.worker.acts import ActsJobs
ActsJobs(make_engine(sys.argv[1]), processes=2).run_once()
"""


def test_a_killed_worker_resumes_without_duplicates_or_gaps(engine: Engine, finance: User) -> None:
    _period(engine, 16)
    job_id = _job(engine, finance)
    url = engine.url.render_as_string(hide_password=False)
    worker = subprocess.Popen([sys.executable, "-c", RUNNER, url], cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while len(_acts(engine)) < 3:
            assert worker.poll() is None, "the worker ended before it was killed"
            assert time.monotonic() < deadline, "the worker wrote no act in time"
            time.sleep(0.05)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)  # the worker and its render processes
        worker.wait()
    written = len(_acts(engine))
    assert 3 <= written < 16  # killed mid-job
    with Session(engine) as session:
        job = session.get(ActsJob, job_id)
        assert job is not None and job.status == "running"
        assert len(session.exec(select(DocumentReservation)).all()) == 16 - written
    resumed = bulk.run_job(engine, job_id, processes=2)
    assert (resumed.status, resumed.done, resumed.failed) == ("done", 16, 0)
    _assert_gap_free(engine, 16)


def test_a_stopping_worker_leaves_the_job_to_its_successor(engine: Engine, finance: User) -> None:
    _period(engine, 6)
    job_id = _job(engine, finance)
    stopped = bulk.run_job(
        engine, job_id, processes=1, clock=lambda: NOW, stopping=lambda: len(_acts(engine)) >= 2
    )
    assert (stopped.status, stopped.done) == ("running", 2)
    with Session(engine) as session:
        assert len(session.exec(select(DocumentReservation)).all()) == 4
    resumed = bulk.run_job(engine, job_id, processes=1)
    assert (resumed.status, resumed.done) == ("done", 6)
    _assert_gap_free(engine, 6)


def test_concurrent_requests_make_one_job(engine: Engine, finance: User) -> None:
    _period(engine, 2)
    barrier = threading.Barrier(8)
    got: list[int | None] = []
    errors: list[BaseException] = []

    def press() -> None:
        try:
            with Session(engine) as session:
                barrier.wait(timeout=30)
                job = bulk.request_job(
                    session, 1, language=Language.en, site=SITE, actor=finance, now=NOW
                )
                got.append(job.id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with Session(engine) as session:
        (job,) = session.exec(select(ActsJob)).all()
    assert got == [job.id] * 8
