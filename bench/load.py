"""Load: 100 concurrent users logging in, paging downlines, ordering, paying, reading statements.

    uv run python bench/load.py [--seconds 120] [--users 100] [--staff 6] [--think 1.0]
                                [--ramp 30] [--databases sqlite,postgres] [--log DIR]
                                [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/lineage_load]

For each database, starts `lineage run` on a fresh data folder (managed Ganache, the chain
writer, and the demo company: 2,000 distributors, three closed and paid periods). On PostgreSQL
the service gets a fresh database on the --postgres server (named after the URL's database plus
a random suffix), dropped afterwards. The admin then gives distributors of the last paid period
their own logins; the staff are the demo's admin, two finance users and auditor, plus finance
accounts up to --staff.

Then --users asyncio users (httpx, each with its own connection) arrive spread over the first
--ramp seconds and act until --seconds have passed, pausing a random 0..2x --think seconds
between requests like a person at a screen (--ramp 0: everyone logs in at the same moment):
  - a distributor logs in, then pages their downline (first page, the next page, a search),
    places orders (with an Idempotency-Key) and reads their statements of closed periods; they
    log in again after a session of 20-40 requests;
  - finance users pay the placed orders (the exact total, with an Idempotency-Key); all staff
    read any distributor's downline and statements.
Every answer other than the expected 200/201, and every transport error, counts as an error.
Bounded: no request starts after --seconds, the run is cut after --seconds + 120 s, and at most
--max-requests are sent. Traffic goes only to 127.0.0.1 (proxies from the environment ignored).
Prints a table per database (with the first error of each kind); the last line is JSON. Exits 1
when any request failed. --log DIR keeps each run's service log (load-<database>.log) there.

Logins: the service counts failed logins per (e-mail, address) over a window; every login here
uses the right password and all come from 127.0.0.1, so a throttle that counted per address
alone, or counted successes, would show up here as 429s on `login`. A login costs an argon2id
verify (64 MiB, ~0.1-0.2 s of CPU), so a wave of logins is the heaviest thing here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ADMIN_EMAIL = "admin@lineage.local"
ADMIN_PASSWORD = "bench-load-admin-password"
USER_PASSWORD = "bench-load-user-password"
DEMO_STAFF = [  # the demo company's staff logins (backend/dev/demo/company.py)
    ("finance@demo.lineage.local", "demo-finance-1", "finance"),
    ("checker@demo.lineage.local", "demo-finance-2", "finance"),
    ("auditor@demo.lineage.local", "demo-auditor", "auditor"),
]
KINDS = ["login", "downline", "order", "payment", "statement"]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lineage_load"
SEARCHES = ["anna", "ivan", "olga", "demo", "vera", "sam"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the service ------------------------------------------------------------------------------


def start_service(
    data_dir: Path, log: Path, database_url: str | None
) -> tuple[subprocess.Popen[bytes], str]:
    port, chain_port = free_port(), free_port()
    env = {**os.environ, "LINEAGE_ADMIN_PASSWORD": ADMIN_PASSWORD}
    for name in ("LINEAGE_CHAIN_KEY", "LINEAGE_RPC_URL", "LINEAGE_DATABASE_URL", "DATABASE_URL"):
        env.pop(name, None)
    if database_url is not None:
        env["LINEAGE_DATABASE_URL"] = database_url
    lineage = Path(sys.executable).parent / "lineage"
    command = [
        str(lineage), "run", "--data-dir", str(data_dir), "--host", "127.0.0.1",
        "--port", str(port), "--chain-port", str(chain_port),
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # the demo company takes ~25 s on SQLite
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"lineage run exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_service(process)
    raise SystemExit(f"lineage run did not come up:\n{log.read_text()[-3000:]}")


def stop_service(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pg_admin_dsn(url: str) -> tuple[str, str]:
    """(a psycopg DSN for the server's `postgres` database, the URL's database name)."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres")
    return admin.render_as_string(hide_password=False), parsed.database or "lineage_load"


