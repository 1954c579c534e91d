"""The worker's own health signal: a heartbeat file `dsr worker --check` reads."""

import asyncio
import os
import time

from fastapi import FastAPI
from typer.testing import CliRunner

from app.cli import cli, heartbeat_file
from app.jobs import JobContext, Worker
from app.settings import Settings


def _check(settings: Settings) -> int:
    env = {"DSR_DATA_DIR": str(settings.data_dir)}
    return CliRunner().invoke(cli, ["worker", "--check"], env=env).exit_code


async def test_a_running_worker_is_healthy_and_a_silent_one_is_not(
    app: FastAPI, settings: Settings
) -> None:
    path = heartbeat_file(settings)
    assert _check(settings) == 1  # no worker has run here
    worker = Worker(
        JobContext(settings, app.state.sessionmaker), jobs={}, heartbeat_file=path
    )
    await worker.start()
    try:
        for _ in range(100):
            if path.exists():
                break
            await asyncio.sleep(0.02)
        assert _check(settings) == 0
    finally:
        await worker.stop()
    stale = time.time() - 120  # no beat for two minutes: the worker hangs or died
    os.utime(path, (stale, stale))
    assert _check(settings) == 1


def test_another_hosts_heartbeat_does_not_vouch_for_this_one(
    settings: Settings,
) -> None:
    """On a shared data directory a second container's beat says nothing about this one."""
    other = settings.data_dir / "worker-another-host.heartbeat"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_text("now\n")
    assert _check(settings) == 1
    heartbeat_file(settings).write_text("now\n")
    assert _check(settings) == 0
