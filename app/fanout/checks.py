"""Connector checks for `dsr connectors test` and the staff UI: credentials, reachability,
configuration; the UI's results are kept on an audit chain, the last one shown."""

import asyncio
from dataclasses import dataclass
from datetime import datetime

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.audit import service as audit
from app.audit.models import Event
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


CHECKS_CHAIN = "connectors"  # the audit chain of connector tests run from the staff UI
_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """A connector's last recorded test: when, by whom, and its error (None: passed)."""

    name: str
    at: datetime
    actor: str
    error: str | None

    @property
    def ok(self) -> bool:
        """Whether that test passed."""
        return self.error is None


async def record_checks(
    session: AsyncSession, results: list[CheckResult], *, actor: str
) -> None:
    """Keep each test's result on the `connectors` audit chain (skipped ones are not)."""
    for result in results:
        if result.skipped:
            continue
        error = None if result.error is None else result.error[:_ERROR_CHARS]
        await audit.record_in(
            session,
            CHECKS_CHAIN,
            "connector_tested",
            actor=actor,
            data={"connector": result.name, "ok": result.ok, "error": error},
        )


async def last_checks(
    session: AsyncSession, *, scan: int = 500
) -> dict[str, CheckRecord]:
    """Each connector's most recent recorded test, among the last `scan` ones."""
    query = (
        select(Event)
        .where(col(Event.chain) == CHECKS_CHAIN, col(Event.kind) == "connector_tested")
        .order_by(col(Event.seq).desc())
        .limit(scan)
    )
    found: dict[str, CheckRecord] = {}
    for event in (await session.execute(query)).scalars():
        name = str(event.data.get("connector", ""))
        if name and name not in found:
            error = event.data.get("error")
            found[name] = CheckRecord(
                name, event.at, event.actor, None if error is None else str(error)
            )
    return found
