"""Fixtures for connector tests: real databases, a sample shop schema, a fake webhook.

Databases: SQLite (a temporary file), PostgreSQL (127.0.0.1:5432, user postgres) and
MariaDB (127.0.0.1:3306, root), each in its own `dsr_connectors` database. The schema is
a small shop: users (with a self-reference), orders → order_items (two hops), events and
user_tags (composite primary key). Ada has a few thousand rows; Bob and Cy must never
change.
"""

import hashlib
import hmac
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.base import Connector, Record, Subject
from connectors.sql import SqlConfig, SqlConnector
from connectors.testing import serve_app
from connectors.webhook import verify_signature

# Named after this checkout's test database (DSR_TEST_PG_URL), so parallel checkouts
# do not share one.
_TEST_DB = os.environ.get("DSR_TEST_PG_URL", "/test").rsplit("/", 1)[-1]
DB_NAME = "dsr_connectors" if _TEST_DB == "test" else f"dsr_connectors_{_TEST_DB}"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
MARIADB_SERVER = "mysql://root@127.0.0.1:3306"
HASH_KEY = "test-hash-key-0123456789"
WEBHOOK_SECRET = "webhook-secret-0123456789"

ADA = Subject(email="ada.lovelace@example.com", name="Ada Lovelace")
ADA_STORED_EMAIL = "Ada.Lovelace@Example.COM"  # stored in another case on purpose
NOBODY = Subject(email="nobody@example.invalid")
ADA_ORDERS = (1, 2, 3)
ADA_EVENTS = 2500

metadata = sa.MetaData()
sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("name", sa.String(100)),
    sa.Column("phone", sa.String(30)),
    sa.Column("referred_by", sa.Integer, sa.ForeignKey("users.id")),
)
sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("shipping_address", sa.String(200)),
    sa.Column("total", sa.Numeric(10, 2), nullable=False),
)
sa.Table(
    "order_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("sku", sa.String(40), nullable=False),
)
sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)
sa.Table(
    "user_tags",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("tag", sa.String(40), primary_key=True),
    sa.Column("note", sa.String(40)),
)

DATASET = """
tables:
  users:
    identity: {email: email}
    primary_key: id
    references: {referred_by: users.id}
    erase: {update: {email: hash, name: "null", phone: random}}
  orders:
    primary_key: id
    references: {user_id: users.id}
    erase: {update: {shipping_address: redact}}
  order_items:
    references: {order_id: orders.id}
    erase: delete
  events:
    references: {user_id: users.id}
    erase: delete
  user_tags:
    primary_key: [user_id, tag]
    references: {user_id: users.id}
    erase: {update: {note: hash}}
"""

DELETE_DATASET = """
tables:
  users: {identity: {email: email}, references: {referred_by: users.id}, erase: delete}
  orders: {references: {user_id: users.id}, erase: delete}
  order_items: {references: {order_id: orders.id}, erase: delete}
  events: {references: {user_id: users.id}, erase: delete}
  user_tags: {references: {user_id: users.id}, erase: delete}
"""


def seed_rows() -> dict[str, list[dict[str, Any]]]:
    """Cy (3), Ada (1, referred by Cy) and Bob (2, referred by Ada), parents first."""
    users = [
        _user(3, "ada.lovelace@example.org", "Cy Near-Miss", None),
        _user(1, ADA_STORED_EMAIL, "Ada Lovelace", 3),
        _user(2, "bob@example.com", "Bob Builder", 1),
    ]
    owners = {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 3}
    orders = [
        {
            "id": o,
            "user_id": u,
            "shipping_address": f"{o} Main St",
            "total": Decimal("9.50"),
        }
        for o, u in owners.items()
    ]
    items = [
        {"id": 2 * o + i, "order_id": o, "sku": f"SKU-{o}-{i}"}
        for o in owners
        for i in (0, 1)
    ]
    at = datetime(2024, 5, 1, 12, 0, 0)  # noqa: DTZ001 - a naive DateTime column
    counts = [(1, ADA_EVENTS), (2, 5), (3, 3)]
    events, next_id = [], 1
    for user, count in counts:
        for _ in range(count):
            events.append({"id": next_id, "user_id": user, "kind": "login", "at": at})
            next_id += 1
    tags = [
        {"user_id": 1, "tag": "vip", "note": "prefers email"},
        {"user_id": 1, "tag": "beta", "note": None},
        {"user_id": 2, "tag": "beta", "note": "joined via Ada"},
    ]
    return {
        "users": users,
        "orders": orders,
        "order_items": items,
        "events": events,
        "user_tags": tags,
    }


