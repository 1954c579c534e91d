"""Listing every item of a cursor-paged vendor list, even when a cursor expires mid-way.

Cursors go stale (a long export, a list that changed): the vendor then refuses the next
page with a 400. `items()` starts that list again from its first page and skips the items
it already yielded, so an access stream neither fails nor exports anything twice; after
`restarts` refusals it gives up with a `ConnectorError`. Every call goes through the
connector's `Api`, so it holds the throttle and waits out 429s like any other.
"""

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any

import httpx

from connectors.base import ConnectorError
from connectors.http import Api, Next


async def items(
    api: Api,
    method: str,
    path: str,
    *,
    found: Callable[[Any], Iterable[Mapping[str, Any]]],
    next_page: Callable[[Any], Next | None],
    params: Mapping[str, Any] | None = None,
    json: Mapping[str, Any] | None = None,
    key: str = "id",
    restarts: int = 3,
) -> AsyncIterator[Any]:
    """Yield each item (`found(page)`) once, following `next_page(page)` as `Api.pages`.

    A 404 on the first page is an empty list; a 400 on a later page restarts the list.
    """
    seen: set[str] = set()
    for _ in range(restarts + 1):
        target, query = path, dict(params or {})
        body = dict(json) if json is not None else None
        first = True
        while True:
            response = await api.call(
                method,
                target,
                params=query or None,
                json=body,
                missing_ok=True,
                accept=() if first else (400,),
            )
            if response is None:
                return
            if response.status_code == 400:
                break  # the cursor expired: start the list again
            page = response.json()
            for item in found(page):
                if str(item.get(key)) not in seen:
                    seen.add(str(item.get(key)))
                    yield item
            following = next_page(page)
            if following is None:
                return
            if isinstance(following, str):
                target, query = following, {}
            elif body is not None:
                body.update(following)
            else:
                query.update(following)
            first = False
    host = httpx.URL(api.url(path)).host
    raise ConnectorError(f"{method} {host}: page cursors kept expiring")
