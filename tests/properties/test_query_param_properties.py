"""Any query string on any GET route, API or staff page: a 2xx, 3xx or 4xx, never a 5xx.

The routes and their query parameters are read from the app (FastAPI's dependants), so a
route or parameter added later is covered without editing this file. Pages that read
`request.query_params` themselves name their keys in the app: the queue's filters
(`app.ui.queue.FILTERS`, with `view` and `cursor`) and every page's `lang`. Requests come
from an admin who is logged in to the UI and holds an API token, so each route gets past
its gate and reads its parameters; `{reference}` is a real ticket's.
"""

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.enums import Channel, Regulation, RequestType, Status
from app.ui.queue import FILTERS
from tests.factories import make_request
from tests.fixtures.profiles import examples

READ_FROM_THE_REQUEST = {*FILTERS, "view", "cursor", "lang"}
TOKEN = "no-such-token-0123456789"


def _query_names(dependant: Dependant) -> Iterator[str]:
    for param in dependant.query_params:
        yield param.alias
    for child in dependant.dependencies:
        yield from _query_names(child)


def get_routes(app: FastAPI, reference: str) -> list[tuple[str, tuple[str, ...]]]:
    """(concrete path, query parameter names) of every GET route."""
    found = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if "GET" not in (route.methods or ()) or dependant is None:
            continue  # the OpenAPI document itself is a plain Starlette route
        names = sorted({*_query_names(dependant), *READ_FROM_THE_REQUEST})
        path = route.path.replace("{reference}", reference).replace("{token}", TOKEN)
        assert "{" not in path, f"a path parameter this test does not fill: {path}"
        found.append((path, tuple(names)))
    return found


CONTRACT_VALUES = sorted(
    {
        str(value)
        for enum in (Status, RequestType, Regulation, Channel)
        for value in enum
    }
)
VALUES = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Cf", "Zl"]), max_size=5),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats().map(repr),
    st.sampled_from(CONTRACT_VALUES),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "9" * 400,
            "x" * 5_000,
            "\x00",
            "a\x00b",
            "null",
            "true",
            "2026-02-30",
            "2026-01-01",
            "99999-01-01",
            "DSR-TEST2345",
            "../../etc/passwd",
            "%",
            "' OR 1=1 --",
            "oldest",
            "newest",
        ]
    ),
)


def _query(pairs: list[tuple[str, str]]) -> str:
    # httpx would refuse a lone surrogate; a script can still send its bytes.
    return "&".join(
        f"{quote(name)}={quote(value, safe='', errors='surrogatepass')}"
        for name, value in pairs
    )


@pytest.fixture
async def reference(session: AsyncSession) -> str:
    """A ticket the routes with `{reference}` find."""
    return (await make_request(session, name="Query Example")).reference


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
async def test_no_query_string_on_any_get_route_is_a_server_error(
    app: FastAPI,
    admin: dict[str, str],
    admin_browser: httpx.AsyncClient,
    reference: str,
    data: st.DataObject,
) -> None:
    for path, names in get_routes(app, reference):
        pairs = data.draw(
            st.lists(st.tuples(st.sampled_from(names), VALUES), max_size=4),
            label=path,
        )
        url = f"{path}?{_query(pairs)}"
        answer = await admin_browser.get(url, headers=admin)
        assert answer.status_code < 500, (url, answer.text[:500])


async def test_the_routes_and_their_parameters_are_found(
    app: FastAPI,
    admin: dict[str, str],
    admin_browser: httpx.AsyncClient,
    reference: str,
) -> None:
    routes = dict(get_routes(app, reference))
    assert {"status", "q", "cursor", "limit"} <= set(routes["/api/v1/requests"])
    assert "year" in routes["/dashboard"]
    # The property's requests get past the gates: the pages and the API answer them.
    for path in ("/queue", "/dashboard", f"/requests/{reference}", "/api/v1/requests"):
        assert (await admin_browser.get(path, headers=admin)).status_code == 200, path
