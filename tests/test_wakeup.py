"""Wake-ups: sent when the transaction commits, never on rollback, across processes on PG."""

import asyncio

import pytest

from app import wakeup
from app.main import make_app_sessionmaker


def _woken(maker) -> asyncio.Event:
    signal = wakeup.signal_of(maker)
    assert signal is not None
    return signal.event("fanout")


async def test_a_wake_up_is_sent_when_the_transaction_commits(app):
    maker = app.state.sessionmaker
    woken = _woken(maker)
    woken.clear()
    async with maker() as session:
        await wakeup.notify(session, "fanout")
        await session.flush()
        assert not woken.is_set()  # the work is not visible to a worker yet

        await session.commit()

    assert woken.is_set()


async def test_a_rolled_back_transaction_wakes_nobody(app):
    maker = app.state.sessionmaker
    woken = _woken(maker)
    woken.clear()
    async with maker() as session:
        await wakeup.notify(session, "fanout")
        await session.rollback()
        await session.commit()  # a later, empty transaction sends nothing either

    assert not woken.is_set()


async def test_a_released_savepoint_waits_for_the_outer_commit(app):
    maker = app.state.sessionmaker
    woken = _woken(maker)
    woken.clear()
    async with maker() as session:
        async with session.begin_nested():
            await wakeup.notify(session, "fanout")
        assert not woken.is_set()

        await session.commit()

    assert woken.is_set()


async def test_approving_a_ticket_wakes_the_fanout_worker(app, api):
    woken = _woken(app.state.sessionmaker)
    woken.clear()

    await api.approved("erasure")

    assert woken.is_set()


@pytest.mark.pg
async def test_another_process_is_woken_through_listen_notify(app, settings):
    elsewhere = wakeup.Wakeup()  # another process's events, fed by its listener
    listener = wakeup.Listener(settings.database_url, elsewhere)
    await listener.start()
    try:
        async with app.state.sessionmaker() as session:
            await wakeup.notify(session, "results")
            await session.commit()

        await asyncio.wait_for(elsewhere.event("results").wait(), 10)
        assert not elsewhere.event("fanout").is_set()
    finally:
        await listener.stop()


@pytest.mark.pg
async def test_a_listener_ignores_its_own_process_notifications(app, settings):
    maker = app.state.sessionmaker
    signal = wakeup.signal_of(maker)
    assert signal is not None
    listener = wakeup.Listener(settings.database_url, signal)
    await listener.start()
    other = make_app_sessionmaker(settings)  # another process's sessions
    try:
        async with maker() as session:
            await wakeup.notify(session, "results")
            await session.commit()
        signal.event("results").clear()  # set by the commit itself, in this process
        async with other() as session:
            await wakeup.notify(session, "fanout")
            await session.commit()

        # PostgreSQL delivers notifications in commit order: once the other process's
        # has arrived, our own has been seen, and ignored.
        await asyncio.wait_for(signal.event("fanout").wait(), 10)
        assert not signal.event("results").is_set()
    finally:
        await listener.stop()
        await other.kw["bind"].dispose()
