"""The writer's knobs, and the fault hook's exception (tests, the crash benchmark)."""

from __future__ import annotations

from dataclasses import dataclass


class WriterStopped(Exception):
    """Raised by a fault-injection hook to stop the writer on the spot (tests)."""


@dataclass
class WriterConfig:
    batch_size: int = 300
    idle_poll: float = 0.05
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    receipt_timeout: float = 120.0
    # How long a restarted writer waits for a sent but unmined transaction before replacing it.
    pending_grace: float = 5.0
