"""What both soak suites share: databases, `dsr` processes, socket owners and figures.

The app always runs as production runs it: `dsr serve` and `dsr worker` subprocesses of
the installed console script, configured only through `DSR_*` variables.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import asyncpg
import httpx

ROOT = Path(__file__).parents[1]
DSR = Path(sys.executable).parent / "dsr"
SECRET_KEY = "soak-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def pg_server() -> str:
    """The PostgreSQL server (SQLAlchemy URL without a database) the suites create DBs on."""
    if url := os.environ.get("DSR_SOAK_PG_SERVER"):
        return url.rstrip("/")
    if url := os.environ.get("DSR_TEST_PG_URL"):
        return url.rsplit("/", 1)[0]
    return "postgresql+asyncpg://postgres@127.0.0.1:5432"


def _dsn(server: str, database: str) -> str:
    return f"{server.replace('postgresql+asyncpg', 'postgresql')}/{database}"


async def connect(server: str, database: str, **options: object) -> asyncpg.Connection:
    """A plain asyncpg connection (the suites' own view of a database)."""
    return await asyncpg.connect(_dsn(server, database), **options)


async def create_database(server: str, name: str) -> str:
    """A fresh, empty database; its SQLAlchemy URL."""
    admin = await connect(server, "postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server}/{name}"


async def drop_database(server: str, name: str) -> None:
    """Drop a database the suite created, whoever is still connected."""
    admin = await connect(server, "postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


_STARTED = time.monotonic()


def phase(label: str) -> None:
    """With SOAK_VERBOSE=1, say on stderr how far into the run a step is."""
    if os.environ.get("SOAK_VERBOSE"):
        print(f"[{time.monotonic() - _STARTED:6.1f} s] {label}", file=sys.stderr)


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_env(folder: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of every `dsr` process of one run (`settings`: more DSR_ values)."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("DSR_")
    }
    env |= {
        "DSR_DATABASE_URL": database_url,
        "DSR_DATA_DIR": str(folder / "var"),
        "DSR_SECRET_KEY": SECRET_KEY,
        "DSR_CONNECTORS_FILE": str(folder / "connectors.yaml"),
        "DSR_PRIVACY_FILE": str(ROOT / "privacy.example.yaml"),
    }
    env |= {f"DSR_{key.upper()}": value for key, value in settings.items()}
    return env


@dataclass(frozen=True)
class Wiring:
    """Where one run's processes meet on loopback: the mail relay's and the web's ports."""

    relay_port: int
    web_port: int

    @classmethod
    def fresh(cls) -> "Wiring":
        """Two free ports."""
        return cls(free_port(), free_port())

    @property
    def base(self) -> str:
        """The web process's address, in every emailed link."""
        return f"http://127.0.0.1:{self.web_port}"

    def env(self, folder: Path, database_url: str, **settings: str) -> dict[str, str]:
        """`app_env` with mail sent to the relay and links naming the web process."""
        return app_env(
            folder,
            database_url,
            smtp_host="127.0.0.1",
            smtp_port=str(self.relay_port),
            smtp_security="none",
            base_url=self.base,
            **settings,
        )


def run_dsr(args: Sequence[str], env: dict[str, str], stdin: str = "") -> str:
    """Run a short `dsr` command; its stdout (raises with its stderr when it fails)."""
    done = subprocess.run(  # noqa: S603 - our own CLI
        [str(DSR), *args], env=env, input=stdin, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"dsr {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


async def prepare(env: dict[str, str], email: str = "soak.agent@example.com") -> str:
    """Migrate the app database and give an agent an API token; the token.

    Set-up, not what is measured: done in this process with the code the `dsr db upgrade`,
    `dsr staff add` and `dsr staff token` commands call, which saves three start-ups of
    the CLI (seconds each on a busy machine).
    """
    from app import migrations
    from app.db import session_scope
    from app.enums import Role
    from app.main import make_app_sessionmaker
    from app.settings import Settings
    from app.staff import service as staff_service

    fields = {
        key[4:].lower(): value for key, value in env.items() if key.startswith("DSR_")
    }
    settings = Settings(_env_file=None, **fields)  # type: ignore[arg-type]  # values are validated
    await asyncio.to_thread(migrations.upgrade, settings.database_url)
    maker = make_app_sessionmaker(settings)
    try:
        async with session_scope(maker) as session:
            staff = await staff_service.add_staff(
                session, email=email, role=Role.AGENT, password=SECRET_KEY, actor="soak"
            )
            token, _ = await staff_service.create_token(
                session, staff, name="soak", days=1, actor="soak"
            )
    finally:
        await maker.kw["bind"].dispose()
    return token


class Process:
    """A `dsr` subprocess whose stderr goes to a log file."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        log_dir = Path(env["DSR_DATA_DIR"]).parent / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 - our own CLI
            [str(DSR), *args], env=env, stdout=self._log, stderr=self._log
        )
        self.pid = self.popen.pid
        self.started = time.monotonic()
        self._ready_at: float | None = None

    def ready_at(self) -> float | None:
        """When a worker's log first said its jobs were scheduled (None: not yet)."""
        if self._ready_at is None and b"jobs scheduled" in self.log_path.read_bytes():
            self._ready_at = time.monotonic()
        return self._ready_at

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def kill(self) -> None:
        """kill -9."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Ask it to stop (SIGTERM), then make sure it did."""
        if self.alive:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
                self.popen.wait()
        self._log.close()


async def wait_healthy(base: str, process: Process, seconds: float = 60) -> None:
    """Wait until `dsr serve` answers /healthz."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if not process.alive:
                raise RuntimeError(f"{process.name} exited: see {process.log_path}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{process.name} did not answer /healthz in {seconds:.0f} s")


def socket_owner(local_port: int, pids: Sequence[int]) -> int | None:
    """Which of `pids` owns the loopback TCP socket bound to `local_port`, if any.

    The server side sees a client's port; the kernel's socket table maps it to an inode,
    and only the candidates' open files are searched for that inode (fast, and no
    process outside the run is looked at).
    """
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            next(rows, None)
            for row in rows:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        with contextlib.suppress(OSError):
            fd_dir = f"/proc/{pid}/fd"
            for fd in os.listdir(fd_dir):
                with contextlib.suppress(OSError):
                    if os.readlink(f"{fd_dir}/{fd}") in inodes:
                        return pid
    return None


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values (nearest rank)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stream_line(name: str, latencies: Sequence[float], seconds: float) -> str:
    """`name  count in s = rate/s  p50 p95 p99` for one stream of requests."""
    ordered = sorted(latencies)
    ms = [percentile(ordered, q) * 1000 for q in (0.5, 0.95, 0.99)]
    return (
        f"{name:<11} {len(ordered):>6} in {seconds:5.1f} s = "
        f"{len(ordered) / seconds:7.1f}/s  p50 {ms[0]:7.1f} ms  p95 {ms[1]:7.1f} ms"
        f"  p99 {ms[2]:7.1f} ms"
    )
