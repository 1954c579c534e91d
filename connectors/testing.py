"""The connector contract kit: the checks every connector type must pass, for any author.

A connector author writes a fake of the vendor (an ASGI app answering as the vendor's
documentation shows), serves it with `serve_app`, and subclasses `ConnectorContract` with a
`case` fixture; pytest then runs every contract check against it:

    import pytest
    from connectors.testing import ConnectorContract, ContractCase, serve_app

    class TestAcmeCrm(ConnectorContract):
        @pytest.fixture
        async def case(self):
            fake = FakeAcme()                         # holds ada@example.com and bob
            with serve_app(fake.app) as url:
                good = AcmeConnector(AcmeConfig(name="acme", type="acme",
                                                base_url=url, token="good"), name="acme")
                bad = ...                              # same, with a refused token
                yield ContractCase(good=good, bad=bad,
                                   subject=Subject(email="ada@example.com"),
                                   others=["bob@example.com"])

The checks: the type declares its contract; `test()` passes with good settings and fails
with bad ones; `access()` finds the subject's records and no one else's; an unknown person
gives empty results and a zero erasure (never `already_erased`); a second `erase()`
reports the same status or `already_erased`, with nothing erased twice or the first
answer replayed (`assert_second_erase`; once done, `access()` finds nothing); a second
`opt_out()` is harmless; `aclose()` may be called twice. It needs only pytest and pytest-asyncio (in auto
mode, or mark the class `pytest.mark.asyncio`).
"""

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from connectors.base import (
    Capability,
    Connector,
    ConnectorConfig,
    ConnectorError,
    EraseStatus,
    EraseSummary,
    ManualActionRequired,
    OptOutSummary,
    RateLimit,
    Record,
    Subject,
)

NOBODY = Subject(email="nobody.at.all@example.invalid")


@dataclass
class ContractCase:
    """One connector instance ready for the contract checks.

    `good` reaches a vendor (or store) holding `subject`'s data and the data of the people
    in `others` (emails or other strings that must never appear in the subject's records);
    `bad` has refused credentials or an unreachable address (None if the type has
    neither); `manual` types answer every call with `ManualActionRequired`;
    `erased_at_once` is False for vendors that erase later (a pending job), so records
    may still be found right after `erase()`.
    """

    good: Connector[Any]
    subject: Subject
    bad: Connector[Any] | None = None
    others: Sequence[str] = ()
    nobody: Subject = NOBODY
    manual: bool = False
    erased_at_once: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


async def collect(connector: Connector[Any], subject: Subject) -> list[Record]:
    """Every record `access()` streams for the subject."""
    return [record async for record in connector.access(subject)]


