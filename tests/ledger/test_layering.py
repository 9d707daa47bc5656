"""The ledger's layering, read from its source (ast): no import of the backend, no arrow from the
bonuses up to the engine, and no import cycle between the ledger's parts (``ledger.engine``,
``ledger.bonuses``, ``ledger.lines``, ``ledger._tree``, ... each counted as one part). And from
outside (the backend, benchmarks, scripts, tools, tests other than the ledger's own), only the
ledger's public names are used: no ``ledger._x`` module, no ``_name`` from a ledger module.

Every import counts, also those inside functions or under ``TYPE_CHECKING``: a layer that needs
a name from above to type-check is still the wrong way round. An import-linter contract for the
whole repository will say more; this keeps the ledger honest meanwhile.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "ledger"
OUTSIDE = ("backend", "bench", "scripts", "tools", "tests")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(LEDGER.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _private_ledger_imports(path: Path) -> Iterator[str]:
    """Names ``path`` takes from the ledger that start with ``_`` (modules or attributes)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            names: list[str] = []
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            modules = [node.module]
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in modules + names:
            parts = name.split(".")
            if parts[0] == "ledger" and any(part.startswith("_") for part in parts[1:]):
                yield name


def _is_module(name: str) -> bool:
    path = LEDGER.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, as an absolute dotted name."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            for alias in node.names:  # ``from ledger import _native`` imports a module
                if _is_module(f"{base}.{alias.name}"):
                    yield f"{base}.{alias.name}"


def _ledger_imports() -> dict[str, set[str]]:
    return {
        _module_name(path): set(_imports(path))
        for path in sorted(LEDGER.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _part(module: str) -> str | None:
    """``ledger.engine._report`` -> ``engine``; None for ``ledger`` itself and outside modules."""
    parts = module.split(".")
    return parts[1] if parts[0] == "ledger" and len(parts) > 1 else None


def _cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one node (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_scan_sees_the_ledger() -> None:
    imports = _ledger_imports()
    assert {"ledger.engine", "ledger.bonuses.binary", "ledger.merkle"} <= set(imports)
    assert "ledger.lines" in imports["ledger.engine"]
    assert "ledger._native" in imports["ledger.merkle"]  # ``from ledger import _native``


def test_the_ledger_imports_nothing_from_the_backend() -> None:
    wrong = {
        f"{module} imports {name}"
        for module, names in _ledger_imports().items()
        for name in names
        if name == "backend" or name.startswith("backend.")
    }
    assert not wrong, sorted(wrong)


def test_the_bonuses_import_nothing_from_the_engine() -> None:
    wrong = {
        f"{module} imports {name}"
        for module, names in _ledger_imports().items()
        if _part(module) == "bonuses"
        for name in names
        if _part(name) == "engine"
    }
    assert not wrong, sorted(wrong)


def test_no_import_cycle_between_the_ledgers_parts() -> None:
    graph: dict[str, set[str]] = {}
    for module, names in _ledger_imports().items():
        source = _part(module)
        if source is None:
            continue
        graph.setdefault(source, set()).update(
            target for target in map(_part, names) if target is not None and target != source
        )
    assert _cycles(graph) == []


def test_nothing_outside_the_ledger_uses_its_private_names() -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in OUTSIDE
        for path in sorted((ROOT / folder).rglob("*.py"))
        if ROOT / "tests" / "ledger" not in path.parents
        for name in _private_ledger_imports(path)
    }
    assert not wrong, sorted(wrong)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"engine": {"bonuses"}, "bonuses": {"engine", "lines"}, "lines": set()}) == [
        ["bonuses", "engine"]
    ]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_public_modules_are_listed_and_import() -> None:
    import importlib

    import ledger

    public = sorted(
        path.stem if path.suffix == ".py" else path.name
        for path in LEDGER.iterdir()
        if not path.name.startswith("_")
        and (path.suffix == ".py" or (path / "__init__.py").is_file())
    )
    assert sorted(ledger.__all__) == public
    for name in public:
        module = importlib.import_module(f"ledger.{name}")
        for attr in getattr(module, "__all__", ()):  # a name it defines, or a submodule
            assert hasattr(module, attr) or _is_module(f"ledger.{name}.{attr}"), (name, attr)
