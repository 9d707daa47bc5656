"""One act of services on demand: the time from the request to the stored document (gather the
anchored statement, lock the series, render the PDF/A-3b, insert), p50 and p95 of 20 acts.

    uv run python bench/documents.py [--acts 20] [--lines 40]
    uv run python bench/documents.py --bulk 1000 [--processes 2] [--lines 40]

With ``--bulk N``: all acts of an N-partner period by the worker's job (`backend.documents.
bulk.run_job`: numbers reserved in payee order, then rendered in ``--processes`` processes),
printing acts/s, the total time, the peak RSS of this process and of its render processes,
and whether the numbers run 1..N once each. Target: 10,000 acts <= 30 minutes.

A fresh SQLite database (migrated), the company's details, an anchored period whose partners
each have ``--lines`` statement lines; each act is a different partner's, so every call issues
(none is the stored one). Also times a re-render from stored data and the second issue (the
stored document). Prints a table; the last line is JSON. Target: one act <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import migrate  # noqa: E402
from backend.company.models import CompanyRequisite  # noqa: E402
from backend.core.days import EPOCH  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import Language, Role  # noqa: E402
from backend.documents import bulk, service  # noqa: E402
from backend.documents.models import Document  # noqa: E402
from backend.genealogy.models import Distributor  # noqa: E402
from backend.periods.models import Period, PeriodLine, PeriodPayee  # noqa: E402
from ledger.plan import BONUS_TYPES  # noqa: E402

COMPANY = {
    "legal_name": "ООО «Линия»",
    "inn": "7701000001",
    "kpp": "770101001",
    "ogrn": "1027700000008",
    "legal_address": "г. Москва, ул. Примерная, д. 1",
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "account": "40702810938000012345",
    "corr_account": "30101810400000000225",
    "director": "Иванова А. Б.",
    "chief_accountant": "Петров В. Г.",
}
NOW = datetime(2026, 5, 14, 9, 30, tzinfo=UTC)
STATUSES = ("individual", "self_employed", "sole_proprietor", "company")


def world(engine: object, partners: int, lines: int) -> User:
    with Session(engine) as session:  # type: ignore[arg-type]
        user = User(email="finance@example.com", role=Role.finance, hashed_password="x")
        session.add(user)
        for name, value in COMPANY.items():
            session.add(CompanyRequisite(name=name, value=value, changed_at=NOW))
        for i in range(1, partners + 1):
            session.add(
                Distributor(
                    first_name=f"Партнёр{i}",
                    last_name="Тестовый",
                    referral_code=f"B{i:06d}",
                    search_name=f"partner {i}",
                )
            )
        session.add(
            Period(
                id=1,
                start_day=(date(2026, 4, 1) - EPOCH).days,
                end_day=(date(2026, 4, 30) - EPOCH).days,
                status="anchored",
                computations=1,
                payout_root="0x" + "ab" * 32,
                anchor_tx="0x" + "cd" * 32,
                currency="RUB",
                exponent=2,
            )
        )
        session.flush()
        line_no = 0
        for who in range(1, partners + 1):
            earned = 0
            for n in range(lines):
                line_no += 1
                amount = 10_000 + 37 * n + who
                session.add(
                    PeriodLine(
                        period_id=1,
                        line_no=line_no,
                        bonus=1 + n % len(BONUS_TYPES),
                        source=1,
                        level=1,
                        currency=0,
                        payee=who,
                        base=amount,
                        rate=1_000_000,
                        gross=amount,
                        amount=amount,
                        breakage=0,
                    )
                )
                earned += amount
            status = STATUSES[who % len(STATUSES)]
            withheld = earned * 13 // 100 if status == "individual" else 0
            session.add(
                PeriodPayee(
                    period_id=1,
                    distributor_id=who,
                    earned=earned,
                    clawback=0,
                    balance_in=0,
                    payout=earned - withheld,
                    balance_out=0,
                    leaf_index=who - 1,
                    account="0x" + f"{who:040x}",
                    has_wallet=True,
                    withheld=withheld,
                    gross=earned,
                    tax_status=status,
                    rail="token",
                )
            )
        session.commit()
        session.refresh(user)
        return user


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def _rss_mib(pid: int | str) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # the process ended between the listing and the read
        pass
    return 0.0


def _children() -> list[str]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = stat.read().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
            if parent == me:
                found.append(entry)
    return found


class Memory:
    """The resident memory of this process (the job) and of its largest child (a render
    process), sampled every half second from /proc while the job runs: a peak alone (getrusage)
    cannot tell a leak from a high start, and a spawned child's ru_maxrss starts at its
    parent's RSS at the fork."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float, float]] = []  # (seconds, job, largest render)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def __enter__(self) -> Memory:
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            renders = [_rss_mib(pid) for pid in _children()]
            self.samples.append(
                (time.perf_counter() - self._started, _rss_mib("self"), max(renders, default=0.0))
            )

    def at(self, fraction: float) -> tuple[float, float]:
        """(job, largest render) MiB at that fraction of the run's time."""
        if not self.samples:
            return 0.0, 0.0
        end = self.samples[-1][0]
        sample = min(self.samples, key=lambda s: abs(s[0] - fraction * end))
        return sample[1], sample[2]

    def peak(self) -> tuple[float, float]:
        return max((s[1] for s in self.samples), default=0.0), max(
            (s[2] for s in self.samples), default=0.0
        )


