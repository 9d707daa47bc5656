"""The one chain-job queue (place, anchor, fund, pay, attest): domains enqueue, the worker
reports back.

    from backend import chain_jobs
    chain_jobs.enqueue(session, chain_jobs.PlaceJob(id=7, sponsor=1, parent=3, position=0))

Below the domains that enqueue, above nothing but `backend.core`.
"""

from backend.chain_jobs.models import (
    AnchorJob,
    AttestJob,
    ChainIntentPublic,
    ChainIntentsPublic,
    ChainJob,
    FundJob,
    JobKind,
    JobStatus,
    PayJob,
    PlaceJob,
)
from backend.chain_jobs.service import (
    enqueue,
    enqueue_now,
    intents_public,
    list_jobs,
    mark_confirmed,
    mark_failed,
    mark_sent,
    pending,
    queued,
    requeue,
    sent,
)

__all__ = [
    "AnchorJob",
    "AttestJob",
    "ChainIntentPublic",
    "ChainIntentsPublic",
    "ChainJob",
    "FundJob",
    "JobKind",
    "JobStatus",
    "PayJob",
    "PlaceJob",
    "enqueue",
    "enqueue_now",
    "intents_public",
    "list_jobs",
    "mark_confirmed",
    "mark_failed",
    "mark_sent",
    "pending",
    "queued",
    "requeue",
    "sent",
]
