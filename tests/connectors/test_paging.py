"""`connectors.paging.items` against a real server whose cursors can go stale."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors import paging
from connectors.base import ConnectorError
from connectors.http import Api
from connectors.testing import serve_app
from connectors.throttle import Throttle

ITEMS = 7  # pages of 3: 3, 3, 1


@dataclass
class Vendor:
    """Items paged by an opaque cursor; `refuse` cursors are answered 400."""

    url: str = ""
    refuse: int = 0
    generation: int = 0
    log: list[str] = field(default_factory=list)


def _app(vendor: Vendor) -> Starlette:
    async def items(request: Request) -> Response:
        cursor = request.query_params.get("cursor")
        vendor.log.append(cursor or "first")
        offset = 0
        if cursor:
            if vendor.refuse > 0:
                vendor.refuse -= 1
                vendor.generation += 1
            generation, offset = (int(part) for part in cursor.split("-"))
            if generation != vendor.generation:
                return JSONResponse({"error": "cursor expired"}, 400)
        following = offset + 3
        nxt = (
            f"{vendor.url}/items?cursor={vendor.generation}-{following}"
            if following < ITEMS
            else None
        )
        rows = [{"id": n} for n in range(offset, min(following, ITEMS))]
        return JSONResponse({"data": rows, "next": nxt})

    return Starlette(routes=[Route("/items", items)])


@pytest.fixture
def vendor() -> Iterator[Vendor]:
    found = Vendor()
    with serve_app(_app(found)) as url:
        found.url = url
        yield found


@pytest.fixture
async def api(vendor: Vendor) -> AsyncIterator[Api]:
    async with httpx.AsyncClient() as client:
        yield Api(client, vendor.url, throttle=Throttle(), timeout=5)


async def _ids(api: Api) -> list[int]:
    listing = paging.items(
        api,
        "GET",
        "/items",
        found=lambda page: page["data"],
        next_page=lambda page: page["next"],
    )
    return [item["id"] async for item in listing]


async def test_every_item_is_yielded_once_across_pages(api, vendor):
    assert await _ids(api) == list(range(ITEMS))
    assert len(vendor.log) == 3


async def test_an_expired_cursor_restarts_the_list_without_duplicates(api, vendor):
    vendor.refuse = 1

    assert await _ids(api) == list(range(ITEMS))
    assert vendor.log[:3] == ["first", "0-3", "first"]


async def test_cursors_that_keep_expiring_give_up(api, vendor):
    vendor.refuse = 10

    with pytest.raises(ConnectorError, match="cursors kept expiring"):
        await _ids(api)
    assert vendor.log.count("first") == 4  # the first try and three restarts
