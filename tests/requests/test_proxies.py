"""Behind a reverse proxy: DSR_TRUSTED_PROXIES decides whose X-Forwarded-For counts."""

import re

import httpx
import pytest
from fastapi import FastAPI

from app.requests.views import PER_IP
from app.settings import Settings
from tests.fixtures.app import client_for


async def _posts_until_limited(http: httpx.AsyncClient) -> tuple[int, int]:
    """Form posts from visitor A up to its limit, then one from A and one from B."""
    page = (await http.get("/request")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    # The honeypot answers at once, after the per-IP limit is counted.
    form = {"csrf_token": token.group(1), "type": "access", "website": "bot"}
    for _ in range(PER_IP[0]):
        sent = await http.post(
            "/request", data=form, headers={"X-Forwarded-For": "203.0.113.7"}
        )
        assert sent.status_code == 303
    again = await http.post(
        "/request", data=form, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    other = await http.post(
        "/request", data=form, headers={"X-Forwarded-For": "198.51.100.9"}
    )
    return again.status_code, other.status_code


@pytest.mark.parametrize(("trusted", "other"), [("127.0.0.1", 303), (None, 429)])
async def test_each_visitor_behind_a_trusted_proxy_has_its_own_limit(
    settings: Settings, trusted: str | None, other: int
) -> None:
    from app.main import create_app

    settings.trusted_proxies = trusted  # the in-process client connects from 127.0.0.1
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as http:
        assert await _posts_until_limited(http) == (429, other)
