"""The API answers as its OpenAPI document says, for any input schemathesis makes of it.

A real `dsr serve` (its own process, SQLite) is probed over HTTP as an admin: every
operation in `/api/openapi.json` gets generated valid and invalid requests, and each answer
must be no 5xx, a documented status code, the documented content type and a body matching
the documented schema.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli

DSR = Path(sys.executable).parent / "dsr"
ST = Path(sys.executable).parent / "st"
PRIVACY = Path(__file__).parents[1] / "privacy.example.yaml"
ADMIN = "schema-admin@example.org"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A served app with an admin token: (base URL, token)."""
    folder = tmp_path_factory.mktemp("schema")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DSR_")},
        "DSR_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/dsr.db",
        "DSR_SECRET_KEY": "schema-test-secret-key-0123456789abcdef",
        "DSR_DATA_DIR": str(folder / "data"),
        "DSR_CONNECTORS_FILE": str(folder / "connectors.yaml"),
        "DSR_PRIVACY_FILE": str(PRIVACY),
    }

    def run(*args: str, stdin: str = "") -> str:
        # In-process, in a thread (the CLI starts its own event loop); `dsr serve` below is
        # the real process under test.
        cli_env: dict[str, str | None] = {
            **{
                k: None for k in os.environ if k.startswith("DSR_")
            },  # unset the caller's
            **{k: v for k, v in env.items() if k.startswith("DSR_")},
        }
        with ThreadPoolExecutor(max_workers=1) as pool:
            done = pool.submit(
                CliRunner().invoke, cli, list(args), input=stdin, env=cli_env
            ).result()
        assert done.exit_code == 0, done.output
        return done.stdout

    run("db", "upgrade")
    run("staff", "add", ADMIN, "--role", "admin", stdin="a-long-password-0123\n")
    token = run("staff", "token", ADMIN).strip()
    port = _free_port()
    with (folder / "serve.log").open("w") as sink:
        server = subprocess.Popen(  # noqa: S603 - our own CLI
            [str(DSR), "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError((folder / "serve.log").read_text()[-2000:])
            time.sleep(0.1)
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_every_operation_answers_as_documented(served: tuple[str, str]) -> None:
    base, token = served
    # The CLI rather than the pytest integration: it runs the same checks, over real HTTP,
    # without tying the app's event loop to schemathesis' synchronous client.
    done = subprocess.run(  # noqa: S603 - a tool of the test environment
        [
            str(ST),
            "run",
            f"{base}/api/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            # A valid-looking value the schema cannot tell from a real one (an opaque
            # cursor, an address the email validator refuses) is rightly a 422.
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "8",
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-2000:]
