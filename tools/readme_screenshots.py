"""The README's pictures of the web office, from the demo company as `make run` makes it.

    .venv/bin/python tools/readme_screenshots.py [--port 8765] [--chain-port 8766]

Starts `lineage run` on a fresh temporary data folder (the demo company on a managed Ganache),
logs in as the demo leader, finance and the auditor in Debian's chromium and saves
`docs/img/dashboard.png` (desktop), `docs/img/dashboard-phone.png` (360 px wide),
`docs/img/finance-period.png` and `docs/img/audit-package.png`. Exits non-zero with the
server's log when the server does not come up.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.dev.demo.company import AUDITOR, FINANCE, LEADER, DemoLogin  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]
OUT = ROOT / "docs" / "img"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--chain-port", type=int, default=8766)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = str(Path(folder) / "data")  # empty, so `lineage run` makes the demo company
        log_path = Path(folder) / "run.log"
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "lineage"), "run", "--data-dir", data]
                + ["--port", str(args.port), "--chain-port", str(args.chain_port)],
                cwd=ROOT,
                env=os.environ
                | {
                    "PYTHONUNBUFFERED": "1",
                    "PATH": f"{ROOT / 'node_modules' / '.bin'}:{os.environ['PATH']}",
                },
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                url = f"http://127.0.0.1:{args.port}"
                if not _up(url, server, log_path):
                    print(log_path.read_text(errors="replace"), file=sys.stderr)
                    return 1
                _shoot(url)
            finally:
                server.terminate()
                server.wait(timeout=30)
    return 0


def _up(url: str, server: subprocess.Popen[bytes], log: Path) -> bool:
    """The server answers and the demo company is complete (it prints the web office's
    address when its logins exist)."""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            answers = httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            answers = False
        if answers and "web office:" in log.read_text(errors="replace"):
            return httpx.get(f"{url}/p/demo-leader", timeout=5).status_code == 200
        time.sleep(1)
    return False


# (login, page, file, viewport, whole page)
SHOTS = (
    (LEADER, "/home", "dashboard.png", {"width": 1280, "height": 900}, True),
    (LEADER, "/home", "dashboard-phone.png", {"width": 360, "height": 780}, False),
    (FINANCE, "/finance/periods/1", "finance-period.png", {"width": 1280, "height": 1100}, False),
    (AUDITOR, "/audit/packages/1", "audit-package.png", {"width": 1280, "height": 1000}, False),
)


def _shoot(url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for login, path, name, size, whole in SHOTS:
            page = browser.new_context(base_url=url, viewport=size).new_page()
            _log_in(page, login)
            page.goto(path)
            page.screenshot(path=OUT / name, full_page=whole)
            print(f"saved {OUT / name}")
        browser.close()


def _log_in(page: Page, login: DemoLogin) -> None:
    page.goto("/login")
    page.fill("#email", login.email)
    page.fill("#password", login.password)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url("**/home")


if __name__ == "__main__":
    raise SystemExit(main())
