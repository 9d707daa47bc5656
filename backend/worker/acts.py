"""The worker's acts loop: runs the bulk acts jobs finance requests (`backend.documents.bulk`).

It runs beside the chain writer wherever the writer runs (`lineage run`, `lineage worker`),
inside the same single-writer lease, so one process per database issues a period's acts. Every
`poll` seconds it takes the oldest unfinished job and runs it to its end on its own thread (the
renders are in `processes` spawned processes): a job left ``running`` by a crashed worker is
resumed by the next one. A failing round is logged and tried again; it never stops the worker.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.documents import bulk

log = logging.getLogger("lineage.worker.acts")


class ActsJobs:
    """`start()`/`stop()` a daemon thread, or call `run_once()` (tests, the bench)."""

    def __init__(self, engine: Engine, *, processes: int = 2, poll: float = 2.0) -> None:
        self.engine = engine
        self.processes = processes
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int | None:
        """Run the oldest unfinished job to its end; its id, or None when there was none."""
        with Session(self.engine) as session:
            job = bulk.next_job(session)
            job_id = job.id if job is not None else None
        if job_id is None:
            return None
        bulk.run_job(self.engine, job_id, processes=self.processes, stopping=self._stop.is_set)
        return job_id

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="acts-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                while not self._stop.is_set() and self.run_once() is not None:
                    pass
            except Exception:  # noqa: BLE001 - the loop never dies of one bad job
                log.exception("acts job failed; tried again at the next poll")
