"""The HTTP layer every vendor connector uses: one `Api` per vendor, errors mapped one way.

`Api` joins a base URL, the auth headers, a per-call timeout and the instance's `Throttle`:
every call holds the throttle, so rate limits apply per HTTP call. A 429 (or a 503 with
`Retry-After`) pauses the throttle for the time the vendor asks (its `Retry-After`, else
the reset its rate-limit headers name — HubSpot, Keap —, else a jittered backoff scaled by
`backoff` — Mailchimp, Stripe, Kit) and the same call is sent again, up to `max_wait`
seconds in all, so a paging access stream goes on where it was instead of failing and
reading every page again; past that it is a `TransientError` for the runtime's retry.
Bodies are JSON (`json=`) or form-encoded (`form=`, Stripe's writes). `Api.pages()`
follows any pagination style: the caller says, from each page's body, where the next page
is (new query/body values, or a full URL).

Status mapping: 401/403 → `AuthError`; 408, 429 and 5xx → `TransientError` (with the
response's `Retry-After`); any other 4xx → `ConnectorError`. Transport failures and
timeouts → `TransientError`. Messages name the method, host and status only: URLs and
bodies may carry the subject's email or data, which must not reach logs or task errors.
"""

import math
import random
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import Field, field_validator

from connectors.base import AuthError, ConnectorConfig, ConnectorError, TransientError
from connectors.throttle import Throttle, exhausted_for

_TRANSIENT_STATUSES = frozenset({408, 425, 429})


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Seconds to wait per a `Retry-After` value (seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value, now)
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _seconds_until(http_date: str, now: datetime | None) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; obsolete forms may lack a zone
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


def _describe(request: httpx.Request) -> str:
    return f"{request.method} {request.url.host}"


def raise_for_status(response: httpx.Response) -> None:
    """Raise the connector error matching a non-2xx response; return on success."""
    status = response.status_code
    if status < 400:
        return
    what = f"HTTP {status} from {_describe(response.request)}"
    if status in (401, 403):
        raise AuthError(f"{what}: credentials refused")
    if status in _TRANSIENT_STATUSES or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientError(what, retry_after=retry_after)
    raise ConnectorError(what)


async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Send a request; raise the matching connector error on failure or non-2xx."""
    response = await _send_once(client, request, None)
    raise_for_status(response)
    return response


class ApiConfig(ConnectorConfig):
    """Base of the SaaS types' configs: `base_url` wins over any URL the type derives."""

    base_url: str | None = Field(
        default=None,
        description="API root (EU data centre, proxy, test server); else the vendor's.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = httpx.URL(value)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


Next = Mapping[str, Any] | str
"""Where the next page is: values to merge into the query (GET) or JSON body (other
methods), or a full URL (a `links.next`) to fetch as it is."""


class Api:
    """One vendor API as a connector instance calls it."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        base_url: str,
        *,
        throttle: Throttle,
        timeout: float,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        max_wait: float = 120.0,
        backoff: float = 1.0,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.throttle = throttle
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.auth = auth
        self.max_wait = max_wait
        # A 429 with neither Retry-After nor rate-limit headers waits backoff x 2^attempt
        # seconds (jittered to 50-100 %): Mailchimp, Stripe.
        self.backoff = backoff

    def url(self, path: str) -> str:
        """An absolute URL: `path` joined to the base URL, or itself when absolute."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        missing_ok: bool = False,
        accept: Collection[int] = (),
        form: Mapping[str, Any] | None = None,
    ) -> httpx.Response | None:
        """Send one call (waiting out 429s); None for a 404 when `missing_ok`.

        A status in `accept` is returned as it is instead of raised, for the connector
        to read the vendor's error body (e.g. a 400 that means "cursor expired").
        `form` sends a form-encoded body instead of JSON (Stripe's v1 writes).
        """
        request = self.client.build_request(
            method,
            self.url(path),
            params=params,
            json=json,
            data=form,
            headers={**self.headers, **(headers or {})},
            timeout=self.timeout,
        )
        waited = 0.0
        for attempt in range(1, 100):
            async with self.throttle:
                response = await _send_once(self.client, request, self.auth)
            self.throttle.observe(response.headers)
            wait = _wait_before_resend(response, attempt, self.backoff)
            if wait is None or waited + wait > self.max_wait:
                break
            waited += wait
            self.throttle.pause(wait)
        if response.status_code in accept:
            return response
        if missing_ok and response.status_code in (404, 410):
            return None
        raise_for_status(response)
        return response

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        missing_ok: bool = False,
        form: Mapping[str, Any] | None = None,
    ) -> Any:
        """`call()` and parse the body as JSON (None for no body or a missing object)."""
        response = await self.call(
            method,
            path,
            params=params,
            json=json,
            headers=headers,
            missing_ok=missing_ok,
            form=form,
        )
        if response is None or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(f"{_describe(response.request)}: not JSON") from None

    async def pages(
        self,
        method: str,
        path: str,
        next_page: Callable[[Any], Next | None],
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        missing_ok: bool = False,
        limit: int = 10_000,
    ) -> AsyncIterator[Any]:
        """Yield each page's JSON body, following `next_page(body)` until it is None."""
        query = dict(params or {})
        body = dict(json) if json is not None else None
        target = path
        for _ in range(limit):
            page = await self.json(
                method, target, params=query or None, json=body, missing_ok=missing_ok
            )
            if page is None:
                return
            yield page
            following = next_page(page)
            if following is None:
                return
            if isinstance(following, str):
                target, query = following, {}  # a full next link carries its query
            elif body is not None:
                body.update(following)
            else:
                query.update(following)
        raise ConnectorError(
            f"{method} {httpx.URL(self.url(path)).host}: over {limit} pages"
        )


async def _send_once(
    client: httpx.AsyncClient, request: httpx.Request, auth: httpx.Auth | None
) -> httpx.Response:
    """One send; a timeout or lost connection becomes a `TransientError`."""
    try:
        return (
            await client.send(request, auth=auth)
            if auth
            else await client.send(request)
        )
    except httpx.TimeoutException as exc:
        raise TransientError(f"timed out: {_describe(request)}") from exc
    except httpx.TransportError as exc:
        message = f"cannot reach {_describe(request)}: {type(exc).__name__}"
        raise TransientError(message) from exc


def _wait_before_resend(
    response: httpx.Response, attempt: int, backoff: float = 1.0
) -> float | None:
    """Seconds to wait before sending the same call again, or None not to."""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if response.status_code == 429:
        if retry_after is not None:
            return retry_after
        # Vendors that send no Retry-After (HubSpot, Keap) say in their rate-limit
        # headers when the window resets; wait that long, not a blind backoff.
        reset = exhausted_for(response.headers)
        if reset is not None:
            return max(reset, 0.1)
        blind = min(backoff * 2.0**attempt, 30.0)
        return blind * random.uniform(0.5, 1.0)  # noqa: S311 - jitter
    if response.status_code == 503 and retry_after is not None:
        return retry_after
    return None
