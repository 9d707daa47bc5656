"""The training core stays pure: no database, no web framework, no clock. import-linter checks
the project's own modules (pyproject.toml, `training-core-pure`); this checks the external
ones it cannot see (`include_external_packages` is off for the whole project)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "backend" / "training"
PURE = ["content.py", "errors.py", "gating.py", "markdown.py", "quiz.py"]
FORBIDDEN = ("sqlalchemy", "sqlmodel", "fastapi", "starlette", "backend.core.db", "web3")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("name", PURE)
def test_a_pure_module_imports_no_database_or_web(name: str) -> None:
    imports = _imports(PACKAGE / name)
    assert imports, "the parse found no import at all"
    bad = [m for m in imports if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


@pytest.mark.parametrize("name", PURE)
def test_a_pure_module_reads_no_clock(name: str) -> None:
    text = (PACKAGE / name).read_text()
    for call in (".now(", ".today(", "time.time(", "utcnow("):
        assert call not in text
