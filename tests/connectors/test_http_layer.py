"""The shared HTTP layer against a real server on loopback: paging, 429s, limits, errors.

Rate limits are asserted from the server's own log of when each call arrived.
"""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.base import AuthError, ConnectorError, RateLimit, TransientError
from connectors.http import Api
from connectors.testing import serve_app
from connectors.throttle import Throttle, exhausted_for

PAGES = 5


@dataclass
class Vendor:
    """A paging vendor that can be told to answer 429 a few times at one page."""

    url: str = ""
    log: list[tuple[float, str]] = field(default_factory=list)
    throttled: dict[str, int] = field(default_factory=dict)  # page -> 429s left
    retry_after: str | None = "1"
    headers: dict[str, str] = field(default_factory=dict)
    limit_headers: dict[str, str] = field(default_factory=dict)  # on 429s only

    def pages_read(self) -> list[str]:
        return [what for _, what in self.log]


def _app(vendor: Vendor) -> Starlette:
    async def items(request: Request) -> Response:
        page = request.query_params.get("page", "1")
        vendor.log.append((time.monotonic(), page))
        if vendor.throttled.get(page, 0) > 0:
            vendor.throttled[page] -= 1
            headers = {"Retry-After": vendor.retry_after} if vendor.retry_after else {}
            headers.update(vendor.limit_headers)
            return JSONResponse({"error": "rate limited"}, 429, headers=headers)
        number = int(page)
        following = number + 1 if number < PAGES else None
        body = {"items": [f"item-{number}"], "next": following}
        return JSONResponse(body, headers=vendor.headers)

    async def status(request: Request) -> Response:
        vendor.log.append((time.monotonic(), "status"))
        return JSONResponse({"error": "x"}, int(request.path_params["code"]))

    async def linked(request: Request) -> Response:
        page = int(request.query_params.get("cursor", "1"))
        vendor.log.append((time.monotonic(), f"linked-{page}"))
        nxt = f"{vendor.url}/linked?cursor={page + 1}" if page < 3 else None
        return JSONResponse({"data": [page], "links": {"next": nxt}})

    return Starlette(
        routes=[
            Route("/items", items),
            Route("/status/{code:int}", status),
            Route("/linked", linked),
        ]
    )


@pytest.fixture
def vendor() -> Iterator[Vendor]:
    found = Vendor()
    with serve_app(_app(found)) as url:
        found.url = url
        yield found


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened


def _api(vendor: Vendor, client, throttle: Throttle | None = None, **options) -> Api:
    return Api(
        client,
        vendor.url,
        throttle=throttle or Throttle(),
        timeout=5,
        **options,
    )


def _next_page(body):
    return None if body["next"] is None else {"page": body["next"]}


async def _items(api: Api) -> list[str]:
    found = []
    async for page in api.pages("GET", "/items", _next_page):
        found.extend(page["items"])
    return found


async def test_pages_are_followed_to_the_end(vendor, client):
    assert await _items(_api(vendor, client)) == [
        f"item-{n}" for n in range(1, PAGES + 1)
    ]
    assert vendor.pages_read() == ["1", "2", "3", "4", "5"]


async def test_a_full_next_link_is_followed_as_it_is(vendor, client):
    api = _api(vendor, client)
    pages = [
        page["data"]
        async for page in api.pages("GET", "/linked", lambda b: b["links"]["next"])
    ]
    assert pages == [[1], [2], [3]]


