"""Enrollment through the API to confirmed placement on Ganache: the sustained rate.

    uv run python bench/enroll.py [--distributors 3000] [--clients 8] [--batch N] [--anvil]

Starts `lineage run` on a fresh data folder (managed Ganache, brownie deploy, SQLite, the chain
writer), enrolls N distributors with concurrent HTTP clients, and waits until every placement is
confirmed on chain. The sustained rate is N / (first POST -> last placement confirmed). Then
checks every placement on chain against the API. Prints a table; the last line is JSON.
`--batch N` sends N enrollments per request (POST /api/distributors/batch, for imports and
sign-up peaks) instead of one per POST. `--anvil` runs the same against Anvil through
`lineage run --rpc`, for comparison: Ganache's EVM is the ceiling on the managed chain.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.chain.deployment import read_deployment  # noqa: E402
from backend.chain.gateway import ChainGateway  # noqa: E402

PASSWORD = "bench-admin-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Anvil's first default account (its well-known test mnemonic): a public test key.
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def start_anvil(port: int) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / "node_modules" / ".bin" / "anvil"), "--port", str(port),
        "--gas-limit", "30000000", "--enable-tx-gas-limit", "--silent",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    raise SystemExit("anvil did not start")


def start_service(
    data_dir: Path, port: int, chain_port: int, log: Path, *, external: bool
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LINEAGE_ADMIN_PASSWORD": PASSWORD}
    env.pop("LINEAGE_CHAIN_KEY", None)
    lineage = Path(sys.executable).parent / "lineage"
    command = [
        str(lineage), "run", "--data-dir", str(data_dir), "--port", str(port), "--no-demo",
    ]  # fmt: skip
    if external:
        command += ["--rpc", f"http://127.0.0.1:{chain_port}"]
        env["LINEAGE_CHAIN_KEY"] = ANVIL_KEY
    else:
        command += ["--chain-port", str(chain_port)]
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"lineage run exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"lineage run did not come up:\n{log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distributors", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1, help="enrollments per request")
    parser.add_argument("--anvil", action="store_true", help="Anvil via --rpc, not Ganache")
    args = parser.parse_args()
    total, clients, per_request = args.distributors, args.clients, max(1, args.batch)

    with tempfile.TemporaryDirectory(prefix="lineage-bench-enroll-") as tmp:
        data_dir = Path(tmp) / "var"
        port, chain_port = free_port(), free_port()
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        anvil = start_anvil(chain_port) if args.anvil else None
        service = start_service(
            data_dir, port, chain_port, Path(tmp) / "run.log", external=anvil is not None
        )
        startup = time.perf_counter() - started
        try:
            token = httpx.post(
                f"{url}/api/auth/token",
                data={"username": "admin@lineage.local", "password": PASSWORD},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}

            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            counter = iter(range(0, total, per_request))
            answered = [0]

            def person(number: int) -> dict[str, str]:
                return {"first_name": f"Bench{number}", "last_name": "Enroll"}

            def worker() -> None:
                with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
                    while True:
                        with lock:
                            first = next(counter, None)
                        if first is None:
                            return
                        numbers = range(first, min(first + per_request, total))
                        sent = time.perf_counter()
                        if per_request == 1:
                            response = client.post("/api/distributors", json=person(first))
                        else:
                            response = client.post(
                                "/api/distributors/batch", json=[person(n) for n in numbers]
                            )
                        elapsed = time.perf_counter() - sent
                        with lock:
                            latencies.append(elapsed)
                            answered[0] += len(numbers)
                            if response.status_code != 201:
                                errors.append(response.text[:200])

            samples: list[tuple[float, int]] = []
            t0 = time.perf_counter()
            threads = [threading.Thread(target=worker) for _ in range(clients)]
            for thread in threads:
                thread.start()
            enrolled_at: float | None = None
            while True:
                if enrolled_at is None and not any(t.is_alive() for t in threads):
                    enrolled_at = time.perf_counter() - t0
                chain = httpx.get(f"{url}/health", timeout=10).json()["chain"]
                queued = int(chain["queued_intents"] or 0)
                with lock:
                    done = answered[0]
                samples.append((time.perf_counter() - t0, done - queued))
                if enrolled_at is not None and queued == 0:
                    break
                time.sleep(0.25)
            confirmed_at = time.perf_counter() - t0
            if errors:
                raise SystemExit(f"{len(errors)} enrollments failed, e.g. {errors[0]}")

            # Every placement on chain equals the API's record.
            deployment = read_deployment(data_dir / "deployment.json")
            gateway = ChainGateway(f"http://127.0.0.1:{chain_port}", deployment)
            placements = []
            offset = 0
            while True:
                page = httpx.get(
                    f"{url}/api/distributors",
                    params={"offset": offset, "limit": 200},
                    headers=headers,
                ).json()["items"]
                if not page:
                    break
                placements.extend(item["placement"] for item in page)
                offset += len(page)
            on_chain = gateway.placements_of([p["distributor_id"] for p in placements])
            mismatches = sum(
                1
                for p, c in zip(placements, on_chain, strict=True)
                if p["chain_status"] != "confirmed"
                or c is None
                or (c.sponsor, c.parent, c.position)
                != (p["sponsor_id"] or 0, p["parent_id"] or 0, p["position"])
            )
        finally:
            service.send_signal(signal.SIGINT)
            service.wait(timeout=60)
            if anvil is not None:
                anvil.terminate()
                anvil.wait(timeout=30)
            # The writer logs each batch: how long the chain took, how long our bookkeeping.
            batches = [
                line.split(": chain ")[1]
                for line in (Path(tmp) / "run.log").read_text().splitlines()
                if "lineage.chain.writer: placed " in line
            ]

    chain_seconds = [float(b.split(" s,")[0]) for b in batches]
    own_seconds = [float(b.split("bookkeeping ")[1].split(" s")[0]) for b in batches]
    latencies.sort()
    rate = total / confirmed_at
    api_rate = total / (enrolled_at or confirmed_at)

    # Sustained: confirmations per second between the moments 10% and 90% were confirmed
    # (start-up and the tail cut; the writer confirms in batches, so take first crossings).
    def crossing(share: float) -> tuple[float, int]:
        return next((t, n) for t, n in samples if n >= share * total)

    (t10, n10), (t90, n90) = crossing(0.1), crossing(0.9)
    sustained = (n90 - n10) / (t90 - t10) if t90 > t10 else rate
    result = {
        "benchmark": "enroll",
        "chain": "anvil" if args.anvil else "ganache",
        "distributors": total,
        "clients": clients,
        "per_request": per_request,
        "startup_s": round(startup, 2),
        "api_enroll_per_s": round(api_rate, 1),
        "end_to_end_confirmed_per_s": round(rate, 1),
        "sustained_confirmed_per_s": round(sustained, 1),
        "p50_request_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_request_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "batches": len(batches),
        "chain_s_per_batch": round(sum(chain_seconds) / max(1, len(batches)), 2),
        "writer_own_s_per_batch": round(sum(own_seconds) / max(1, len(batches)), 3),
        "chain_mismatches": mismatches,
        "target_per_s": 200,
        "meets_target": bool(min(sustained, rate) >= 200 and mismatches == 0),
    }
    rows = [
        ("chain", result["chain"]),
        ("distributors enrolled", f"{total} ({clients} clients, {per_request} per request)"),
        ("service start (chain, deploy, db)", f"{startup:.1f} s"),
        ("all POSTs answered", f"{enrolled_at:.1f} s ({api_rate:.0f}/s)"),
        ("all placements confirmed", f"{confirmed_at:.1f} s ({rate:.0f}/s)"),
        ("sustained confirmation rate", f"{sustained:.0f}/s (target >= 200/s)"),
        ("request p50 / p95", f"{result['p50_request_ms']} / {result['p95_request_ms']} ms"),
        (
            "writer batches",
            f"{len(batches)}: chain {result['chain_s_per_batch']} s, "
            f"writer {result['writer_own_s_per_batch']} s per batch",
        ),
        ("chain vs API mismatches", str(mismatches)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
