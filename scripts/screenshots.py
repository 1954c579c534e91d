"""Screenshots of the staff UI for docs/support.md, taken from the running demo.

Starts the demo as `make run` does, but in a temporary folder (SQLite, its own data dir) and
on a free loopback port: `dsr db upgrade`, `dsr demo`, a few of the test corpus's mails
through `dsr mail ingest`, then `dsr serve`. Through the JSON API it opens one request that
awaits review and approves the demo erasure; then Debian's Chromium (driven by Playwright,
as tests/ui/browser/ does) logs in and captures the pages into docs/img/*.png.

Run: `.venv/bin/python scripts/screenshots.py` (or `make screenshots`).
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import FloatRect, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DSR = Path(sys.executable).with_name("dsr")
OUT = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
MAX_BYTES = 200_000
MAILS = [  # a new ticket each, and two that wait in the triage inbox
    "en_access_plain.eml",
    "it_art17_erasure.eml",
    "de_auskunft_art15_latin1_qp.eml",
    "access_and_erasure.eml",
    "ambiguous_billing.eml",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dsr(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [str(DSR), *args], env=env, cwd=env["DEMO_DIR"], capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"dsr {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def _api(
    base: str, token: str, path: str, body: dict[str, object] | None = None
) -> dict[str, object]:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{base}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        result: dict[str, object] = json.load(answer)
        return result


@contextmanager
def _server(env: dict[str, str], port: int) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    log = open(Path(env["DEMO_DIR"]) / "serve.log", "w")  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603
        [str(DSR), "serve", "--port", str(port)],
        env=env,
        cwd=env["DEMO_DIR"],
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"dsr serve exited: see {log.name}")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for_status(base: str, token: str, reference: str, *wanted: str) -> None:
    for _ in range(120):
        if _api(base, token, f"/requests/{reference}")["status"] in wanted:
            return
        time.sleep(0.5)
    sys.exit(f"{reference} did not reach {wanted}")


def _save(page: Page, name: str) -> None:
    path = OUT / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    for height in (1400, 1200, 1000):  # a long page: its top is enough
        if path.stat().st_size <= MAX_BYTES:
            break
        clip = FloatRect(x=0, y=0, width=1280, height=height)
        page.screenshot(path=path, full_page=True, clip=clip)
    print(f"{path.relative_to(ROOT)}\t{path.stat().st_size // 1000} KB")  # noqa: T201


def _shoot(page: Page, url: str, name: str) -> None:
    page.goto(url)
    _save(page, name)


def main() -> None:
    """Run the demo in a temporary folder and capture the staff pages."""
    if not CHROMIUM.exists():
        sys.exit("needs Debian's Chromium: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dsr-shots-") as tmp:
        folder = Path(tmp)
        port = _free_port()
        (folder / "privacy.yaml").write_text(
            (ROOT / "privacy.example.yaml").read_text()
        )
        env = {
            **os.environ,
            "DEMO_DIR": tmp,  # the working directory of every dsr command below
            "DSR_ENV": "dev",
            "DSR_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/dsr.db",
            "DSR_DATA_DIR": str(folder / "var"),
            # Relative, as in a deployment: the connectors page names the file.
            "DSR_CONNECTORS_FILE": "connectors.yaml",
            "DSR_PRIVACY_FILE": "privacy.yaml",
            "DSR_BASE_URL": f"http://127.0.0.1:{port}",
        }
        _dsr(env, "db", "upgrade")
        password = re.findall(r"demo admin: \S+ / (\S+)", _dsr(env, "demo"))[0]
        mails = [str(ROOT / "tests" / "data" / "mail" / name) for name in MAILS]
        _dsr(env, "mail", "ingest", *mails)
        token = _dsr(env, "staff", "token", "admin@example.com").strip()
        with _server(env, port) as base:
            review = _api(
                base,
                token,
                "/requests",
                {
                    "type": "access",
                    "regulation": "gdpr",
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "identity_verified": True,
                },
            )["reference"]
            items = _api(base, token, "/requests?q=grace@example.org")["items"]
            grace = items[0]["reference"]  # type: ignore[index]
            _api(base, token, f"/requests/{grace}/approve", {})
            _wait_for_status(base, token, grace, "action_required", "completed")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=FLAGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                page.goto(f"{base}/login")
                page.get_by_label("Email").fill("admin@example.com")
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(f"{base}/queue")
                _shoot(page, f"{base}/queue", "queue")
                _shoot(page, f"{base}/requests/{review}", "ticket-review")
                _shoot(page, f"{base}/requests/{grace}", "ticket-erasure")
                _shoot(page, f"{base}/inbox", "inbox")
                _shoot(page, f"{base}/dashboard", "dashboard")
                page.goto(f"{base}/connectors")
                page.get_by_role("button", name="Test all enabled connectors").click()
                page.wait_for_load_state()
                _save(page, "connectors")
                browser.close()


if __name__ == "__main__":
    main()