def create_database(url: str) -> str:
    import psycopg
    from sqlalchemy import make_url

    admin, base = pg_admin_dsn(url)
    name = f"{base}_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    import psycopg
    from sqlalchemy import make_url

    admin, _ = pg_admin_dsn(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


# -- the company's logins ---------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    role: str
    distributor_id: int | None = None


@dataclass(frozen=True)
class Company:
    distributors: list[Login]
    staff: list[Login]
    closed_periods: list[int]
    distributor_ids: list[int]
    products: list[int]
    warehouses: list[int]


def prepare(url: str, users: int, staff: int) -> Company:
    """Logins for distributors who earned in the last closed period, and the staff."""
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
        token = client.post(
            "/api/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

        def pages(path: str, **params: str | int) -> list[dict[str, object]]:
            items: list[dict[str, object]] = []
            while True:
                answer = client.get(path, params={**params, "offset": len(items), "limit": 200})
                answer.raise_for_status()
                page = answer.json()["items"]
                items += page
                if len(page) < 200:
                    return items

        periods = pages("/api/periods")
        closed = [int(str(p["id"])) for p in periods if p["status"] not in ("open", "computed")]
        if not closed:
            raise SystemExit("the demo company has no closed period")
        active = [int(str(d["id"])) for d in pages("/api/distributors") if d["status"] == "active"]
        payees: dict[int, None] = {}
        for line in pages(f"/api/periods/{closed[-1]}/lines"):
            payees[int(str(line["payee"]))] = None
        active_set = set(active)
        chosen = [d for d in payees if d in active_set and d != 1]  # 1 is the company's root
        chosen += [d for d in active if d not in payees and d != 1]
        n_staff = max(len(DEMO_STAFF) + 1, staff)
        distributors = []
        for number in chosen[: max(0, users - n_staff)]:
            login = Login(f"load{number}@bench.lineage.local", USER_PASSWORD, "distributor", number)
            answer = client.post(
                "/api/users",
                json={
                    "email": login.email,
                    "full_name": f"Load {number}",
                    "role": "distributor",
                    "password": login.password,
                    "distributor_id": number,
                },
            )
            answer.raise_for_status()
            distributors.append(login)
        team = [Login(ADMIN_EMAIL, ADMIN_PASSWORD, "admin")]
        team += [Login(email, password, role) for email, password, role in DEMO_STAFF]
        for number in range(n_staff - len(team)):
            login = Login(f"finance{number}@bench.lineage.local", USER_PASSWORD, "finance")
            client.post(
                "/api/users",
                json={"email": login.email, "role": "finance", "password": login.password},
            ).raise_for_status()
            team.append(login)
        products = [int(str(p["id"])) for p in pages("/api/products") if p["active"]]
        warehouses = [int(str(w["id"])) for w in pages("/api/warehouses") if w["active"]]
    return Company(distributors, team, closed, active, products, warehouses)


# -- the users --------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    sent: int = 0


class Budget:
    def __init__(self, seconds: float, max_requests: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.left = max_requests

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


class User:
    def __init__(
        self,
        login: Login,
        url: str,
        company: Company,
        stats: Stats,
        budget: Budget,
        unpaid: asyncio.Queue[tuple[int, int, str]],
        think: float,
        rng: random.Random,
    ) -> None:
        self.login, self.company, self.stats, self.budget = login, company, stats, budget
        self.unpaid, self.think, self.rng = unpaid, think, rng
        self.client = httpx.AsyncClient(base_url=url, timeout=60, trust_env=False)
        self.cursor: str | None = None

    async def call(
        self, kind: str, method: str, path: str, expect: tuple[int, ...] = (200,), **kw: object
    ) -> httpx.Response | None:
        if not self.budget.take():
            return None
        self.stats.sent += 1
        self.stats.counts[kind] += 1
        started = time.perf_counter()
        try:
            answer = await self.client.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.fail(kind, f"{type(exc).__name__}: {exc}")
            return None
        self.stats.latencies[kind].append((time.perf_counter() - started) * 1000)
        if answer.status_code not in expect:
            self.fail(kind, f"{method} {path} -> {answer.status_code} {answer.text[:200]}")
            return None
        return answer

    def fail(self, kind: str, message: str) -> None:
        self.stats.errors[kind] += 1
        self.stats.examples.setdefault(kind, message)

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, 2 * self.think))

    async def log_in(self) -> bool:
        self.client.headers.pop("Authorization", None)
        answer = await self.call(
            "login",
            "POST",
            "/api/auth/token",
            data={"username": self.login.email, "password": self.login.password},
        )
        if answer is None:
            return False
        self.client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        return True

    async def run(self, ramp: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, ramp))
        try:
            while time.monotonic() < self.budget.deadline and self.budget.left > 0:
                if not await self.log_in():
                    await self.pause()
                    continue
                for _ in range(self.rng.randint(20, 40)):  # one session
                    await self.pause()
                    if time.monotonic() >= self.budget.deadline or self.budget.left <= 0:
                        return
                    await self.act()
                self.cursor = None
        finally:
            await self.client.aclose()

    async def act(self) -> None:
        raise NotImplementedError

    async def downline(self, distributor_id: int) -> None:
        params: dict[str, str | int] = {"limit": 50}
        roll = self.rng.random()
        if roll < 0.3 and self.cursor is not None:
            params["cursor"] = self.cursor
        elif roll < 0.5:
            params["q"] = self.rng.choice(SEARCHES)
        answer = await self.call(
            "downline", "GET", f"/api/distributors/{distributor_id}/downline", params=params
        )
        if answer is not None and "q" not in params:
            self.cursor = answer.json().get("next_cursor")

    async def statement(self, distributor_id: int) -> None:
        period = self.rng.choice(self.company.closed_periods)
        await self.call("statement", "GET", f"/api/periods/{period}/statements/{distributor_id}")