@contextmanager
def serve_app(
    app: Any, *, lifespan: Literal["auto", "on", "off"] = "off"
) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port (uvicorn in a thread); yield its URL."""
    import uvicorn  # the app's own server; imported here so the kit imports fast

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="error", lifespan=lifespan, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def assert_within_rate(arrivals: Sequence[float], limit: RateLimit) -> None:
    """Assert calls that arrived at `arrivals` (seconds) kept to `limit`.

    Checked as a leaky bucket (aiolimiter's): in any span of `s` seconds at most
    `max_rate * (1 + s / time_period)` calls, with 50 ms of slack for clocks.
    """
    times = sorted(arrivals)
    for start, first in enumerate(times):
        for end in range(start, len(times)):
            # The slack widens the span: a call that reached the server late (a busy
            # loop, a slow accept) makes the calls after it look closer than they were.
            span = times[end] - first + 0.05
            allowed = limit.max_rate * (1 + span / limit.time_period)
            count = end - start + 1
            assert count <= allowed + 1e-9, (
                f"{count} calls in {times[end] - first:.3f}s exceed "
                f"{limit.max_rate:g} per {limit.time_period:g}s"
            )


def _total(summary: EraseSummary) -> int:
    return sum(summary.erased.values())


def assert_second_erase(first: EraseSummary, second: EraseSummary) -> None:
    """Assert what a repeated `erase()` of a person the vendor held may report.

    The first call found the person: `done` with counts above zero, `pending` or
    `manual_required`, never `already_erased`. The second (a retry after a worker died,
    say) reports the same status, or `already_erased`; a `done` erases nothing (zero
    counts) unless it replays the first answer (a receiver answering a repeated
    idempotency key), so the runtime never counts records twice nor reads a retry's
    zero as "not held" when it knows an attempt was interrupted.
    """
    assert first.status is not EraseStatus.ALREADY_ERASED, (
        "the first erase of a person the vendor holds said 'already erased'"
    )
    if first.status is EraseStatus.DONE:
        assert _total(first) > 0, "erased a person the vendor holds: counts say 0"
    if first.status is EraseStatus.MANUAL_REQUIRED:
        assert first.notes, "a manual erasure says what to do"
    assert second.status in (first.status, EraseStatus.ALREADY_ERASED), (
        f"a second erase reported {second.status} after {first.status}"
    )
    if second.status is EraseStatus.DONE:
        # Nothing left the second time, or the first answer replayed.
        assert _total(second) == 0 or second == first, "the first erase left data"


class ConnectorContract:
    """Subclass with a `case` fixture yielding a `ContractCase`; pytest runs the checks."""

    @pytest.fixture
    def case(self) -> ContractCase:
        raise NotImplementedError("override the `case` fixture")

    @pytest.fixture
    async def checked(self, case: ContractCase) -> AsyncIterator[ContractCase]:
        yield case
        for connector in (case.good, case.bad):
            if connector is not None:
                await connector.aclose()

    def test_the_type_declares_the_contract(self, checked: ContractCase) -> None:
        connector_type = type(checked.good)
        assert connector_type.capabilities
        assert all(isinstance(c, Capability) for c in connector_type.capabilities)
        assert issubclass(connector_type.config_model, ConnectorConfig)
        assert all(isinstance(r, RateLimit) for r in checked.good.rate_limits())
        assert checked.good.enabled_actions <= connector_type.capabilities

    async def test_test_passes_with_good_settings(self, checked: ContractCase) -> None:
        await checked.good.test()

    async def test_bad_settings_fail_test(self, checked: ContractCase) -> None:
        if checked.bad is None:
            pytest.skip("this type has no credentials or address")
        with pytest.raises(ConnectorError):
            await checked.bad.test()

    async def test_access_finds_the_subject_and_no_one_else(
        self, checked: ContractCase
    ) -> None:
        if Capability.ACCESS not in checked.good.enabled_actions:
            pytest.skip("no access")
        if checked.manual:
            with pytest.raises(ManualActionRequired):
                await collect(checked.good, checked.subject)
            return
        records = await collect(checked.good, checked.subject)
        assert records, "access() found nothing for a person the vendor holds"
        for record in records:
            assert isinstance(record, Record)
            assert record.source
            dumped = json.dumps(dict(record.data), default=str).lower()
            for other in checked.others:
                assert other.lower() not in dumped, f"{record.source} holds {other}"

    async def test_an_unknown_person_gives_empty_results(
        self, checked: ContractCase
    ) -> None:
        actions = checked.good.enabled_actions
        if checked.manual:
            pytest.skip("a person must look, whoever it is")
        if Capability.ACCESS in actions:
            assert await collect(checked.good, checked.nobody) == []
        if Capability.ERASE in actions:
            summary = await checked.good.erase(checked.nobody)
            assert _total(summary) == 0
            assert summary.status is not EraseStatus.MANUAL_REQUIRED or summary.notes
            # Never held, so never erased before: "already erased" would be untrue.
            assert summary.status is not EraseStatus.ALREADY_ERASED
        if Capability.OPT_OUT in actions:
            assert _total(await checked.good.opt_out(checked.nobody)) == 0

    async def test_a_second_erase_reports_the_same_and_erases_nothing_twice(
        self, checked: ContractCase
    ) -> None:
        if Capability.ERASE not in checked.good.enabled_actions:
            pytest.skip("no erasure")
        if checked.manual:
            for _ in range(2):
                with pytest.raises(ManualActionRequired):
                    await checked.good.erase(checked.subject)
            return
        first = await checked.good.erase(checked.subject)
        second = await checked.good.erase(checked.subject)
        assert isinstance(first, EraseSummary)
        assert isinstance(second, EraseSummary)
        assert_second_erase(first, second)
        if (
            first.status is EraseStatus.DONE
            and checked.erased_at_once
            and Capability.ACCESS in checked.good.enabled_actions
        ):
            assert await collect(checked.good, checked.subject) == []

    async def test_a_second_opt_out_is_harmless(self, checked: ContractCase) -> None:
        if Capability.OPT_OUT not in checked.good.enabled_actions:
            pytest.skip("no opt-out")
        first = await checked.good.opt_out(checked.subject)
        second = await checked.good.opt_out(checked.subject)
        assert isinstance(first, OptOutSummary)
        assert isinstance(second, OptOutSummary)
        assert second.status == first.status
        if first.status is EraseStatus.DONE:
            assert _total(second) <= _total(first)

    async def test_aclose_can_be_called_twice(self, checked: ContractCase) -> None:
        await checked.good.aclose()
        await checked.good.aclose()
