"""Connector checks for `dsr connectors test`: credentials, reachability, configuration."""

import asyncio
from dataclasses import dataclass

import anyio
import httpx

from app.fanout.config import FanoutRuntime
from connectors.base import ConnectorError


@dataclass(frozen=True, slots=True)
class CheckResult:
    """How one connector's test() went; `error` is None when it passed."""

    name: str
    error: str | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """Whether the check passed (or was skipped)."""
        return self.error is None


async def check_connectors(
    runtime: FanoutRuntime, name: str | None = None
) -> list[CheckResult]:
    """Run test() on every enabled connector (or on `name`), concurrently."""
    names = [name] if name is not None else list(runtime.connectors)
    async with runtime.http_client() as http:
        return list(
            await asyncio.gather(*(_check(runtime, each, http, name) for each in names))
        )


async def _check(
    runtime: FanoutRuntime, name: str, http: httpx.AsyncClient, chosen: str | None
) -> CheckResult:
    spec = runtime.connectors[name]
    if not spec.enabled and chosen is None:
        return CheckResult(name, skipped=True)
    connector = runtime.build(name, http)
    try:
        # The connector's own calls time out; this bounds a test() that makes many.
        with anyio.fail_after(spec.config.timeout * 3):
            await connector.test()
    except TimeoutError:
        return CheckResult(name, f"no answer within {spec.config.timeout * 3:.0f} s")
    except ConnectorError as exc:
        return CheckResult(name, str(exc) or type(exc).__name__)
    except Exception as exc:  # a plugin may raise anything; report it, test the rest
        return CheckResult(name, f"{type(exc).__name__}: {exc}")
    finally:
        await connector.aclose()
    return CheckResult(name)
