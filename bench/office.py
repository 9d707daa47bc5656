"""Server time of the distributor's office pages: p95 over 200 requests on a large company.

    uv run python bench/office.py [--databases sqlite,postgres] [--runs 200]
        [--sqlite-distributors 100000] [--postgres-distributors 1000000]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench] [--payees 10000]

The company is `bench/downline.py`'s random binary tree (each newcomer brought by the person
they are placed under, so the sponsor tree is the placement tree): loaded by its loader into
PostgreSQL (once; 1,000,000 takes minutes), and into a SQLite file under var/bench/ the same
way. Every distributor gets standings in an approved period 1 (so each node shows PV, GV, rank
and activity), and the viewer, a distributor whose downline is closest to --downline, gets a
login, a statement of 50 lines and a payout leaf among --payees leaves.

Measured through the real app (`create_app`, FastAPI's TestClient, the viewer's session
cookie): the time around each request in process, i.e. the server's time plus the test
client's sub-millisecond call. Pages:
  - tree expansion: the children fragment htmx asks for, of a random person with a team (<= 50 ms)
  - search 10 levels down: the tree page searching the ID of a random person 10 levels below
    the viewer, which opens the path to them (<= 100 ms); the same by their name
  - statement, 50 lines: `/distributors/{id}/statements/1` (<= 100 ms)
  - the tree page as first opened (first level) and its legs strip (loaded after it), for context
  - dashboard: `/home` of the viewer (<= 100 ms)
`OFFICE_PAGES` below lists them, with `dashboard_pages`. Prints a table; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import downline  # noqa: E402  (the loader and the company it builds)
import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend.accounts.models import User  # noqa: E402
from backend.bootstrap import migrate  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.core.model_base import Role  # noqa: E402
from backend.core.security import create_access_token, utcnow  # noqa: E402
from backend.genealogy.tree_path import segment  # noqa: E402
from backend.main import create_app  # noqa: E402
from backend.periods.standings import ladder_json  # noqa: E402
from backend.web.sessions import SESSION_COOKIE  # noqa: E402
from ledger.merkle import PayoutTree  # noqa: E402
from ledger.plan import load_plan  # noqa: E402

SECRET = "bench-secret-" + "x" * 32
SQLITE_DIR = Path("var/bench")
TARGETS_MS = {
    "tree expansion": 50,
    "search 10 levels down (ID)": 100,
    "statement, 50 lines": 100,
    "dashboard": 100,
}
LINES = 50
START_DAY = 20454  # 2026-01-01
CHUNK = 20_000


@dataclass
class Company:
    """The loaded tree as the bench needs it: parent and depth per id (index 0 unused)."""

    n: int
    parent: list[int]
    depth: list[int]
    size: list[int]  # people in each subtree, the person included

    @classmethod
    def build(cls, n: int, seed: int) -> Company:
        parent, _ = downline.build_tree(n, seed)
        depth = [0] * (n + 1)
        for node in range(2, n + 1):  # parents are always older (smaller id)
            depth[node] = depth[parent[node]] + 1
        size = [1] * (n + 1)
        for node in range(n, 1, -1):
            size[parent[node]] += size[node]
        return cls(n, parent, depth, size)

    def viewer(self, target: int) -> int:
        return min(range(2, self.n + 1), key=lambda node: abs(self.size[node] - 1 - target))

    def below(self, viewer: int) -> list[int]:
        """Everyone in the viewer's downline (ids are younger than their ancestors)."""
        inside = [False] * (self.n + 1)
        inside[viewer] = True
        found = []
        for node in range(viewer + 1, self.n + 1):
            if inside[self.parent[node]]:
                inside[node] = True
                found.append(node)
        return found


# --- loading --------------------------------------------------------------------------------


