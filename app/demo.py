"""Demo data for `make run`: an admin, a few requests, and connectors to a demo shop."""

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import typer
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from app.db import utcnow
from app.enums import Channel, Regulation, RequestType
from app.flows import intake
from app.requests.models import DsrRequest
from app.settings import Settings
from app.staff import service as staff_service
from app.staff.models import Role

DEMO_ADMIN = "admin@example.com"


async def seed(session: AsyncSession, settings: Settings) -> None:
    """Create the demo admin (password printed once) and demo requests, once."""
    if await staff_service.get_staff(session, DEMO_ADMIN) is None:
        password = staff_service.generate_password()
        await staff_service.add_staff(
            session,
            email=DEMO_ADMIN,
            role=Role.ADMIN,
            password=password,
            name="Demo Admin",
        )
        typer.echo(f"demo admin: {DEMO_ADMIN} / {password} (shown once)")
    if (
        await session.execute(select(func.count()).select_from(DsrRequest))
    ).scalar_one():
        return
    now = utcnow()
    for days_ago, kind, regulation, email, verified in (
        (2, RequestType.ACCESS, Regulation.GDPR, "ada@example.com", True),
        (25, RequestType.ERASURE, Regulation.GDPR, "grace@example.org", True),
        (40, RequestType.ACCESS, Regulation.CCPA, "alan@example.net", False),
    ):
        await intake.create_request(
            session,
            type=kind,
            regulation=regulation,
            email=email,
            channel=Channel.STAFF,
            actor="system:demo",
            settings=settings,
            received_at=now - timedelta(days=days_ago),
            identity_verified=verified,
        )
    typer.echo("demo requests created")


DEMO_DATASET = """\
# The demo shop's personal data: who it is, how rows reach them, what erasure does.
tables:
  customers:
    identity: {email: email}
    primary_key: id
    erase: {update: {email: hash, name: "null", phone: "null"}}
  orders:
    primary_key: id
    references: {customer_id: customers.id}
    erase: {update: {shipping_address: redact}}
  page_views:
    primary_key: id
    references: {customer_id: customers.id}
    erase: delete
"""

DEMO_CONNECTORS = """\
# Demo connectors written by `dsr demo`: a SQLite shop and a manual task.
connectors:
  - name: demo_shop
    type: sql
    url: sqlite:///{store}
    dataset: {dataset}
    hash_key: demo-hash-key-not-for-production
  - name: billing_team
    type: manual
    instructions: "Remove the person from the paper ledger in the finance office."
    actions: [erase]
"""


def write_demo_connectors(data_dir: Path, connectors_file: Path) -> bool:
    """Create a demo SQLite shop and a connectors.yaml using it; False if one exists."""
    if connectors_file.exists():
        return False
    folder = data_dir.resolve() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    store, dataset = folder / "shop.db", folder / "shop.yaml"
    store.unlink(missing_ok=True)
    with closing(sqlite3.connect(store)) as db, db:
        db.executescript(
            """
            CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, name TEXT, phone TEXT);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER
              REFERENCES customers(id), shipping_address TEXT, total REAL);
            CREATE TABLE page_views (id INTEGER PRIMARY KEY, customer_id INTEGER
              REFERENCES customers(id), path TEXT);
            INSERT INTO customers VALUES (1, 'ada@example.com', 'Ada Lovelace', '+44 20 7946 0001'),
              (2, 'grace@example.org', 'Grace Hopper', NULL), (3, 'alan@example.net', 'Alan Turing', NULL);
            INSERT INTO orders VALUES (10, 1, '12 St James''s Square, London', 42.0),
              (11, 1, '12 St James''s Square, London', 7.5), (20, 2, '1 Navy Yard, Arlington', 99.0);
            INSERT INTO page_views VALUES (100, 1, '/pricing'), (101, 1, '/docs'), (102, 3, '/');
            """
        )
    dataset.write_text(DEMO_DATASET)
    connectors_file.write_text(DEMO_CONNECTORS.format(store=store, dataset=dataset))
    return True
