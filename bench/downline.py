"""Downline page latency on PostgreSQL: a downline of ~100,000 in a database of 1,000,000.

    uv run python bench/downline.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench]
                                    [--distributors 1000000] [--downline 100000] [--runs 200]

Creates (once) the database named in the URL, migrates it with the service's migrations and
loads a random binary placement tree (each newcomer descends at random from a random earlier
distributor to the first free slot: depth ~ log n, like a company with spillover). Then it times
the service's downline query (`backend.genealogy.queries.downline_page`) and the HTTP endpoint
for the distributor whose downline is closest to --downline: first pages, deep keyset pages,
depth-limited pages, searches. Prints a table; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import make_url  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend.accounts.models import User
from backend.bootstrap import migrate, seed  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import Role
from backend.core.security import create_access_token, utcnow  # noqa: E402
from backend.genealogy.models import Distributor
from backend.genealogy.queries import downline_page
from backend.genealogy.tree_path import segment
from backend.main import create_app  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench"
FIRST = [
    "anna",
    "boris",
    "vera",
    "gleb",
    "daria",
    "egor",
    "irina",
    "kirill",
    "lena",
    "maxim",
    "nina",
    "oleg",
    "polina",
    "roman",
    "sofia",
    "timur",
    "ulyana",
    "fedor",
    "yana",
    "zakhar",
]
LAST = [
    "ivanov",
    "petrova",
    "sidorov",
    "smirnova",
    "kuznetsov",
    "popova",
    "vasiliev",
    "sokolova",
    "mikhailov",
    "novikova",
    "fedorov",
    "morozova",
    "volkov",
    "alekseeva",
    "lebedev",
    "semenova",
    "egorov",
    "pavlova",
    "kozlov",
    "stepanova",
    "nikolaev",
    "orlova",
    "andreev",
    "makarova",
    "zakharov",
    "zaitseva",
    "soloviev",
    "borisova",
    "yakovlev",
    "grigorieva",
]


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def build_tree(n: int, seed: int) -> tuple[list[int], list[int]]:
    """parent[i], position[i] for ids 1..n of a random binary tree (index 0 unused)."""
    rng = random.Random(seed)
    parent = [0] * (n + 1)
    position = [0] * (n + 1)
    children = [[0, 0] for _ in range(n + 1)]
    for node in range(2, n + 1):
        at = rng.randint(1, node - 1)
        while True:
            free = [p for p in (0, 1) if children[at][p] == 0]
            if free:
                pos = free[0] if len(free) == 1 else rng.randint(0, 1)
                break
            at = children[at][rng.randint(0, 1)]
        children[at][pos] = node
        parent[node], position[node] = at, pos
    return parent, position


def load(url: str, n: int, seed: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    raw = make_url(url).render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(raw) as conn:
        count = conn.execute("SELECT count(*) FROM distributor").fetchone()
        if count and count[0] == n:
            return
        conn.execute(
            "TRUNCATE chain_job, genealogy_state, placement, distributor RESTART IDENTITY CASCADE"
        )
        started = time.perf_counter()
        parent, position = build_tree(n, seed)
        paths: list[bytes] = [b""] * (n + 1)
        depths = [0] * (n + 1)
        rng = random.Random(seed + 1)
        with conn.cursor() as cur:
            with cur.copy(
                "COPY distributor (id, first_name, last_name, email, sponsor_id, referral_code,"
                " status, search_name, tree_path, tree_depth, enrolled_at, status_changed_at)"
                " FROM STDIN"
            ) as copy:
                for node in range(1, n + 1):
                    up = parent[node]
                    paths[node] = (paths[up] if up else b"") + segment(node)
                    depths[node] = depths[up] + 1 if up else 0
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    email = f"d{node}@example.com"
                    copy.write_row(
                        (
                            node,
                            first,
                            last,
                            email,
                            up or None,
                            f"R{node:07d}",
                            "active" if node % 10 else "inactive",
                            f"{first} {last} {email}",
                            paths[node],
                            depths[node],
                            "2026-01-01T00:00:00Z",
                            "2026-01-01T00:00:00Z",
                        )
                    )
            with cur.copy(
                "COPY placement (distributor_id, sponsor_id, parent_id, position, strategy,"
                " chain_status, placed_at, seq) FROM STDIN"
            ) as copy:
                for node in range(1, n + 1):
                    up = parent[node]
                    copy.write_row(
                        (
                            node,
                            up or None,
                            up or None,
                            position[node] if up else 0,
                            "bench",
                            "confirmed",
                            "2026-01-01T00:00:00Z",
                            node,
                        )
                    )
            cur.execute("SELECT setval('distributor_id_seq', %s)", (n,))
            cur.execute("INSERT INTO genealogy_state (id, placement_seq) VALUES (1, %s)", (n,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE distributor")
        conn.execute("VACUUM ANALYZE placement")
        print(
            f"loaded {n:,} distributors in {time.perf_counter() - started:.0f} s", file=sys.stderr
        )


def pick_root(url: str, target: int) -> tuple[int, int]:
    raw = make_url(url).render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(raw) as conn:
        rows = conn.execute("SELECT distributor_id, parent_id FROM placement").fetchall()
    n = max(node for node, _ in rows)
    parent = [0] * (n + 1)
    for node, up in rows:
        parent[node] = up or 0
    size = [1] * (n + 1)
    for node in range(n, 1, -1):  # parents are always older (smaller id)
        size[parent[node]] += size[node]
    best = min(range(2, n + 1), key=lambda node: abs(size[node] - 1 - target))
    return best, size[best] - 1


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def _http(
    engine: Engine, root_id: int, cursors: list[str | None], args: argparse.Namespace
) -> dict[str, list[float]]:
    """The same pages through the API (auth, policy, scope check, JSON) with an admin token."""
    settings = Settings(data_dir=Path("var/bench"), secret_key="bench-secret-" + "x" * 32)
    seed(engine, settings)  # an admin account, if the bench database has none yet
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.role == Role.admin)).first()
        assert admin is not None and admin.id is not None
        admin_id = admin.id
    token = create_access_token(
        subject=admin_id, secret="bench-secret-" + "x" * 32, minutes=60, now=utcnow()
    )
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/distributors/{root_id}/downline"
    out: dict[str, list[float]] = {}
    with TestClient(create_app(settings, engine=engine)) as client:
        out["HTTP first page"] = timed(
            lambda: client.get(url, headers=headers).raise_for_status(), args.runs
        )
        rng = random.Random(args.seed + 2)
        samples = rng.sample(cursors[1:], min(args.runs, len(cursors) - 1))
        out["HTTP random deep page"] = [
            timed(
                lambda c=cursor: client.get(  # type: ignore[misc]
                    url, params={"cursor": c}, headers=headers
                ).raise_for_status(),
                1,
            )[0]
            for cursor in samples
        ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--distributors", type=int, default=1_000_000)
    parser.add_argument("--downline", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    ensure_database(args.url)
    load(args.url, args.distributors, args.seed)
    root_id, downline = pick_root(args.url, args.downline)
    engine = make_engine(args.url)
    results: dict[str, list[float]] = {}
    with Session(engine) as session:
        root = session.get(Distributor, root_id)
        assert root is not None

        def page(**kw: object) -> Callable[[], object]:
            params: dict[str, object] = {
                "max_depth": None,
                "q": None,
                "status": None,
                "limit": 50,
                "cursor": None,
            }
            params.update(kw)
            return lambda: downline_page(session, root, **params)  # type: ignore[arg-type]

        results["first page"] = timed(page(), args.runs)
        cursors: list[str | None] = [None]
        while len(cursors) < args.downline // 50:
            result = downline_page(
                session, root, max_depth=None, q=None, status=None, limit=50, cursor=cursors[-1]
            )
            if result.next_cursor is None:
                break
            cursors.append(result.next_cursor)
        rng = random.Random(args.seed)
        samples = rng.sample(cursors, min(args.runs, len(cursors)))
        results["random deep page"] = [timed(page(cursor=cursor), 1)[0] for cursor in samples]
        results["depth <= 3"] = timed(page(max_depth=3), args.runs)
        results["depth <= 10, deep page"] = timed(
            page(max_depth=10, cursor=cursors[len(cursors) // 2]), args.runs
        )
        results["search 'petrova'"] = timed(page(q="petrova"), args.runs)
        results["search 'anna ivanov'"] = timed(page(q="anna ivanov"), args.runs)
        results["search rare (no match)"] = timed(page(q="zzz-nobody"), max(10, args.runs // 10))
        results["status inactive"] = timed(page(status="inactive"), args.runs)
    results.update(_http(engine, root_id, cursors, args))
    engine.dispose()

    print(
        f"downline of {downline:,} (distributor {root_id}) in {args.distributors:,}, "
        f"PostgreSQL, 50 per page, {args.runs} runs"
    )
    print(f"{'query':<28}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    summary = {}
    for name, samples in results.items():
        p50 = statistics.median(samples)
        print(f"{name:<28}{p50:>10.2f}{p95(samples):>10.2f}{max(samples):>10.2f}")
        summary[name] = round(p95(samples), 2)
    pages = results["first page"] + results["random deep page"]
    http_pages = results["HTTP first page"] + results["HTTP random deep page"]
    print(
        json.dumps(
            {
                "bench": "downline",
                "distributors": args.distributors,
                "downline": downline,
                "page_p95_ms": round(p95(pages), 2),
                "http_page_p95_ms": round(p95(http_pages), 2),
                "page_max_ms": round(max(pages), 2),
                "p95_ms": summary,
                "target_p95_ms": 50,
            }
        )
    )


if __name__ == "__main__":
    main()
