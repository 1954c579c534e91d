"""One connector instance's call budget: its vendor's rate limits plus the vendor's own signals.

A `Throttle` is held by every HTTP call a connector instance makes (`async with throttle:`),
and the fan-out runtime gives all tasks of one configured connector the same throttle, so 32
concurrent tasks each paging through 30 pages still stay inside one vendor quota.

Besides its fixed limits (`RateLimit`, several windows at once — e.g. a burst per second and
a steady rate per minute), the throttle listens to the vendor: a 429 or 503 with
`Retry-After`, or a response saying no calls remain in the window (`RateLimit-Remaining: 0`,
`X-RateLimit-Remaining: 0`, HubSpot's `X-HubSpot-RateLimit-Remaining: 0`, … with the reset
time the vendor gives), pauses every holder until the vendor is ready again.
"""

import asyncio
import time
from collections.abc import Iterable, Mapping
from types import TracebackType

from aiolimiter import AsyncLimiter

from connectors.base import RateLimit

# The vendors' names for "calls left in this window" and "when the window resets".
_REMAINING = (
    "ratelimit-remaining",
    "x-ratelimit-remaining",
    "x-rate-limit-remaining",
    "x-hubspot-ratelimit-remaining",
    "x-hubspot-ratelimit-secondly-remaining",
)
_RESET = ("ratelimit-reset", "x-ratelimit-reset", "x-rate-limit-reset")
_INTERVAL_MS = "x-hubspot-ratelimit-interval-milliseconds"
_EPOCH_FLOOR = 1_000_000_000  # a reset above this is a Unix time, below it a delay
_DEFAULT_PAUSE = 1.0  # when a vendor says "none left" but not until when


class Throttle:
    """Async context manager: wait for a free call under every limit and any vendor pause."""

    def __init__(self, limits: Iterable[RateLimit] = ()) -> None:
        self.limits = tuple(limits)
        self._limiters = [AsyncLimiter(r.max_rate, r.time_period) for r in self.limits]
        self._resume_at = 0.0  # time.monotonic() before which no call may start

    async def __aenter__(self) -> None:
        # Re-read after sleeping: another response may have extended the pause.
        while (wait := self._resume_at - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(wait)
        for limiter in self._limiters:
            await limiter.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def has_capacity(self) -> bool:
        """Whether a call could start now without waiting."""
        return self.paused_for == 0 and all(
            limiter.has_capacity() for limiter in self._limiters
        )

    @property
    def paused_for(self) -> float:
        """Seconds until calls may start again (0 when they may now)."""
        return max(self._resume_at - time.monotonic(), 0.0)

    def pause(self, seconds: float) -> None:
        """Hold every call of this instance for `seconds` (never shortens a pause)."""
        self._resume_at = max(self._resume_at, time.monotonic() + max(seconds, 0.0))

    def observe(self, headers: Mapping[str, str], *, now: float | None = None) -> None:
        """Pause when the vendor's rate-limit headers say the window is spent."""
        seconds = exhausted_for(headers, now=now)
        if seconds is not None:
            self.pause(seconds)


def exhausted_for(
    headers: Mapping[str, str], *, now: float | None = None
) -> float | None:
    """Seconds to wait when the headers say no calls remain; None when some remain."""
    lowered = {key.lower(): value for key, value in headers.items()}
    remaining = _number(next((lowered[k] for k in _REMAINING if k in lowered), None))
    if remaining is None or remaining > 0:
        return None
    reset = _number(next((lowered[k] for k in _RESET if k in lowered), None))
    if reset is not None:
        if reset > _EPOCH_FLOOR:
            return max(reset - (time.time() if now is None else now), 0.0)
        return reset
    interval = _number(lowered.get(_INTERVAL_MS))
    return interval / 1000 if interval is not None else _DEFAULT_PAUSE


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.split(",")[0].split(";")[0].strip())
    except ValueError:
        return None
    return number if number >= 0 and number != float("inf") else None