def _user(uid: int, email: str, name: str, referred_by: int | None) -> dict[str, Any]:
    phone = f"+1-555-010{uid}"
    return {
        "id": uid,
        "email": email,
        "name": name,
        "phone": phone,
        "referred_by": referred_by,
    }


def owned_by_ada(table: str, row: dict[str, Any]) -> bool:
    """Whether a seeded row belongs to Ada."""
    if table == "users":
        return bool(row["id"] == 1)
    if table == "order_items":
        return bool(row["order_id"] in ADA_ORDERS)
    return bool(row["user_id"] == 1)


def hmac_hex(value: str) -> str:
    """What the `hash` strategy must write for `value`."""
    return hmac.new(HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


@dataclass
class Store:
    """One database with the shop schema, and a factory for SQL connectors on it."""

    backend: str
    url: str
    engine: AsyncEngine
    folder: Path
    connectors: list[Connector[Any]] = field(default_factory=list)

    async def reset(self) -> None:
        """Empty every table and load the seed rows."""
        async with self.engine.begin() as connection:
            await connection.execute(
                metadata.tables["users"].update().values(referred_by=None)
            )
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())
            for name, rows in seed_rows().items():
                await connection.execute(metadata.tables[name].insert(), rows)

    async def snapshot(self) -> Snapshot:
        """Every row of every table, keyed by table and primary key."""
        state: Snapshot = {}
        async with self.engine.connect() as connection:
            for table in metadata.sorted_tables:
                rows = (await connection.execute(sa.select(table))).mappings().all()
                key = [column.name for column in table.primary_key.columns]
                state[table.name] = {
                    tuple(row[k] for k in key): dict(row) for row in rows
                }
        return state

    def connector(self, dataset: str = DATASET, **settings: Any) -> SqlConnector:
        """A SqlConnector over this store with the given dataset text and settings."""
        path = self.folder / f"dataset-{len(self.connectors)}.yaml"
        path.write_text(dataset, encoding="utf-8")
        values = {"name": "app_db", "type": "sql", "url": self.url, "dataset": path}
        values.setdefault("hash_key", HASH_KEY)
        config = SqlConfig.model_validate({**values, **settings})
        connector = SqlConnector(config, name=config.name)
        self.connectors.append(connector)
        return connector


async def collect(connector: Connector[Any], subject: Subject) -> list[Record]:
    """All records that access() yields, closing the stream properly."""
    async with aclosing(connector.access(subject)) as stream:
        return [record async for record in stream]


@dataclass(frozen=True)
class Kit:
    """Shared test data and helpers, handed to tests as the `kit` fixture.

    A fixture rather than an import: test folders have no `__init__.py`, and a
    test-local module name could clash with another suite's.
    """

    ada: Subject = ADA
    ada_stored_email: str = ADA_STORED_EMAIL
    nobody: Subject = NOBODY
    ada_orders: tuple[int, ...] = ADA_ORDERS
    ada_events: int = ADA_EVENTS
    delete_dataset: str = DELETE_DATASET
    hash_key: str = HASH_KEY
    webhook_secret: str = WEBHOOK_SECRET
    owned_by_ada: Callable[[str, dict[str, Any]], bool] = owned_by_ada
    hmac_hex: Callable[[str], str] = hmac_hex
    collect: Callable[[Connector[Any], Subject], Awaitable[list[Record]]] = collect


@pytest.fixture(scope="session")
def kit() -> Kit:
    return Kit()


async def _create_database(admin_url: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                exists = await connection.scalar(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": DB_NAME},
                )
                if not exists:
                    await connection.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
            else:
                await connection.execute(
                    sa.text(f"CREATE DATABASE IF NOT EXISTS `{DB_NAME}`")
                )
    finally:
        await engine.dispose()


def _async(url: str, driver: str) -> str:
    return url.replace("://", f"+{driver}://", 1)


async def _server_engine(server: str, admin_db: str, driver: str) -> AsyncEngine:
    await _create_database(_async(f"{server}/{admin_db}", driver))
    engine = create_async_engine(_async(f"{server}/{DB_NAME}", driver))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.drop_all)
        await connection.run_sync(metadata.create_all)
    return engine


