"""The worker's periodic job: refresh the open period's preview (the dashboard's estimates).

It runs beside the chain writer wherever the writer runs (`lineage run`, `lineage worker`),
inside the same single-writer lease, so one process per database previews. Every `poll`
seconds it asks the periods service whether a preview is due (``LINEAGE_PREVIEW_MINUTES``
since the last attempt) and runs it if so, on its own thread: an engine run of a large company
takes seconds and must not hold up the chain writer's rounds. A failing round is logged and
tried again at the next due time; it never stops the worker. Before its first round it makes
the report summaries of periods computed before they existed (`make_missing`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.core.config import Settings
from backend.periods.member_sales import make_missing
from backend.periods.preview import PreviewOutcome, refresh_preview

log = logging.getLogger("lineage.worker.preview")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PreviewJob:
    """`start()`/`stop()` a daemon thread, or call `run_once()` (tests, the CLI)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = _utc_now,
        poll: float = 60.0,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, *, force: bool = False) -> PreviewOutcome:
        with Session(self.engine) as session:
            return refresh_preview(session, self.settings, now=self.clock(), force=force)

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="period-preview", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def make_summaries(self) -> list[int]:
        """The report summaries of periods computed before they existed (once, at start)."""
        with Session(self.engine) as session:
            return make_missing(session, self.settings)

    def _loop(self) -> None:
        # The first look waits one poll: a server that just started serves before it computes.
        if self._stop.wait(self.poll):
            return
        try:
            made = self.make_summaries()
            if made:
                log.info("report summaries made for periods %s", made)
        except Exception:  # noqa: BLE001 - the reports make them on first read instead
            log.exception("report summaries could not be made; the reports make them")
        while True:
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the job never dies of one bad round
                log.exception("preview round failed; tried again when next due")
            if self._stop.wait(self.poll):
                return
