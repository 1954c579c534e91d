"""What `dsr serve` writes to its log during a whole flow: no token, code or personal value.

The server runs as a user runs it (its own process, web + worker); the test plays the
requester (form, confirmation link, download) and staff (search, approve) over HTTP and then
reads everything the process wrote.
"""

import asyncio
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from typer.testing import CliRunner

from app.access import redacted_path, redacted_query
from app.cli import cli
from app.mail.models import Message
from app.settings import Settings
from tests.fixtures.app import cli_env

DSR = Path(sys.executable).parent / "dsr"
EMAIL, NAME = "grace@example.org", "Grace Hopper"  # a customer of the demo shop

pytestmark = pytest.mark.slow


def test_secret_links_and_personal_query_values_are_redacted() -> None:
    assert redacted_path("/verify/abc-DEF_123") == "/verify/[token]"
    assert redacted_path("/download/xyz") == "/download/[token]"
    assert redacted_path("/verify") == "/verify"
    assert redacted_query("q=ada%40example.com&status=open&limit=5") == (
        "q=[redacted]&status=open&limit=5"
    )


async def _run(settings: Settings, *args: str) -> str:
    """Run a CLI command in-process (in a thread: it starts its own event loop); only
    `dsr serve`, whose log is under test, runs as a process of its own."""
    env = {k: v for k, v in cli_env(settings).items() if k.startswith("DSR_")}
    done = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert done.exit_code == 0, done.output
    return done.stdout


def _serve(settings: Settings, port: int, logged: Path) -> subprocess.Popen[bytes]:
    with logged.open("w") as sink:
        return subprocess.Popen(  # noqa: S603 - our own CLI
            [str(DSR), "serve", "--port", str(port)],
            env=cli_env(settings),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _link(session: AsyncSession, kind: str, path: str) -> str:
    session.expire_all()
    query = select(Message.text).where(Message.kind == kind)
    text = (await session.execute(query.order_by(col(Message.id).desc()))).scalar()
    assert text is not None, f"no {kind} mail"
    found = re.search(rf"/{path}/([\w-]+)", text)
    assert found is not None
    return found.group(1)


async def _code(session: AsyncSession) -> str:
    query = select(Message.text).where(Message.kind == "received")
    text = (await session.execute(query)).scalar()
    found = re.search(r"\b([2-9A-HJ-NP-Z]{6})\b", text or "")
    assert found is not None
    return found.group(1)


async def _until(check, limit: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + limit
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the flow did not finish"
        await asyncio.sleep(0.1)


async def test_a_whole_flow_logs_no_token_code_or_personal_value(
    settings: Settings, session: AsyncSession, tmp_path: Path
) -> None:
    await _run(settings, "demo")  # the demo shop, its connectors and an admin
    api_token = (await _run(settings, "staff", "token", "admin@example.com")).strip()
    port, logged = _free_port(), tmp_path / "serve.log"
    server = _serve(settings, port, logged)
    secrets = [api_token]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as web:
            await _until(lambda: _answers(web))
            page = (await web.get("/request")).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert csrf is not None
            form = {"csrf_token": csrf.group(1), "location": "eea", "type": "access"}
            posted = await web.post(
                "/request", data=form | {"email": EMAIL, "name": NAME}
            )
            assert posted.status_code == 303
            verify = await _link(session, "received", "verify")
            secrets += [verify, await _code(session)]
            assert (await web.get(f"/verify/{verify}")).status_code == 200
            confirmed = await web.post(f"/verify/{verify}")
            assert confirmed.headers["referrer-policy"] == "no-referrer"
            staff = {"Authorization": f"Bearer {api_token}"}
            found = await web.get(
                "/api/v1/requests", params={"q": EMAIL}, headers=staff
            )
            [ticket] = [i for i in found.json()["items"] if i["type"] == "access"]
            reference = ticket["reference"]
            approve = f"/api/v1/requests/{reference}/approve"
            assert (await web.post(approve, json={}, headers=staff)).status_code == 200

            async def completed() -> bool:
                got = await web.get(f"/api/v1/requests/{reference}", headers=staff)
                return bool(got.json()["status"] == "completed")

            await _until(completed)
            download = await _link(session, "results_ready", "download")
            secrets.append(download)
            assert (await web.get(f"/download/{download}")).status_code == 200
            package = await web.post(f"/download/{download}")
            assert package.status_code == 200
            assert package.headers["cache-control"] == "no-store"
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = logged.read_text()
    assert "http.request" in text  # it did log the requests
    assert "/download/[token]" in text
    leaks = [
        value
        for value in (*secrets, EMAIL, NAME, "grace%40example.org")
        if value in text
    ]
    assert leaks == []


async def _answers(web: httpx.AsyncClient) -> bool:
    try:
        return (await web.get("/healthz")).status_code == 200
    except httpx.TransportError:
        return False


async def test_every_page_forbids_framing_and_sniffing(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/request", "/healthz", "/verify/unknown-token", "/api/v1/requests"):
        response = await client.get(path)
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
    secret = await client.get("/verify/unknown-token")
    assert secret.headers["referrer-policy"] == "no-referrer"
    assert secret.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in secret.headers  # http in tests
    page = (await client.get("/request")).text
    assert (
        "<style" not in page
    )  # nothing inline: the stylesheet is a file the app serves
    sheet = await client.get("/static/public.css")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")


async def test_oversized_bodies_are_refused_before_they_are_read(
    client: httpx.AsyncClient,
) -> None:
    big = await client.post("/request", content=b"x" * (64 * 1024 + 1))
    assert big.status_code == 413
    assert "x-frame-options" in big.headers

    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b"x" * 8192

    streamed = await client.post(
        "/request",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    api = await client.post("/api/v1/requests", content=chunks())
    assert api.status_code != 413  # 160 KiB is within the API's limit (refused as 401)
    fine = await client.post("/request", data={"email": "a@example.com"})
    assert fine.status_code == 400  # read, then refused for its missing CSRF token