def run_bulk(partners: int, lines: int, processes: int) -> None:
    from sqlalchemy import func
    from sqlmodel import select

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        started = time.perf_counter()
        finance = world(engine, partners, lines)
        built = time.perf_counter() - started
        with Session(engine) as session:
            job = bulk.request_job(
                session, 1, language=Language.ru, site="https://office.example.com",
                actor=finance, now=NOW,
            )  # fmt: skip
            assert job.id is not None
        started = time.perf_counter()
        with Memory() as memory:
            done = bulk.run_job(engine, job.id, processes=processes)
        elapsed = time.perf_counter() - started
        with Session(engine) as session:
            numbers = session.exec(
                select(func.count(), func.min(Document.number), func.max(Document.number))
            ).one()
            distinct = session.exec(select(func.count(func.distinct(Document.subject)))).one()
        engine.dispose()
    gap_free = tuple(numbers) == (partners, 1, partners) and distinct == partners
    own, children = memory.peak()
    shape = {f"{round(f * 100)}%": memory.at(f) for f in (0.1, 0.5, 0.9)}
    rate = partners / elapsed
    at_10k = 10_000 / rate / 60
    print_table(
        [
            (
                "period",
                f"{partners} partners, {lines} statement lines each (built in {built:.0f} s)",
            ),
            ("render processes", str(processes)),
            ("acts issued", f"{done.done} (failed {done.failed})"),
            ("total time", f"{elapsed:.1f} s"),
            ("acts/s", f"{rate:.2f}"),
            ("peak RSS (job process)", f"{own:.0f} MiB"),
            ("peak RSS (largest render process)", f"{children:.0f} MiB"),
            *(
                (f"RSS at {when} of the run (job / render)", f"{job:.0f} / {render:.0f} MiB")
                for when, (job, render) in shape.items()
            ),
            ("numbers 1..N once each", str(gap_free)),
            ("10,000 acts at this rate", f"{at_10k:.1f} min"),
            ("target: 10,000 acts <= 30 min", "met" if at_10k <= 30 else "NOT met"),
        ]
    )
    print(
        json.dumps(
            {
                "bench": "documents_bulk",
                "partners": partners,
                "lines": lines,
                "processes": processes,
                "seconds": round(elapsed, 1),
                "acts_per_s": round(rate, 2),
                "peak_rss_mib": round(own),
                "peak_rss_render_mib": round(children),
                "rss_mib_job_render": {k: [round(a), round(b)] for k, (a, b) in shape.items()},
                "gap_free": gap_free,
                "minutes_at_10000": round(at_10k, 1),
                "target_met": at_10k <= 30,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--acts", type=int, default=20)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--bulk", type=int, default=0, help="all acts of an N-partner period")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    if args.bulk:
        run_bulk(args.bulk, args.lines, args.processes)
        return
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        migrate(engine)
        finance = world(engine, args.acts, args.lines)
        times: list[float] = []
        documents = []
        for who in range(1, args.acts + 1):
            with Session(engine) as session:
                started = time.perf_counter()
                document = service.issue_act(
                    session,
                    1,
                    who,
                    language=Language.ru if who % 2 else Language.en,
                    actor=finance,
                    now=NOW,
                    site="https://office.example.com",
                )
                times.append(time.perf_counter() - started)
                documents.append(document)
        again: list[float] = []
        rerender: list[float] = []
        same = True
        for document in documents[:5]:
            with Session(engine) as session:
                started = time.perf_counter()
                stored = service.issue_act(
                    session,
                    1,
                    int(document.distributor_id or 0),
                    language=Language(document.language),
                    actor=finance,
                    now=NOW,
                    site="https://office.example.com",
                )
                again.append(time.perf_counter() - started)
                started = time.perf_counter()
                same = same and service.rerender(stored) == stored.pdf
                rerender.append(time.perf_counter() - started)
        engine.dispose()
    first = times[0]
    p50, p95 = statistics.median(times), pct(times, 0.95)
    size = statistics.median(len(d.pdf) for d in documents)
    rows = [
        ("acts issued", f"{args.acts} ({args.lines} statement lines each)"),
        ("first act (imports, fonts)", f"{first * 1000:.0f} ms"),
        ("one act p50", f"{p50 * 1000:.0f} ms"),
        ("one act p95", f"{p95 * 1000:.0f} ms"),
        ("second issue (stored) p50", f"{statistics.median(again) * 1000:.1f} ms"),
        ("re-render p50", f"{statistics.median(rerender) * 1000:.0f} ms"),
        ("re-render = stored bytes", str(same)),
        ("PDF size p50", f"{size / 1024:.1f} KiB"),
        ("target: one act <= 1 s", "met" if p95 <= 1.0 else "NOT met"),
    ]
    print_table(rows)
    print(
        json.dumps(
            {
                "bench": "documents",
                "acts": args.acts,
                "lines": args.lines,
                "first_ms": round(first * 1000, 1),
                "p50_ms": round(p50 * 1000, 1),
                "p95_ms": round(p95 * 1000, 1),
                "stored_p50_ms": round(statistics.median(again) * 1000, 2),
                "rerender_p50_ms": round(statistics.median(rerender) * 1000, 1),
                "rerender_same_bytes": same,
                "pdf_bytes_p50": size,
                "target_met": p95 <= 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
