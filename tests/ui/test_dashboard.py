"""The dashboard through HTTP: its charts, the overdue count, and the yearly metrics CSV,
which gives the numbers of `dsr metrics --year`."""

import asyncio
import csv
import io
import re
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from app.cli import cli
from app.db import utcnow
from app.enums import DenialReason
from app.flows import review
from app.requests import tickets
from app.settings import Settings
from tests.factories import make_request

CHARTS = (
    "chart-weekly",
    "chart-open",
    "chart-overdue",
    "chart-on-time",
    "chart-median",
    "chart-connectors",
)


async def _deny(session: AsyncSession, settings: Settings, reference: str) -> None:
    async with tickets.edit(session, reference) as dsr:
        await review.deny(
            session,
            dsr,
            actor="staff:a@example.com",
            reason_code=DenialReason.EXCESSIVE,
            message="Fourth identical request this month.",
            settings=settings,
        )
    await session.commit()


async def test_a_viewer_sees_every_chart_and_the_overdue_count(
    session: AsyncSession, viewer_browser: httpx.AsyncClient
) -> None:
    await make_request(session, received_at=utcnow() - timedelta(days=90))
    await make_request(session, type="erasure")
    page = await viewer_browser.get("/dashboard")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    for chart in CHARTS:
        assert f'id="{chart}-title"' in page.text, chart
    drawn = re.findall(r'<svg class="chart-svg"[^>]*data-chart="([\w-]+)"', page.text)
    assert {"chart-weekly", "chart-open", "chart-overdue"} <= set(drawn)
    overdue = re.search(r'data-stat="overdue">(\d+)<', page.text)
    assert overdue is not None
    assert overdue.group(1) == "1"
    assert "<rect" in page.text


async def test_an_empty_desk_says_so_instead_of_drawing(
    viewer_browser: httpx.AsyncClient,
) -> None:
    page = await viewer_browser.get("/dashboard")
    assert page.status_code == 200
    assert "Nothing to show yet." in page.text
    assert "<rect x=" not in page.text


def _cli_metrics(settings: Settings, year: int) -> dict[str, list[str]]:
    env = {
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret(),
        "DSR_DATA_DIR": str(settings.data_dir),
    }
    result = CliRunner().invoke(cli, ["metrics", "--year", str(year)], env=env)
    assert result.exit_code == 0, result.output
    # Not strip(): an empty median is a trailing tab.
    lines = [line.split("\t") for line in result.stdout.splitlines()[1:] if line]
    return {line[0]: line[1:] for line in lines}


async def test_the_metrics_csv_has_the_numbers_of_dsr_metrics(
    session: AsyncSession, settings: Settings, viewer_browser: httpx.AsyncClient
) -> None:
    received = datetime(2026, 2, 2, tzinfo=UTC)
    await make_request(session, received_at=received)
    await make_request(session, type="erasure", regulation="ccpa", received_at=received)
    refused = await make_request(
        session, type="rectification", received_at=received, identity_verified=True
    )
    await _deny(session, settings, refused.reference)
    answer = await viewer_browser.get("/dashboard/metrics.csv", params={"year": 2026})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "dsr-metrics-2026.csv" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    every = {row["type"]: row for row in rows if row["regulation"] == "all"}
    expected = await asyncio.to_thread(_cli_metrics, settings, 2026)
    assert set(every) == set(expected)
    for kind, (got_received, complied, denied, median) in expected.items():
        row = every[kind]
        assert [
            row["received"],
            row["complied"],
            row["denied"],
            row["median_days"],
        ] == [
            got_received,
            complied,
            denied,
            median,
        ], kind
    assert every["rectification"]["denied"] == "1"
    laws = {row["regulation"] for row in rows}
    assert laws == {"all", "gdpr", "ccpa"}
    ccpa = {row["type"]: row for row in rows if row["regulation"] == "ccpa"}
    assert ccpa["erasure"]["received"] == "1"
    page = await viewer_browser.get("/dashboard", params={"year": 2026})
    assert "Yearly metrics 2026" in page.text
    assert 'href="/dashboard/metrics.csv?year=2026"' in page.text


async def test_a_year_out_of_range_is_refused(
    viewer_browser: httpx.AsyncClient,
) -> None:
    answer = await viewer_browser.get("/dashboard", params={"year": "1999"})
    assert answer.status_code == 422
