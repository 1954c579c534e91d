"""Liveness, readiness and metrics."""

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import make_request


async def test_healthz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_when_current(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_refuses_an_old_schema(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = '0000'")
        )
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert "dsr db upgrade" in response.json()["detail"]


async def test_metrics_count_open_and_overdue(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from datetime import UTC, datetime

    await make_request(session, received_at=datetime(2026, 1, 5, tzinfo=UTC))
    body = (await client.get("/metrics")).text
    assert 'dsr_requests_open{status="unverified",type="access"} 1.0' in body
    assert 'dsr_requests_overdue{type="access"} 1.0' in body


async def test_every_exported_metric_is_in_the_monitoring_docs(
    client: httpx.AsyncClient,
) -> None:
    import re
    from pathlib import Path

    docs = Path(__file__).parents[2] / "docs"
    exported = set(
        re.findall(r"^# TYPE (dsr_\w+) ", (await client.get("/metrics")).text, re.M)
    )
    operations = (docs / "operations.md").read_text()
    monitoring = operations.split("## Monitoring", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(dsr_\w+)` \|", monitoring, re.M))
    alerted = set(
        re.findall(r"\b(dsr_\w+)\b", (docs / "prometheus-alerts.yml").read_text())
    )
    assert documented == exported
    assert alerted <= exported