async def test_429s_mid_stream_wait_retry_after_and_go_on_without_rereading(
    vendor, client
):
    vendor.throttled = {"3": 3}

    assert await _items(_api(vendor, client)) == [
        f"item-{n}" for n in range(1, PAGES + 1)
    ]

    assert vendor.pages_read() == ["1", "2", "3", "3", "3", "3", "4", "5"]
    arrivals = [at for at, page in vendor.log if page == "3"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # Retry-After: 1 honoured each time


async def test_a_429_without_retry_after_waits_the_window_its_headers_name(
    vendor, client
):
    # HubSpot answers 429 with X-HubSpot-RateLimit-* headers and no Retry-After.
    vendor.throttled = {"2": 2}
    vendor.retry_after = None
    vendor.limit_headers = {
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "500",
    }

    assert len(await _items(_api(vendor, client))) == PAGES

    arrivals = [at for at, page in vendor.log if page == "2"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 2
    assert all(0.45 <= gap < 0.9 for gap in gaps), gaps  # the window, not a backoff


async def test_a_429_past_the_wait_budget_is_transient_with_its_retry_after(
    vendor, client
):
    vendor.throttled = {"1": 1}
    vendor.retry_after = "30"

    with pytest.raises(TransientError) as caught:
        await _items(_api(vendor, client, max_wait=5))

    assert caught.value.retry_after == 30
    assert vendor.pages_read() == ["1"]


async def test_a_429_without_retry_after_waits_for_the_vendors_reset(vendor, client):
    vendor.throttled = {"2": 1}
    vendor.retry_after = None
    vendor.limit_headers = {
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "0.3",
    }

    assert len(await _items(_api(vendor, client))) == PAGES

    first, second = (at for at, page in vendor.log if page == "2")
    assert 0.25 <= second - first < 0.9  # the reset, not a backoff of 1 s or more


async def test_an_accepted_status_is_returned_for_the_connector_to_read(vendor, client):
    response = await _api(vendor, client).call("GET", "/status/400", accept=(400,))
    assert response is not None
    assert response.status_code == 400
    assert response.json() == {"error": "x"}


async def test_every_call_holds_the_shared_throttle(vendor, client):
    # Two "tasks" of one connector instance share one throttle of 4 calls a second.
    throttle = Throttle([RateLimit(max_rate=4, time_period=1)])
    first, second = _api(vendor, client, throttle), _api(vendor, client, throttle)

    await asyncio.gather(_items(first), _items(second))

    arrivals = sorted(at for at, _ in vendor.log)
    assert len(arrivals) == 2 * PAGES
    # A leaky bucket of 4/s: the 10 calls together span at least (10 - 4) / 4 s. The
    # margin allows for the first call arriving late on a busy machine; unthrottled, the
    # calls span a few milliseconds.
    assert arrivals[-1] - arrivals[0] >= (2 * PAGES - 4) / 4 - 0.3


async def test_a_spent_window_in_the_headers_pauses_the_next_call(vendor, client):
    vendor.headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}
    throttle = Throttle()
    api = _api(vendor, client, throttle)

    await api.json("GET", "/items", params={"page": 5})
    assert throttle.paused_for > 0.5
    await api.json("GET", "/items", params={"page": 5})

    first, second = (at for at, _ in vendor.log)
    assert second - first >= 0.95


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit-Remaining": "3", "RateLimit-Reset": "9"}, None),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "9"}, 9),
        ({"x-hubspot-ratelimit-remaining": "0"}, 1.0),
        ({"x-keap-product-throttle-available": "0"}, 1.0),
        ({"x-keap-product-throttle-available": "17"}, None),
        (
            {
                "X-HubSpot-RateLimit-Remaining": "0",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            },
            10,
        ),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2000000005"}, 5),
        ({"X-Rate-Limit-Remaining": "garbage"}, None),
        ({}, None),
    ],
)
def test_exhausted_for_reads_the_vendors_headers(headers, expected):
    assert exhausted_for(headers, now=2_000_000_000) == expected


@pytest.mark.parametrize(
    ("code", "error"),
    [(401, AuthError), (403, AuthError), (400, ConnectorError), (500, TransientError)],
)
async def test_statuses_map_to_connector_errors(vendor, client, code, error):
    with pytest.raises(error) as caught:
        await _api(vendor, client).call("GET", f"/status/{code}")
    assert type(caught.value) is error
    assert vendor.url.split("//")[1].split(":")[0] in str(caught.value)  # host, no path


async def test_a_missing_object_is_none_when_allowed(vendor, client):
    assert (
        await _api(vendor, client).json("GET", "/status/404", missing_ok=True) is None
    )
    with pytest.raises(ConnectorError):
        await _api(vendor, client).json("GET", "/status/404")


async def test_an_unreachable_vendor_is_transient(client):
    api = Api(client, "http://127.0.0.1:9", throttle=Throttle(), timeout=2)
    with pytest.raises(TransientError):
        await api.call("GET", "/anything")
