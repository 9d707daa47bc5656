"""The open period's preview: the engine run on its inputs so far, stored as an estimate.

The same snapshot and engine as a compute (``backend.periods.compute``), but no package, no
status change and nothing for the chain: only the period's standings (kind ``preview``) and the
run's time. The worker refreshes it every ``LINEAGE_PREVIEW_MINUTES`` (`refresh_preview`),
finance or ops at any time with ``lineage period preview``; a page never runs it. When it cannot
run (no exchange rate yet, the previous period not approved, the engine refusing the inputs)
the reason is logged and kept on the period's run, so the dashboard can say why there is no
estimate; the standings an earlier preview stored stay, labelled with their time. A compute of
the period replaces the preview's rows, and a preview never overwrites a compute's.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select

from backend.core.config import Settings
from backend.core.db import begin_write, snapshot_read
from backend.core.errors import Conflict
from backend.periods.compute import period_rates
from backend.periods.models import Period, PeriodStatus, StandingKind, StandingRun
from backend.periods.service import get_period, load_company_plan
from backend.periods.snapshot import course_completions, snapshot
from backend.periods.standings import record_refusal, store_standings
from ledger.engine import run_period
from ledger.errors import LedgerError

log = logging.getLogger("lineage.periods.preview")

Status = Literal["stored", "refused", "fresh", "no_open_period"]


@dataclass(frozen=True)
class PreviewOutcome:
    period_id: int | None
    status: Status
    distributors: int = 0
    reason: str | None = None  # the refusal's code
    message: str | None = None


def open_period(session: Session) -> Period | None:
    query = select(Period).where(Period.status == PeriodStatus.open)
    return session.exec(query.order_by(col(Period.id).desc()).limit(1)).first()


def is_due(run: StandingRun | None, *, minutes: int, now: datetime) -> bool:
    """A preview is due when the open period has none, or its last attempt (stored or
    refused) is ``minutes`` old; a computed period's figures are never previewed over."""
    if run is None:
        return True
    if run.kind == StandingKind.computed:
        return False
    return run.attempted_at <= now - timedelta(minutes=minutes)


def refresh_preview(
    session: Session, settings: Settings, *, now: datetime, force: bool = False
) -> PreviewOutcome:
    """The worker's job: preview the open period when due (always with ``force``)."""
    period = open_period(session)
    if period is None:
        return PreviewOutcome(None, "no_open_period")
    run = session.get(StandingRun, period.id)
    if not force and not is_due(run, minutes=settings.preview_minutes, now=now):
        return PreviewOutcome(period.id, "fresh")
    period_id = period.id
    session.commit()  # end the read: the preview takes its own snapshot
    return run_preview(session, settings, period_id, now=now)


def run_preview(
    session: Session, settings: Settings, period_id: int, *, now: datetime
) -> PreviewOutcome:
    try:
        with snapshot_read(session):
            period = get_period(session, period_id)
            if period.status != PeriodStatus.open:
                return PreviewOutcome(period_id, "no_open_period")
            computations = period.computations
            plan = load_company_plan(settings)
            snap = snapshot(
                session, settings, period, plan=plan, completions=course_completions(session, plan)
            )
            inputs = replace(snap.inputs, rates=period_rates(session, plan, snap.inputs))
            try:
                result = run_period(plan=plan, inputs=inputs)
            except LedgerError as exc:
                raise Conflict(
                    f"the engine refused the period's inputs: {exc}", code="engine_refused"
                ) from None
    except Conflict as refused:
        session.rollback()
        log.warning("preview of period %s skipped: %s", period_id, refused.message)
        details = refused.details if isinstance(refused.details, dict) else {}
        detail = json.dumps({"message": refused.message, **details}, ensure_ascii=False)
        begin_write(session)
        record_refusal(session, period_id, code=refused.code, detail=detail, now=now)
        session.commit()
        return PreviewOutcome(period_id, "refused", reason=refused.code, message=refused.message)
    # The engine ran without a lock; a compute that landed meanwhile keeps its own figures.
    period = get_period(session, period_id, lock=True)
    if period.status != PeriodStatus.open or period.computations != computations:
        session.rollback()
        return PreviewOutcome(period_id, "no_open_period")
    run = store_standings(
        session,
        period_id,
        kind=StandingKind.preview,
        plan=plan,
        inputs=inputs,
        result=result,
        now=now,
    )
    session.commit()
    log.info("preview of period %s stored: %s distributors", period_id, run.distributors)
    return PreviewOutcome(period_id, "stored", distributors=run.distributors)


def refusal_details(run: StandingRun) -> dict[str, str]:
    """What `run_preview` kept about its last refusal (message, and e.g. the missing pair)."""
    if not run.refused_detail:
        return {}
    try:
        found = json.loads(run.refused_detail)
    except ValueError:
        return {"message": run.refused_detail}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
