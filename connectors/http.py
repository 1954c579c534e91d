"""Shared HTTP helpers for connectors: error mapping and `Retry-After` parsing.

Status mapping: 401/403 → `AuthError`; 408, 429 and 5xx → `TransientError` (with the
response's `Retry-After`); any other 4xx → `ConnectorError`. Transport failures and
timeouts → `TransientError`. Messages name the method, host and status only: URLs and
bodies may carry the subject's email or data, which must not reach logs or task errors.
"""

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from connectors.base import AuthError, ConnectorError, TransientError

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
    try:
        response = await client.send(request)
    except httpx.TimeoutException as exc:
        raise TransientError(f"timed out: {_describe(request)}") from exc
    except httpx.TransportError as exc:
        message = f"cannot reach {_describe(request)}: {type(exc).__name__}"
        raise TransientError(message) from exc
    raise_for_status(response)
    return response
