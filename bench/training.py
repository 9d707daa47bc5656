"""Server time of the mentor's view and of recording progress: p95 over 50 requests.

    uv run python bench/training.py [--databases sqlite,postgres] [--team 10000]
        [--outside 2000] [--runs 50]
        [--url postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench_training]

The company: a leader with --team people below them in the sponsor tree, all within ten levels
(each newcomer brought by a random member of the team less than ten levels down: a random
recursive tree, bushy near the top), and --outside people in another branch. The placement
tree is the sponsor tree (unlimited width). Everyone has the onboarding course with made-up
progress (steps done, the current step, last activity within 60 days or none, failed quizzes,
some completed); a few dozen are fresh, for the writes. Loaded once per database (a SQLite file
under var/bench/, a PostgreSQL database of its own: the office bench's `lineage_bench` is
reloaded whenever its company size differs, so sharing it would reload both); the training rows
are made again on every run.

Measured through the real app (`create_app`, TestClient, the leader's session cookie), the time
around each request in process:
  - the team view over the whole team (depth 10): sorted by name, the stuck filter sorted by
    days since, the failed-twice filter, a page deep in the list (<= 200 ms each)
  - the team view as first opened (depth 3), and one person's progress page, for context
and in the service: `complete_reading` of one step for a fresh person, its own transaction
(<= 20 ms). Prints a table; the last line is JSON.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import downline  # noqa: E402  (the database helpers and the percentile)
import office  # noqa: E402  (the leader's session cookie, as the office bench makes it)
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from backend.bootstrap import migrate  # noqa: E402
from backend.core.config import Settings  # noqa: E402
from backend.core.db import make_engine  # noqa: E402
from backend.genealogy.tree_path import segment  # noqa: E402
from backend.main import create_app  # noqa: E402
from backend.training import service as training  # noqa: E402
from backend.training.content import load_courses  # noqa: E402
from backend.training.models import TrainingCourse  # noqa: E402
from backend.web.sessions import SESSION_COOKIE  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/lineage_bench_training"
SQLITE_DIR = Path("var/bench")
TARGETS_MS = {
    "team, depth 10, by name": 200,
    "team, depth 10, stuck, by days": 200,
    "team, depth 10, failed twice": 200,
    "team, depth 10, page 100": 200,
    "complete_reading (service)": 20,
}
LEADER, OUTSIDE_TOP = 2, 3
MAX_LEVEL = 10
FRESH = 80  # people left without progress, for the writes
CHUNK = 5_000


@dataclass
class Company:
    """Sponsor per id (index 0 unused; 1 the company's root), level below the leader."""

    n: int
    sponsor: list[int]
    team: list[int]  # everyone below the leader

    @classmethod
    def build(cls, team: int, outside: int, seed: int) -> Company:
        rng = random.Random(seed)
        n = 3 + team + outside
        sponsor = [0] * (n + 1)
        sponsor[LEADER] = sponsor[OUTSIDE_TOP] = 1
        level = {LEADER: 0}
        open_ = [LEADER]  # team members less than MAX_LEVEL below the leader
        members = []
        for node in range(4, 4 + team):
            up = rng.choice(open_)
            sponsor[node], level[node] = up, level[up] + 1
            members.append(node)
            if level[node] < MAX_LEVEL:
                open_.append(node)
        for node in range(4 + team, n + 1):
            sponsor[node] = rng.randint(OUTSIDE_TOP, node - 1) if node > 4 + team else OUTSIDE_TOP
        return cls(n, sponsor, members)


def load_company(engine: Engine, company: Company, seed: int) -> None:
    """The distributors and their placements (once per database and company size)."""
    migrate(engine)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM distributor")).scalar()
    if count == company.n:
        return
    started = time.perf_counter()
    rng = random.Random(seed + 1)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    meta = sa.MetaData()
    meta.reflect(engine, only=["distributor", "placement", "genealogy_state", "chain_job"])
    people, places = meta.tables["distributor"], meta.tables["placement"]
    paths: list[bytes] = [b""] * (company.n + 1)
    depth = [0] * (company.n + 1)
    children = [0] * (company.n + 1)
    rows, placed = [], []
    for node in range(1, company.n + 1):
        up = company.sponsor[node]
        paths[node] = (paths[up] if up else b"") + segment(node)
        depth[node] = depth[up] + 1 if up else 0
        position = children[up] if up else 0
        if up:
            children[up] += 1
        first, last = rng.choice(downline.FIRST), rng.choice(downline.LAST)
        email = f"t{node}@example.com"
        rows.append(
            {
                "id": node,
                "first_name": first,
                "last_name": last,
                "email": email,
                "sponsor_id": up or None,
                "referral_code": f"T{node:07d}",
                "status": "active" if node % 10 else "inactive",
                "search_name": f"{first} {last} {email}",
                "tree_path": paths[node],
                "tree_depth": depth[node],
                "enrolled_at": moment,
                "status_changed_at": moment,
            }
        )
        placed.append(
            {
                "distributor_id": node,
                "sponsor_id": up or None,
                "parent_id": up or None,
                "position": min(position, 255),
                "strategy": "bench",
                "chain_status": "confirmed",
                "placed_at": moment,
                "seq": node,
            }
        )
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "TRUNCATE chain_job, genealogy_state, placement, distributor"
                    " RESTART IDENTITY CASCADE"
                )
            )
        for start in range(0, len(rows), CHUNK):
            conn.execute(people.insert(), rows[start : start + CHUNK])
            conn.execute(places.insert(), placed[start : start + CHUNK])
        conn.execute(meta.tables["genealogy_state"].insert(), {"id": 1, "placement_seq": company.n})
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('distributor_id_seq', :n)"), {"n": company.n})
    analyze(engine)
    took = time.perf_counter() - started
    print(f"loaded {company.n:,} distributors in {took:.0f} s", file=sys.stderr)


def analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")


def fill_training(engine: Engine, company: Company, now: datetime, seed: int) -> list[int]:
    """Everyone's onboarding with made-up progress (made again each run); the fresh people."""
    with Session(engine) as session:
        training.sync_repository_courses(session, now)
        course = session.exec(
            select(TrainingCourse).where(TrainingCourse.slug == "onboarding")
        ).one()
    onboarding = next(c for c in load_courses() if c.slug == "onboarding")
    steps = [s for s in onboarding.steps if s.required]
    rng = random.Random(seed + 2)
    fresh = set(rng.sample(company.team, FRESH))
    total = len(steps)
    rows = []
    for person in range(2, company.n + 1):
        assigned = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        done = 0 if person in fresh else rng.choice([0, 0, rng.randint(1, total), total])
        active = None
        if done and person not in fresh:
            active = assigned + (now - assigned) * rng.random()
        rows.append(
            {
                "distributor_id": person,
                "course_id": course.id,
                "reason": "signup",
                "assigned_at": assigned,
                "required_done": done,
                "required_total": total,
                "current_step": steps[done].id if done < total else None,
                "last_activity_at": active,
                "failed_quizzes": 0 if person in fresh else rng.choice([0, 0, 0, 1, 2, 3]),
                "completed_at": active if done == total else None,
            }
        )
    meta = sa.MetaData()
    tables = ["training_event", "training_step_state", "training_fact", "training_assignment"]
    meta.reflect(engine, only=tables)
    with engine.begin() as conn:
        for table in tables:
            conn.execute(meta.tables[table].delete())
        for start in range(0, len(rows), CHUNK):
            conn.execute(meta.tables["training_assignment"].insert(), rows[start : start + CHUNK])
    analyze(engine)
    return sorted(fresh)


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    name: str
    url: Callable[[random.Random], str]


