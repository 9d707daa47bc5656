"""Test order for the two-worker run (`make test-app`: pytest -n 2 --dist loadfile).

xdist hands a worker one test file at a time, in collection order, and by default reorders the
files by their number of tests, which puts the few-but-slow browser files last: the run then
ended with one worker alone on them for minutes. With ``--no-loadscope-reorder`` it keeps the
order given here instead: the slowest files first (longest processing time first), by the
seconds each file took in a measured run (`tests/durations.json`, refreshed with
`tools/test_durations.py` from a junit report). A file not listed there is weighed by its kind,
so a new browser file still starts early.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DURATIONS = Path(__file__).parent / "tests" / "durations.json"


def _unknown_weight(path: str) -> float:
    name = Path(path).name
    return 90.0 if name.startswith("test_browser") else 10.0


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    try:
        measured: dict[str, float] = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        return
    weights: dict[str, float] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path not in weights:
            weights[path] = measured.get(path, _unknown_weight(path))
    items.sort(key=lambda item: -weights[item.nodeid.split("::", 1)[0]])  # stable: files keep order