class Distributor(User):
    async def act(self) -> None:
        own = self.login.distributor_id
        assert own is not None
        roll = self.rng.random()
        if roll < 0.5:
            await self.downline(own)
        elif roll < 0.75:
            await self.statement(own)
        else:
            await self.order()

    async def order(self) -> None:
        products = self.rng.sample(self.company.products, self.rng.randint(1, 3))
        body = {
            "warehouse_id": self.rng.choice(self.company.warehouses),
            "lines": [{"product_id": p, "quantity": self.rng.randint(1, 3)} for p in products],
        }
        key = secrets.token_hex(16)
        answer = await self.call(
            "order", "POST", "/api/orders", (201,), json=body, headers={"Idempotency-Key": key}
        )
        if answer is not None:
            order = answer.json()
            self.unpaid.put_nowait(
                (int(order["id"]), int(order["total_amount"]), order["currency"])
            )


class Staff(User):
    async def act(self) -> None:
        if self.login.role == "finance" and not self.unpaid.empty() and self.rng.random() < 0.8:
            await self.pay(self.unpaid.get_nowait())
            return
        someone = self.rng.choice(self.company.distributor_ids)
        if self.rng.random() < 0.5:
            self.cursor = None
            await self.downline(someone)
        else:
            await self.statement(someone)

    async def pay(self, order: tuple[int, int, str]) -> None:
        order_id, amount, currency = order
        body = {"amount": amount, "currency": currency, "reference": f"load-{order_id}"}
        await self.call(
            "payment",
            "POST",
            f"/api/orders/{order_id}/payment",
            (201,),
            json=body,
            headers={"Idempotency-Key": f"pay-{order_id}"},
        )


async def drive(url: str, company: Company, args: argparse.Namespace) -> tuple[Stats, float, int]:
    stats = Stats()
    budget = Budget(args.seconds, args.max_requests)
    unpaid: asyncio.Queue[tuple[int, int, str]] = asyncio.Queue()
    rng = random.Random(args.seed)
    people: list[User] = [
        Staff(login, url, company, stats, budget, unpaid, args.think, random.Random(rng.random()))
        for login in company.staff
    ]
    people += [
        Distributor(
            login, url, company, stats, budget, unpaid, args.think, random.Random(rng.random())
        )
        for login in company.distributors
    ]
    started = time.monotonic()
    tasks = [asyncio.create_task(person.run(args.ramp)) for person in people]
    done, pending = await asyncio.wait(tasks, timeout=args.seconds + 120)
    for task in pending:  # cut: a request that has not answered in 2 minutes is an error
        task.cancel()
        stats.errors["cut"] += 1
    for task in done:
        if task.exception() is not None:
            stats.errors["client"] += 1
            stats.examples.setdefault("client", repr(task.exception()))
    return stats, time.monotonic() - started, unpaid.qsize()


