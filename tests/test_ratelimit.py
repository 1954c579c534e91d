"""The shared rate limit holds under concurrency: N posters at once never get past it."""

import asyncio
from datetime import timedelta

from fastapi import FastAPI

from app import ratelimit

SECRET = b"rate-limit-test-secret"


async def test_concurrent_hits_never_pass_the_limit(app: FastAPI) -> None:
    maker = app.state.sessionmaker
    start = asyncio.Event()

    async def poster() -> bool:
        async with maker() as session:
            await start.wait()
            allowed = await ratelimit.hit(
                session,
                "form",
                "203.0.113.9",
                limit=20,
                window=timedelta(hours=1),
                secret=SECRET,
            )
            await asyncio.sleep(0.01)  # hold the transaction open, as a form post does
            await session.commit()
            return allowed

    posters = [asyncio.create_task(poster()) for _ in range(30)]
    await asyncio.sleep(0.05)
    start.set()
    results = await asyncio.gather(*posters)

    assert results.count(True) == 20


async def test_other_keys_and_buckets_have_their_own_count(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session:
        hour = timedelta(hours=1)
        for _ in range(2):
            assert await ratelimit.hit(
                session, "form", "a", limit=2, window=hour, secret=SECRET
            )
        assert not await ratelimit.hit(
            session, "form", "a", limit=2, window=hour, secret=SECRET
        )
        assert await ratelimit.hit(
            session, "form", "b", limit=2, window=hour, secret=SECRET
        )
        assert await ratelimit.hit(
            session, "code", "a", limit=2, window=hour, secret=SECRET
        )
        await session.commit()