def load_sqlite(path: Path, company: Company, seed: int) -> Engine:
    """The downline bench's company in a SQLite file (made once, then reused)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM distributor")).scalar()
    if count == company.n:
        return engine
    started = time.perf_counter()
    rng = random.Random(seed + 1)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    paths: list[bytes] = [b""] * (company.n + 1)
    _, position = downline.build_tree(company.n, seed)
    meta = sa.MetaData()
    meta.reflect(engine, only=["distributor", "placement", "genealogy_state"])
    people, placements = meta.tables["distributor"], meta.tables["placement"]
    with engine.begin() as conn:
        rows, places = [], []
        for node in range(1, company.n + 1):
            up = company.parent[node]
            paths[node] = (paths[up] if up else b"") + segment(node)
            first, last = rng.choice(downline.FIRST), rng.choice(downline.LAST)
            email = f"d{node}@example.com"
            rows.append(
                {
                    "id": node,
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "sponsor_id": up or None,
                    "referral_code": f"R{node:07d}",
                    "status": "active" if node % 10 else "inactive",
                    "search_name": f"{first} {last} {email}",
                    "tree_path": paths[node],
                    "tree_depth": company.depth[node],
                    "enrolled_at": moment,
                    "status_changed_at": moment,
                }
            )
            places.append(
                {
                    "distributor_id": node,
                    "sponsor_id": up or None,
                    "parent_id": up or None,
                    "position": position[node] if up else 0,
                    "strategy": "bench",
                    "chain_status": "confirmed",
                    "placed_at": moment,
                    "seq": node,
                }
            )
        for start in range(0, len(rows), CHUNK):
            conn.execute(people.insert(), rows[start : start + CHUNK])
        for start in range(0, len(places), CHUNK):
            conn.execute(placements.insert(), places[start : start + CHUNK])
        conn.execute(meta.tables["genealogy_state"].insert(), {"id": 1, "placement_seq": company.n})
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    took = time.perf_counter() - started
    print(f"loaded {company.n:,} distributors into SQLite in {took:.0f} s", file=sys.stderr)
    return engine


def load_postgres(url: str, company: Company, seed: int) -> Engine:
    downline.ensure_database(url)
    downline.load(url, company.n, seed)
    return make_engine(url)


PLAN = Path(__file__).resolve().parents[1] / "ledger" / "plans" / "binary_hybrid.toml"
STANDING_COLUMNS = (
    "distributor_id, pv, cv, gv, left_volume, right_volume, active, paid_rank, achieved_rank,"
    " prior_rank, new_in_team, top_leg, second_leg, next_gv, next_legs"
)
StandingRow = tuple[int, int, int, int, int, int, bool, int, int, int, int, int, int, int, int]


def standings_rows(n: int) -> Iterator[StandingRow]:
    """Each distributor's standing as `STANDING_COLUMNS` lists them, for 1..n: volumes, ranks
    and the dashboard's extras (highest rank before, new people, the two largest legs, GV
    counted for the next rank, legs holding its leg rank)."""
    for node in range(1, n + 1):
        pv = (node * 37) % 160
        gv = pv * (1 + node % 23)
        left, right = gv // 3, gv - gv // 3
        rank = node % 6
        yield (node, pv, pv, gv, left, right, pv >= 40, rank, rank, rank, node % 4) + (
            right,
            left,
            gv,
            node % 3,
        )


def fill_period(engine: Engine, company: Company, viewer: int, payees: int, seed: int) -> None:
    """An approved period 1 with standings for everyone, the viewer's 50 lines and a payout
    tree of `payees` leaves (the viewer's among them). Made once per database."""
    with engine.connect() as conn:
        done = conn.execute(sa.text("SELECT count(*) FROM period_standing")).scalar()
        has_lines = conn.execute(
            sa.text("SELECT count(*) FROM period_line WHERE payee = :v"), {"v": viewer}
        ).scalar()
    if done == company.n and has_lines == LINES:
        return
    started = time.perf_counter()
    rng = random.Random(seed + 3)
    others = rng.sample(range(2, company.n + 1), min(payees, company.n - 1))
    paid = sorted({viewer, *others})
    accounts = [f"0x{(0x1000 + node):040x}" for node in paid]
    amounts = [10_000_000 + node for node in paid]
    tree = PayoutTree.from_columns(
        period_id=1,
        indices=np.arange(len(paid), dtype=np.uint32),
        accounts=np.frombuffer(
            b"".join(bytes.fromhex(a[2:]) for a in accounts), dtype=np.uint8
        ).reshape(len(paid), 20),
        amounts=amounts,
    )
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for table in ("period_line", "period_payee", "period_standing", "standing_run"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.text("DELETE FROM period_transition"))
        conn.execute(sa.text("DELETE FROM period"))
        conn.execute(
            sa.text(
                "INSERT INTO period (id, start_day, end_day, status, computations, currency,"
                " exponent, payout_root, payout_total, leaf_count, opened_at, computed_at)"
                " VALUES (1, :start, :end, 'approved', 1, 'USDT', 6, :root, :total, :leaves,"
                " :now, :now)"
            ),
            {
                "start": START_DAY,
                "end": START_DAY + 30,
                "root": tree.root_hex,
                "total": sum(amounts),
                "leaves": len(paid),
                "now": now,
            },
        )
        conn.execute(
            sa.text(
                "INSERT INTO standing_run (period_id, kind, computed_at, attempted_at, plan_hash,"
                ' currency, exponent, distributors, "binary", ladder)'
                " VALUES (1, 'computed', :now, :now, :hash, 'USDT', 6, :n, :binary, :ladder)"
            ),
            {"now": now, "hash": "0x" + "0" * 64, "n": company.n, "binary": True}
            | {"ladder": ladder_json(load_plan(PLAN.read_text(), source=PLAN.name))},
        )
        source = list(company.below(viewer)[:LINES]) or [viewer]
        conn.execute(
            sa.text(
                "INSERT INTO period_line (period_id, line_no, bonus, source, level, currency,"
                " payee, base, rate, gross, amount, breakage) VALUES (1, :no, :bonus, :source,"
                " :level, 0, :payee, :base, :rate, :gross, :amount, :breakage)"
            ),
            [
                {
                    "no": i,
                    "bonus": 3,
                    "source": source[i % len(source)],
                    "level": 1 + i % 5,
                    "payee": viewer,
                    "base": 100 + i,
                    "rate": 50_000,
                    "gross": 5_000_000 + i,
                    "amount": 5_000_000 + i if i % 7 else 2_500_000,
                    "breakage": 0 if i % 7 else 2_500_000 + i,
                }
                for i in range(LINES)
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO period_payee (period_id, distributor_id, earned, clawback,"
                " balance_in, payout, balance_out, leaf_index, account, has_wallet)"
                " VALUES (1, :id, :amount, 0, 0, :amount, 0, :leaf, :account, true)"
            ),
            [
                {"id": node, "amount": amount, "leaf": leaf, "account": account}
                for leaf, (node, amount, account) in enumerate(
                    zip(paid, amounts, accounts, strict=True)
                )
            ],
        )
        if engine.dialect.name == "postgresql":
            raw = conn.connection.dbapi_connection
            assert raw is not None
            with raw.cursor() as cur:  # type: ignore[attr-defined]
                with cur.copy(
                    f"COPY period_standing (period_id, {STANDING_COLUMNS}, earned) FROM STDIN"
                ) as copy:
                    for row in standings_rows(company.n):
                        copy.write_row((1, *row, 0))
        else:
            names = [name.strip() for name in STANDING_COLUMNS.split(",")]
            insert = sa.text(
                f"INSERT INTO period_standing (period_id, {STANDING_COLUMNS}, earned)"
                f" VALUES (1, {', '.join(':' + name for name in names)}, 0)"
            )
            batch = []
            for row in standings_rows(company.n):
                batch.append(dict(zip(names, row, strict=True)))
                if len(batch) == CHUNK:
                    conn.execute(insert, batch)
                    batch = []
            if batch:
                conn.execute(insert, batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE period_standing")
    took = time.perf_counter() - started
    print(f"period 1 filled ({company.n:,} standings) in {took:.0f} s", file=sys.stderr)


def viewer_cookie(engine: Engine, viewer: int) -> str:
    """A login for the viewer (made once) and its session cookie, as the login form sets it."""
    email = f"viewer{viewer}@example.com"
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            user = User(
                email=email,
                role=Role.distributor,
                hashed_password="not-used-by-the-bench",
                distributor_id=viewer,
            )
            session.add(user)
            session.commit()
            session.refresh(user)
        assert user.id is not None
        return create_access_token(
            subject=user.id, version=user.token_version, secret=SECRET, minutes=120, now=utcnow()
        )


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficePage:
    name: str
    urls: Callable[[random.Random], str]  # one request's URL
    headers: dict[str, str] | None = None


def office_pages(company: Company, viewer: int, seed: int) -> list[OfficePage]:
    below = company.below(viewer)
    with_team = [node for node in below if company.size[node] > 1]
    deep = [node for node in below if company.depth[node] == company.depth[viewer] + 10]
    names = downline_names(seed, company.n)
    htmx = {"HX-Request": "true"}
    base = f"/distributors/{viewer}"
    pages = [
        OfficePage(
            "tree expansion",
            lambda rng: f"/distributors/{rng.choice(with_team)}/tree/children?kind=placement",
            htmx,
        ),
        OfficePage(
            "tree expansion, sponsor tree",
            lambda rng: f"/distributors/{rng.choice(with_team)}/tree/children?kind=sponsor",
            htmx,
        ),
        OfficePage(
            "search 10 levels down (ID)",
            lambda rng: f"{base}/tree?kind=placement&q={rng.choice(deep)}",
        ),
        OfficePage(
            "search 10 levels down (name)",
            lambda rng: f"{base}/tree?kind=placement&q={names[rng.choice(deep)]}",
        ),
        OfficePage("tree page, first open", lambda rng: f"{base}/tree"),
        OfficePage("legs strip (after the page)", lambda rng: f"{base}/tree/legs", htmx),
        OfficePage("statement, 50 lines", lambda rng: f"{base}/statements/1"),
    ]
    return pages + dashboard_pages(viewer)


def dashboard_pages(viewer: int) -> list[OfficePage]:
    """The viewer's dashboard (`/home`: tiles, rank card, estimate, team feed; <= 100 ms)."""
    return [OfficePage("dashboard", lambda rng: "/home")]


def downline_names(seed: int, n: int) -> list[str]:
    """Each id's "first last" as `downline.load` (and `load_sqlite`) drew them."""
    rng = random.Random(seed + 1)
    names = [""] * (n + 1)
    for node in range(1, n + 1):
        names[node] = f"{rng.choice(downline.FIRST)} {rng.choice(downline.LAST)}"
    return names


def measure(
    engine: Engine, pages: list[OfficePage], cookie: str, runs: int, seed: int
) -> dict[str, list[float]]:
    settings = Settings(data_dir=SQLITE_DIR / "office-data", secret_key=SECRET)  # type: ignore[arg-type]
    out: dict[str, list[float]] = {}
    with TestClient(create_app(settings, engine=engine)) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        for page in pages:
            rng = random.Random(seed + 5)
            samples = []
            for i in range(runs + 1):
                url = page.urls(rng)
                started = time.perf_counter()
                response = client.get(url, headers=page.headers)
                took = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{page.name}: {url} answered {response.status_code}")
                if i:  # the first request warms the caches
                    samples.append(took)
            out[page.name] = samples
    return out


@contextmanager
def company_on(kind: str, args: argparse.Namespace) -> Iterator[tuple[Engine, Company]]:
    n = args.sqlite_distributors if kind == "sqlite" else args.postgres_distributors
    company = Company.build(n, args.seed)
    if kind == "sqlite":
        engine = load_sqlite(SQLITE_DIR / f"office-{n}.db", company, args.seed)
    else:
        engine = load_postgres(args.url, company, args.seed)
    try:
        yield engine, company
    finally:
        engine.dispose()


def p95(samples: list[float]) -> float:
    return downline.p95(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--sqlite-distributors", type=int, default=100_000)
    parser.add_argument("--postgres-distributors", type=int, default=1_000_000)
    parser.add_argument("--url", default=downline.DEFAULT_URL)
    parser.add_argument("--downline", type=int, default=100_000, help="the viewer's downline")
    parser.add_argument("--payees", type=int, default=10_000, help="leaves of period 1")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    summary: dict[str, dict[str, object]] = {}
    for kind in args.databases.split(","):
        with company_on(kind, args) as (engine, company):
            target = min(args.downline, company.n // 2)
            viewer = company.viewer(target)
            fill_period(engine, company, viewer, args.payees, args.seed)
            cookie = viewer_cookie(engine, viewer)
            pages = office_pages(company, viewer, args.seed)
            results = measure(engine, pages, cookie, args.runs, args.seed)
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        print(
            f"\n{label}: {company.n:,} distributors; viewer {viewer} with "
            f"{company.size[viewer] - 1:,} below; {args.runs} requests per page"
        )
        print(f"{'page':<32}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'target':>9}")
        figures: dict[str, object] = {}
        for name, samples in results.items():
            goal = TARGETS_MS.get(name)
            print(
                f"{name:<32}{statistics.median(samples):>9.1f}{p95(samples):>9.1f}"
                f"{max(samples):>9.1f}{(f'<= {goal}' if goal else ''):>9}"
            )
            figures[name] = round(p95(samples), 1)
        summary[kind] = {
            "distributors": company.n,
            "viewer_downline": company.size[viewer] - 1,
            "p95_ms": figures,
            "met": all(
                float(figures[name]) <= goal  # type: ignore[arg-type]
                for name, goal in TARGETS_MS.items()
                if name in figures
            ),
        }
    print(json.dumps({"bench": "office", "runs": args.runs, "targets_ms": TARGETS_MS} | summary))


if __name__ == "__main__":
    main()
