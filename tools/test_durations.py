"""Refresh tests/durations.json (seconds per test file) from a junit report of a full run:

    .venv/bin/pytest -n 2 --dist loadfile --junitxml=/tmp/junit.xml
    .venv/bin/python tools/test_durations.py /tmp/junit.xml

The root conftest.py orders the files slowest first from it, so the two workers finish together.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "durations.json"


def main(report: str) -> None:
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        classname = case.get("classname", "")
        parts = classname.split(".")
        # "tests.web.test_x" or "tests.web.test_x.TestClass": the file is the part up to test_*
        upto = next((i for i, p in enumerate(parts) if p.startswith("test_")), len(parts) - 1)
        path = "/".join(parts[: upto + 1]) + ".py"
        seconds[path] += float(case.get("time", "0") or 0)
    ordered = dict(sorted(((p, round(s, 1)) for p, s in seconds.items()), key=lambda kv: -kv[1]))
    OUT.write_text(json.dumps(ordered, indent=1) + "\n")
    total = sum(ordered.values())
    print(f"{len(ordered)} files, {total:.0f} s in all; the ten slowest:")
    for path, secs in list(ordered.items())[:10]:
        print(f"  {secs:8.1f}  {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tools/test_durations.py JUNIT_XML")
    main(sys.argv[1])