def requests_of(company: Company) -> list[Request]:
    team = company.team
    return [
        Request("team, depth 10, by name", lambda rng: "/training/team?depth=10&sort=name"),
        Request(
            "team, depth 10, stuck, by days",
            lambda rng: "/training/team?depth=10&show=stuck&days=7&sort=days&desc=true",
        ),
        Request("team, depth 10, failed twice", lambda rng: "/training/team?depth=10&show=failed"),
        Request(
            "team, depth 10, page 100",
            lambda rng: "/training/team?depth=10&sort=progress&page=100",
        ),
        Request("team, as first opened (depth 3)", lambda rng: "/training/team"),
        Request(
            "a person's progress page",
            lambda rng: f"/distributors/{rng.choice(team)}/training",
        ),
    ]


def measure_pages(
    engine: Engine, company: Company, cookie: str, runs: int, seed: int
) -> dict[str, list[float]]:
    settings = Settings(
        data_dir=SQLITE_DIR / "training-data",
        secret_key=office.SECRET,  # type: ignore[arg-type]
        tree_width=0,
    )
    out: dict[str, list[float]] = {}
    with TestClient(create_app(settings, engine=engine)) as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        for request in requests_of(company):
            rng = random.Random(seed + 5)
            samples = []
            for i in range(runs + 1):
                url = request.url(rng)
                started = time.perf_counter()
                response = client.get(url)
                took = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{request.name}: {url} answered {response.status_code}")
                if i:  # the first request warms the caches
                    samples.append(took)
            out[request.name] = samples
    return out


def measure_reading(engine: Engine, fresh: list[int], runs: int) -> list[float]:
    """`complete_reading` of the first step for `runs` fresh people, one transaction each."""
    samples = []
    now = datetime.now(UTC)
    for i, person in enumerate(fresh[: runs + 1]):
        with Session(engine) as session:
            started = time.perf_counter()
            outcome = training.complete_reading(session, person, "onboarding", "company", now=now)
            took = (time.perf_counter() - started) * 1000
        assert outcome.progress.required_done == 1
        if i:
            samples.append(took)
    return samples


@contextmanager
def engine_for(kind: str, args: argparse.Namespace) -> Iterator[Engine]:
    if kind == "sqlite":
        SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        engine = make_engine(f"sqlite:///{SQLITE_DIR / f'training-{args.team}-{args.outside}.db'}")
    else:
        downline.ensure_database(args.url)
        engine = make_engine(args.url)
    try:
        yield engine
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--team", type=int, default=10_000, help="people below the leader")
    parser.add_argument("--outside", type=int, default=2_000, help="people in another branch")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    company = Company.build(args.team, args.outside, args.seed)
    summary: dict[str, dict[str, object]] = {}
    for kind in args.databases.split(","):
        with engine_for(kind, args) as engine:
            load_company(engine, company, args.seed)
            fresh = fill_training(engine, company, datetime.now(UTC), args.seed)
            cookie = office.viewer_cookie(engine, LEADER)
            results = measure_pages(engine, company, cookie, args.runs, args.seed)
            results["complete_reading (service)"] = measure_reading(engine, fresh, args.runs)
        label = "SQLite" if kind == "sqlite" else "PostgreSQL"
        print(
            f"\n{label}: {company.n:,} distributors; the leader has {len(company.team):,} below"
            f" (within {MAX_LEVEL} levels), one course each; {args.runs} requests per row"
        )
        print(f"{'request':<36}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'target':>9}")
        figures: dict[str, float] = {}
        for name, samples in results.items():
            goal = TARGETS_MS.get(name)
            print(
                f"{name:<36}{statistics.median(samples):>9.1f}{downline.p95(samples):>9.1f}"
                f"{max(samples):>9.1f}{(f'<= {goal}' if goal else ''):>9}"
            )
            figures[name] = round(downline.p95(samples), 1)
        summary[kind] = {
            "distributors": company.n,
            "team": len(company.team),
            "p95_ms": figures,
            "met": all(figures[name] <= goal for name, goal in TARGETS_MS.items()),
        }
    print(json.dumps({"bench": "training", "runs": args.runs, "targets_ms": TARGETS_MS} | summary))


if __name__ == "__main__":
    main()
