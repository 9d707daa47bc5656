"""Server CPU per single enrollment: what one `POST /api/distributors` costs the service.

    .venv/bin/python bench/enroll_cpu.py [--posts 2000] [--clients 8] [--warmup 200]
                                         [--rounds 1] [--profile FILE]

Starts the app as `lineage run` serves it (the same uvicorn set-up, access log on) in a
subprocess on a fresh SQLite file, without a chain (the chain writer and Ganache are not
measured here), logs in, enrolls `--warmup` distributors, then `--posts` single POSTs from
`--clients` concurrent httpx clients. The server process reports its own CPU time
(`time.process_time()`, user + system, every thread) before and after the measured POSTs, so
client work on the same machine does not count; on Linux it is split between the event-loop
thread (HTTP, routing, validation, serialisation) and the others (the thread pool's database
work). CPU time still grows when other processes compete for the cores: on a busy machine take
several `--rounds` (the median is reported). `--profile FILE` attaches py-spy (`--gil`, raw
format) to the server for the measured POSTs. Prints a table; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

PASSWORD = "bench-admin-password"
ADMIN = "admin@lineage.local"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(data_dir: Path, port: int, control: tuple[int, int]) -> None:
    """The server side: bootstrap a fresh data folder and serve it as `lineage run` does.
    Each line read from the control pipe is answered with the process's CPU seconds so far
    (stdout and stderr carry the server's own log, access lines included)."""
    from backend.bootstrap import bootstrap
    from backend.cli.run import configure_logging, serve_app
    from backend.core.config import Settings
    from backend.main import create_app

    configure_logging()
    settings = Settings(data_dir=data_dir, admin_password=PASSWORD)
    bootstrap(settings)

    def report_cpu() -> None:
        with open(control[0]) as asks, open(control[1], "w") as answers:
            for _line in asks:
                answers.write(f"{time.process_time():.6f}\n")
                answers.flush()

    threading.Thread(target=report_cpu, daemon=True).start()
    serve_app(create_app(settings), host="127.0.0.1", port=port)


class Server:
    def __init__(self, data_dir: Path, port: int, log: Path) -> None:
        ask_read, ask_write = os.pipe()
        answer_read, answer_write = os.pipe()
        command = [
            sys.executable, __file__, "--serve", str(data_dir), "--port", str(port),
            "--control", f"{ask_read},{answer_write}",
        ]  # fmt: skip
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(ask_read, answer_write),
        )
        os.close(ask_read)
        os.close(answer_write)
        self._asks = open(ask_write, "w")  # noqa: SIM115 - open for the server's lifetime
        self._answers = open(answer_read)  # noqa: SIM115
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"server did not come up:\n{log.read_text()}")

    def cpu_seconds(self) -> float:
        self._asks.write("\n")
        self._asks.flush()
        return float(self._answers.readline())

    def loop_thread_cpu_seconds(self) -> float | None:
        """CPU seconds of the server's main thread, the event loop (Linux: the task whose id is
        the process id); None where /proc does not have it."""
        pid = self.process.pid
        try:
            stat = Path(f"/proc/{pid}/task/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # utime and stime are fields 14 and 15
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        for handle in (self._asks, self._answers, self._log):
            handle.close()


def enroll(url: str, headers: dict[str, str], *, first: int, count: int, clients: int) -> float:
    """`count` single POSTs from `clients` threads; returns the wall seconds."""
    numbers = iter(range(first, first + count))
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            while True:
                with lock:
                    number = next(numbers, None)
                if number is None:
                    return
                response = client.post(
                    "/api/distributors",
                    json={"first_name": f"Bench{number}", "last_name": "Enroll"},
                )
                if response.status_code != 201:
                    with lock:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} enrollments failed, e.g. {errors[0]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure this many times, report the median"
    )
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the measured POSTs")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--control", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        ask, answer = (int(fd) for fd in args.control.split(","))
        serve(args.serve, args.port, (ask, answer))
        return

    with tempfile.TemporaryDirectory(prefix="lineage-bench-enroll-cpu-") as tmp:
        server = Server(Path(tmp) / "var", free_port(), Path(tmp) / "server.log")
        spy: subprocess.Popen[bytes] | None = None
        try:
            token = httpx.post(
                f"{server.url}/api/auth/token", data={"username": ADMIN, "password": PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            enroll(server.url, headers, first=0, count=args.warmup, clients=args.clients)
            if args.profile is not None:
                spy = start_py_spy(server.process.pid, args.profile)
            rounds: list[tuple[float, float, float | None]] = []  # cpu s, wall s, loop cpu s
            for number in range(max(1, args.rounds)):
                loop_before = server.loop_thread_cpu_seconds()
                cpu_before = server.cpu_seconds()
                wall = enroll(
                    server.url,
                    headers,
                    first=args.warmup + number * args.posts,
                    count=args.posts,
                    clients=args.clients,
                )
                cpu = server.cpu_seconds() - cpu_before
                loop_after = server.loop_thread_cpu_seconds()
                loop = None if loop_before is None else (loop_after or 0.0) - loop_before
                rounds.append((cpu, wall, loop))
        finally:
            if spy is not None:
                spy.send_signal(2)
                spy.wait(timeout=60)
            server.stop()

    cpu, wall, loop = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
    cpu_ms = cpu / args.posts * 1000
    loop_ms = None if loop is None else loop / args.posts * 1000
    result = {
        "benchmark": "enroll_cpu",
        "posts": args.posts,
        "clients": args.clients,
        "warmup": args.warmup,
        "rounds": len(rounds),
        "server_cpu_ms_per_post": round(cpu_ms, 2),
        "server_cpu_ms_per_post_each_round": [round(r[0] / args.posts * 1000, 2) for r in rounds],
        "event_loop_thread_ms_per_post": None if loop_ms is None else round(loop_ms, 2),
        "server_cpu_share": round(cpu / wall, 2),
        "posts_per_s": round(args.posts / wall, 1),
        "target_cpu_ms_per_post": 4.0,
    }
    rows = [
        ("single POSTs", f"{args.posts} ({args.clients} clients, after {args.warmup} warm-up)"),
        ("server CPU per POST", f"{cpu_ms:.2f} ms (target <= 4 ms)"),
        ("rounds (median taken)", " ".join(f"{r[0] / args.posts * 1000:.2f}" for r in rounds)),
        ("server CPU busy", f"{cpu / wall:.2f} cores"),
        *(
            []
            if loop_ms is None
            else [("event loop / other threads", f"{loop_ms:.2f} / {cpu_ms - loop_ms:.2f} ms")]
        ),
        ("wall rate", f"{args.posts / wall:.0f} POSTs/s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(result))


def start_py_spy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("py-spy") or "/tmp/spy/bin/py-spy"
    command = [binary, "record", "--gil", "--rate", "500", "--format", "raw"]
    command += ["--output", str(out), "--pid", str(pid)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches before the measured POSTs start
    return spy


if __name__ == "__main__":
    main()
