"""`lineage bench engine`: the period engine on a synthetic company, timed stage by stage.

Builds a seeded synthetic company (``ledger.synthetic``), runs the plan, builds the package
(Merkle root included) and writes it to disk. Prints seconds per stage, the total (everything
after the synthetic company exists), peak RSS and distributors per second; the last line is
JSON with ``total_seconds``, ``peak_rss_mb``, ``distributors``, ``orders``.
"""

from __future__ import annotations

import json
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from backend.cli._memory import keep_freed_memory

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Benchmarks (each prints a table, then one JSON line)."""


DEFAULT_PLAN = Path(__file__).resolve().parents[2] / "ledger" / "plans" / "binary_hybrid.toml"


def run_engine_bench(
    *, distributors: int, orders: int, plan_path: Path, out: Path | None, seed: int = 0
) -> dict[str, Any]:
    # Imported here: numpy and the engine are not needed to parse arguments.
    from backend.packages import PackageWriter
    from ledger.package import build_package
    from ledger.plan import load_plan
    from ledger.synthetic import synthetic_company

    plan = load_plan(plan_path.read_bytes(), source=str(plan_path))
    started = time.perf_counter()
    inputs = synthetic_company(distributors=distributors, orders=orders, seed=seed)
    synth_seconds = time.perf_counter() - started

    stages: list[tuple[str, float, float]] = []
    t0, c0 = time.perf_counter(), time.process_time()
    last, last_cpu = t0, c0

    def on_stage(name: str) -> None:
        nonlocal last, last_cpu
        now, cpu = time.perf_counter(), time.process_time()
        stages.append((name, now - last, cpu - last_cpu))
        last, last_cpu = now, cpu

    target = out or Path(tempfile.mkdtemp(prefix="lineage-bench-")) / "package"
    try:
        with PackageWriter(target) as writer:
            files = build_package(
                plan=plan, inputs=inputs, on_stage=on_stage, on_file=writer.add, keep=False
            )
        on_stage("rest of disk writes")
        size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
    finally:
        if out is None:
            shutil.rmtree(target.parent, ignore_errors=True)
    total = time.perf_counter() - t0
    total_cpu = time.process_time() - c0
    manifest = json.loads(files["manifest.json"])
    return {
        "stages": stages,
        "synthetic_seconds": synth_seconds,
        "total_seconds": round(total, 3),
        "cpu_seconds": round(total_cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "distributors": distributors,
        "orders": orders,
        "distributors_per_second": round(distributors / total) if total else None,
        "package_mb": round(size / 2**20, 1),
        "leaves": manifest["leafCount"],
        "payout_root": manifest["payoutRoot"],
    }


def print_report(report: dict[str, Any]) -> None:
    typer.echo(f"{'stage':<22} {'seconds':>9} {'cpu s':>9}")
    typer.echo(f"{'(synthetic company)':<22} {report['synthetic_seconds']:>9.3f}  not in total")
    for name, seconds, cpu in report["stages"]:
        typer.echo(f"{name:<22} {seconds:>9.3f} {cpu:>9.3f}")
    typer.echo(f"{'total':<22} {report['total_seconds']:>9.3f} {report['cpu_seconds']:>9.3f}")
    typer.echo(
        f"peak RSS {report['peak_rss_mb']} MB, {report['distributors_per_second']:,} "
        f"distributors/s, package {report['package_mb']} MB, {report['leaves']:,} leaves "
        "(cpu s: this process's threads; the Merkle hasher's worker processes are not in it)"
    )
    summary = {k: report[k] for k in ("total_seconds", "peak_rss_mb", "distributors", "orders")}
    summary["distributors_per_second"] = report["distributors_per_second"]
    summary["cpu_seconds"] = report["cpu_seconds"]
    summary["payout_root"] = report["payout_root"]
    typer.echo(json.dumps(summary, sort_keys=True))


@app.command()
def engine(
    distributors: Annotated[int, typer.Option(min=1)] = 1_000_000,
    orders: Annotated[int, typer.Option(min=0)] = 5_000_000,
    plan: Annotated[Path | None, typer.Option(help="plan TOML (default: binary hybrid)")] = None,
    out: Annotated[Path | None, typer.Option(help="keep the package here")] = None,
    seed: int = 0,
) -> None:
    """Time a period run of a synthetic company, package and Merkle root included."""
    keep_freed_memory()
    print_report(
        run_engine_bench(
            distributors=distributors,
            orders=orders,
            plan_path=plan or DEFAULT_PLAN,
            out=out,
            seed=seed,
        )
    )
