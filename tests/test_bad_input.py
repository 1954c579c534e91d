"""Bad input everywhere a stranger or a client can type: a form error or a 4xx, never a 500.

NUL characters (PostgreSQL refuses them in text), lone surrogates (no encoder takes them),
line breaks in one-line fields, overlong values and wrong types go into every field of the
public forms and of the API's bodies, on SQLite and PostgreSQL.
"""

import json
import re
from collections.abc import Iterator
from itertools import count

import httpx
import pytest
from fastapi import FastAPI

BAD_TEXT = ["a\x00b", "\ud800", "x" * 100_000, "line one\r\nBcc: x@example.com"]
BAD_JSON = [*BAD_TEXT, 12, ["list"], {"object": 1}, True]
FORM_FIELDS = [
    "type",
    "email",
    "name",
    "location",
    "details",
    "is_agent",
    "agent_name",
    "agent_email",
    "agent_details",
]
_addresses: Iterator[int] = count(1)


def _client(app: FastAPI) -> httpx.AsyncClient:
    """A browser of its own (own address, own cookies), so rate limits do not interfere."""
    n = next(_addresses)
    transport = httpx.ASGITransport(app=app, client=(f"10.77.{n // 250}.{n % 250}", 1))
    return httpx.AsyncClient(transport=transport, base_url="http://dsr.test")


def _form_body(fields: dict[str, str]) -> bytes:
    # urlencode would refuse a lone surrogate; a browser or a script can still send one.
    from urllib.parse import quote

    return "&".join(
        f"{quote(key)}={quote(value, errors='surrogatepass')}"
        for key, value in fields.items()
    ).encode()


@pytest.mark.parametrize("field", FORM_FIELDS)
async def test_the_request_form_answers_bad_values_with_a_form_error(
    app: FastAPI, field: str
) -> None:
    for value in [*BAD_TEXT, "abc"]:
        async with _client(app) as browser:
            page = (await browser.get("/request")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token is not None
            fields = {
                "csrf_token": token.group(1),
                "type": "access",
                "email": "ada@example.com",
                "location": "eea",
                "is_agent": "on",
                "agent_name": "Agent",
                "agent_email": "agent@example.com",
            } | {field: value}
            response = await browser.post(
                "/request",
                content=_form_body(fields),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        assert response.status_code in (303, 400, 413, 422), (field, value[:20])


@pytest.mark.parametrize("field", ["reference", "code"])
async def test_the_code_form_answers_bad_values_with_a_form_error(
    app: FastAPI, field: str
) -> None:
    for value in BAD_TEXT:
        async with _client(app) as browser:
            page = (await browser.get("/verify")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token is not None
            fields = {"csrf_token": token.group(1), "reference": "DSR-ABCDEFGH"}
            fields |= {"code": "ABC123", field: value}
            response = await browser.post(
                "/verify",
                content=_form_body(fields),
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        assert response.status_code in (413, 422), (field, value[:20])


async def _problem(response: httpx.Response, *allowed: int) -> None:
    assert response.status_code in allowed, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")


CREATE = {"type": "access", "regulation": "gdpr", "email": "ada@example.com"}
BODIES = {
    "": CREATE | {"name": "Ada", "details": "d"},
    "/deny": {"reason_code": "excessive", "message": "m"},
    "/extend": {"reason": "r"},
    "/notes": {"text": "t"},
    "/cancel": {"reason": "r"},
    "/verify": {"method": "id_checked", "note": "n"},
    "/assign": {"staff_email": "agent@example.com"},
}


@pytest.mark.parametrize("action", list(BODIES))
async def test_api_bodies_answer_bad_values_with_a_problem(
    client: httpx.AsyncClient, agent: dict[str, str], action: str
) -> None:
    created = await client.post("/api/v1/requests", json=CREATE, headers=agent)
    reference = created.json()["reference"]
    path = "/api/v1/requests" + (f"/{reference}{action}" if action else "")
    for field in BODIES[action]:
        for value in BAD_JSON:
            body = BODIES[action] | {field: value}
            # json.dumps escapes a lone surrogate (\\ud800): valid JSON that decodes to one.
            response = await client.post(
                path,
                content=json.dumps(body).encode(),
                headers=agent | {"content-type": "application/json"},
            )
            if response.status_code not in (200, 201):
                await _problem(response, 404, 409, 422)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/requests?q=a%00b",
        "/api/v1/requests?assignee=a%00b",
        "/api/v1/requests/DSR-%00",
        "/api/v1/requests/DSR-%00/events",
        "/api/v1/requests?status=nonsense",
        "/api/v1/requests?limit=10000000000000000000000",
    ],
)
async def test_api_reads_answer_bad_values_with_a_problem(
    client: httpx.AsyncClient, agent: dict[str, str], url: str
) -> None:
    await _problem(await client.get(url, headers=agent), 404, 422)


@pytest.mark.parametrize("action", ["open", "attach", "dismiss"])
async def test_inbox_ids_that_cannot_exist_are_404(
    client: httpx.AsyncClient, agent: dict[str, str], action: str
) -> None:
    body = {
        "open": {"type": "access", "regulation": "gdpr"},
        "attach": {"reference": "DSR-%00"},
    }
    response = await client.post(
        f"/api/v1/inbox/a%00b@example.com/{action}",
        json=body.get(action, {}),
        headers=agent,
    )
    await _problem(response, 404, 422)
