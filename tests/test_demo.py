"""`dsr demo` seeds what the README's tour needs, and the tour's first steps work on it."""

import asyncio
import json
import re
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select
from typer.testing import CliRunner, Result

from app.cli import cli
from app.demo import TOUR_ADDRESS
from app.exports.models import Export
from app.fanout.config import load_runtime
from app.mail.models import Message
from app.requests.models import DsrRequest
from app.settings import Settings


async def _demo(settings: Settings) -> Result:
    env = {
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret(),
        "DSR_DATA_DIR": str(settings.data_dir),
        "DSR_CONNECTORS_FILE": str(settings.connectors_file),
        "DSR_PRIVACY_FILE": str(settings.privacy_file),
    }
    return await asyncio.to_thread(CliRunner().invoke, cli, ["demo"], env=env)


def _saved(path: Path) -> tuple[str, str, int]:
    """The saved address and password, and the file's permissions for others."""
    address, password = path.read_text().split()
    return address, password, path.stat().st_mode & 0o077


async def test_demo_prints_the_password_last_and_keeps_it_in_the_data_folder(
    settings: Settings,
) -> None:
    seeded = await _demo(settings)
    assert seeded.exit_code == 0, seeded.output
    last = seeded.stdout.strip().splitlines()[-1]
    match = re.fullmatch(
        r"demo admin: admin@example.com / (\S+) \(also in (.+)\)", last
    )
    assert match is not None, last
    assert _saved(Path(match.group(2))) == ("admin@example.com", match.group(1), 0)
    again = await _demo(settings)  # nothing new: no second password
    assert "demo admin" not in again.stdout


async def test_demo_connectors_hold_no_absolute_path_and_load(
    settings: Settings,
) -> None:
    assert (await _demo(settings)).exit_code == 0
    text = settings.connectors_file.read_text()
    assert not re.search(r"(dataset: |sqlite:///)/", text)
    runtime = load_runtime(settings, {})
    assert set(runtime.connectors) == {"demo_app", "billing_team"}


async def test_the_tours_request_as_ada_opens_a_new_ticket_with_its_link(
    settings: Settings, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    assert (await _demo(settings)).exit_code == 0
    seeded = list((await session.execute(select(DsrRequest))).scalars())
    assert seeded
    assert TOUR_ADDRESS not in {dsr.subject_email for dsr in seeded}
    page = (await client.get("/request")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"csrf_token": token.group(1), "location": "eea", "type": "access"}
    posted = await client.post("/request", data=form | {"email": TOUR_ADDRESS})
    assert posted.status_code == 303
    query = select(Message).where(Message.to_address == TOUR_ADDRESS)
    [mail] = (await session.execute(query)).scalars()
    assert mail.kind == "received"  # not "duplicate": step 2's link comes
    assert re.search(r"/verify/[\w-]+", mail.text)


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_the_tours_package_names_sources_and_columns_in_words(
    settings: Settings, fanout, api, session: AsyncSession
) -> None:
    assert (await _demo(settings)).exit_code == 0
    blocks = settings.connectors_file.read_text().split("connectors:\n", 1)[1]
    fanout.configure(blocks)
    reference = await api.approved("access", email=TOUR_ADDRESS)

    await fanout.run()

    [export] = (await session.execute(select(Export))).scalars()
    with zipfile.ZipFile(settings.data_dir / export.path) as package:
        page = package.read("index.html").decode()
        invoices = json.loads(package.read("data/demo_app/invoices.json"))
    assert reference in page
    assert (
        "Invoices (Billing data — kept 6 years after the end of the financial year of"
        " the invoice, for billing and accounting)" in page
    )
    assert "Pages you viewed in our app (Usage data" in page
    assert "The Brightmetric app" in page
    assert "<th>Amount (EUR)</th>" in page
    assert "amount_eur" not in page
    assert invoices[0]["amount_eur"] == 49.0  # the files keep the raw names