@pytest.fixture(scope="session")
async def pg_engine() -> AsyncIterator[AsyncEngine]:
    engine = await _server_engine(PG_SERVER, "postgres", "asyncpg")
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def mariadb_engine() -> AsyncIterator[AsyncEngine]:
    engine = await _server_engine(MARIADB_SERVER, "", "aiomysql")
    yield engine
    await engine.dispose()


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    sa.event.listen(engine.sync_engine, "connect", _sqlite_foreign_keys)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.pg),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


def _connector_url(backend: str, engine: AsyncEngine) -> str:
    # Connectors get sync-style URLs, as operators write them, to exercise the mapping.
    if backend == "sqlite":
        return f"sqlite:///{engine.url.database}"
    server = PG_SERVER if backend == "postgresql" else MARIADB_SERVER
    return f"{server}/{DB_NAME}"


@pytest.fixture(params=BACKENDS)
def backend_engine(request: pytest.FixtureRequest) -> tuple[str, AsyncEngine]:
    """(backend name, engine with the shop schema), for every backend."""
    backend: str = request.param
    fixture = {"sqlite": "sqlite_engine", "postgresql": "pg_engine"}.get(
        backend, "mariadb_engine"
    )
    engine: AsyncEngine = request.getfixturevalue(fixture)
    return backend, engine


@pytest.fixture
def make_store() -> Callable[[str, AsyncEngine, Path], Store]:
    """Build a Store for a backend's engine (the caller seeds it with reset())."""

    def make(backend: str, engine: AsyncEngine, folder: Path) -> Store:
        return Store(backend, _connector_url(backend, engine), engine, folder)

    return make


@pytest.fixture
async def store(
    backend_engine: tuple[str, AsyncEngine], tmp_path: Path, make_store
) -> AsyncIterator[Store]:
    """A freshly seeded shop database on each backend."""
    shop = make_store(*backend_engine, tmp_path)
    await shop.reset()
    yield shop
    for connector in shop.connectors:
        await connector.aclose()


# --- fake webhook receiver ---


@dataclass
class WebhookReceiver:
    """A customer endpoint under uvicorn; tests set `reply` and read `calls`."""

    url: str = ""
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    reply: Callable[[dict[str, Any]], Awaitable[Response]] | None = None
    known: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    replies_by_key: dict[str, Response] = field(default_factory=dict)
    subscribed: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.calls.clear()
        self.replies_by_key.clear()
        self.reply = None
        self.known = {ADA.email: [{"source": "contacts", "data": {"email": ADA.email}}]}
        self.subscribed = {ADA.email}

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.calls.append((dict(request.headers), body))
        signature = request.headers.get("x-dsr-signature", "")
        if not verify_signature(WEBHOOK_SECRET, body, signature):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        payload = await request.json()
        if self.reply is not None:
            return await self.reply(payload)
        key = request.headers.get("idempotency-key", "")
        if (
            key in self.replies_by_key
        ):  # replay the first answer, as idempotency demands
            return self.replies_by_key[key]
        answer = self._answer(payload)
        self.replies_by_key[key] = answer
        return answer

    def _answer(self, payload: dict[str, Any]) -> Response:
        if payload["action"] == "test":
            return JSONResponse({"ok": True})
        email = payload["subject"]["email"]
        if payload["action"] == "access":
            return JSONResponse({"records": self.known.get(email, [])})
        if payload["action"] == "opt_out":
            lists = 1 if email in self.subscribed else 0
            self.subscribed.discard(email)
            return JSONResponse({"status": "done", "erased": {"newsletter": lists}})
        erased = len(self.known.pop(email, []))
        return JSONResponse({"status": "done", "erased": {"contacts": erased}})


@pytest.fixture(scope="session")
def webhook_server() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    app = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    with serve_app(app) as base:
        receiver.url = f"{base}/hook"
        yield receiver


@pytest.fixture
def webhook(webhook_server: WebhookReceiver) -> WebhookReceiver:
    """The fake webhook receiver, reset for this test."""
    webhook_server.reset()
    return webhook_server