# -- report -----------------------------------------------------------------------------------


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def summarize(stats: Stats, seconds: float) -> dict[str, object]:
    kinds: dict[str, dict[str, float | int]] = {}
    for kind in KINDS + sorted(set(stats.errors) - set(KINDS)):
        samples = stats.latencies.get(kind, [])
        kinds[kind] = {
            "count": stats.counts.get(kind, 0),
            "errors": stats.errors.get(kind, 0),
            "p50_ms": round(statistics.median(samples), 1) if samples else 0.0,
            "p95_ms": round(p95(samples), 1) if samples else 0.0,
            "max_ms": round(max(samples), 1) if samples else 0.0,
        }
    answered = sum(len(v) for v in stats.latencies.values())
    return {
        "requests": stats.sent,
        "per_s": round(answered / seconds, 1),
        "errors": sum(stats.errors.values()),
        "kinds": kinds,
        "error_examples": stats.examples,
    }


def print_table(
    database: str, company: Company, result: dict[str, object], args: argparse.Namespace
) -> None:
    print(
        f"\n{database}: {len(company.distributors) + len(company.staff)} users "
        f"({len(company.distributors)} distributors, {len(company.staff)} staff), "
        f"{args.seconds:.0f} s, think 0..{2 * args.think:.1f} s: "
        f"{result['requests']} requests, {result['per_s']}/s, {result['errors']} errors"
    )
    print(f"{'kind':<12}{'count':>8}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    kinds = result["kinds"]
    assert isinstance(kinds, dict)
    for kind, row in kinds.items():
        print(
            f"{kind:<12}{row['count']:>8}{row['errors']:>8}"
            f"{row['p50_ms']:>10.1f}{row['p95_ms']:>10.1f}{row['max_ms']:>10.1f}"
        )
    examples = result["error_examples"]
    assert isinstance(examples, dict)
    for kind, message in examples.items():
        print(f"  first {kind} error: {message}")


def run_one(database: str, args: argparse.Namespace) -> dict[str, object]:
    database_url = create_database(args.postgres) if database == "postgres" else None
    try:
        with tempfile.TemporaryDirectory(prefix="lineage-bench-load-") as tmp:
            log = Path(tmp) / "run.log"
            started = time.monotonic()
            service, url = start_service(Path(tmp) / "var", log, database_url)
            startup = time.monotonic() - started
            try:
                company = prepare(url, args.users, args.staff)
                stats, seconds, unpaid = asyncio.run(drive(url, company, args))
            finally:
                stop_service(service)
                if args.log is not None:
                    args.log.mkdir(parents=True, exist_ok=True)
                    (args.log / f"load-{database}.log").write_bytes(log.read_bytes())
    finally:
        if database_url is not None:
            drop_database(database_url)
    result = summarize(stats, seconds)
    result.update(
        database=database,
        users=len(company.distributors) + len(company.staff),
        seconds=round(seconds, 1),
        startup_s=round(startup, 1),
        unpaid_at_end=unpaid,
    )
    print_table(database, company, result, args)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--users", type=int, default=100, help="distributors + staff")
    parser.add_argument("--staff", type=int, default=6, help="admin, finance, auditor accounts")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between requests, s")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server (and name prefix)")
    parser.add_argument(
        "--ramp", type=float, default=30, help="users start (log in) spread over this many s"
    )
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--log", type=Path, help="keep the service's logs in this folder")
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not databases or set(databases) - {"sqlite", "postgres"}:
        parser.error("--databases takes sqlite, postgres or both")

    results = [run_one(database, args) for database in databases]
    errors = sum(int(str(r["errors"])) for r in results)
    summary = {
        "bench": "load",
        "seconds": args.seconds,
        "think_s": args.think,
        "errors": errors,
        "p95_ms": {
            str(r["database"]): {k: v["p95_ms"] for k, v in r["kinds"].items()}  # type: ignore[attr-defined]
            for r in results
        },
        "results": results,
    }
    print(json.dumps(summary))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
