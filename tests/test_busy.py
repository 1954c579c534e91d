"""When every database connection is taken, a request is told to retry (503), never a 500."""

import contextlib
import re

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from app.main import create_app
from app.settings import Settings
from tests.fixtures.app import client_for


async def test_an_exhausted_pool_answers_503_with_retry_after(
    settings: Settings, admin: dict[str, str]
) -> None:
    busy = create_app(settings.model_copy(update={"database_pool_timeout": 0.2}))
    engine = busy.state.engine
    held: list[AsyncConnection] = []
    async with busy.router.lifespan_context(busy), client_for(busy) as client:
        with contextlib.suppress(PoolTimeout):
            while len(held) < 100:
                held.append(await engine.connect())
        assert held, "the pool gave no connection at all"

        form = (await client.get("/request")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        api = await client.get("/api/v1/requests", headers=admin)
        page = await client.post(
            "/request",
            data={
                "csrf_token": token.group(1),
                "location": "eea",
                "type": "access",
                "email": "busy@example.com",
            },
        )

        for connection in held:
            await connection.close()
        after = await client.get("/api/v1/requests", headers=admin)

    assert api.status_code == 503
    assert api.headers["retry-after"] == "5"
    assert api.json()["type"] == "urn:dsr:problem:busy"
    assert page.status_code == 503
    assert "try again" in page.text
    assert after.status_code == 200


@pytest.mark.parametrize("seconds", [0, -1])
def test_the_pool_timeout_must_be_positive(settings: Settings, seconds: int) -> None:
    with pytest.raises(ValueError, match="database_pool_timeout"):
        Settings.model_validate(
            {**settings.model_dump(), "database_pool_timeout": seconds}
        )
