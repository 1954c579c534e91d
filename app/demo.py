"""Demo data for `make run`: an admin, a few requests, and connectors to a demo app database.

The demo matches `privacy.example.yaml` (Brightmetric Analytics, a web analytics service): its
database holds users (contact and account data), invoices (billing data, kept by law) and page
views (usage data). The seeded requests are other people's, so the README's tour — a request
as ada@example.com — opens a new ticket and gets its confirmation link.
"""

import os
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

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
TOUR_ADDRESS = "ada@example.com"  # the README's tour makes its request as ada
ADMIN_FILE = "demo-admin.txt"

# (days ago, type, regulation, address, identity verified): none of them is ada's.
DEMO_REQUESTS = (
    (25, RequestType.ERASURE, Regulation.GDPR, "grace@example.org", True),
    (40, RequestType.ACCESS, Regulation.CCPA, "alan@example.net", False),
)


async def seed(session: AsyncSession, settings: Settings) -> list[str]:
    """Create the demo admin and demo requests, once; the lines to print, password last."""
    lines: list[str] = []
    password: str | None = None
    if await staff_service.get_staff(session, DEMO_ADMIN) is None:
        password = staff_service.generate_password()
        await staff_service.add_staff(
            session,
            email=DEMO_ADMIN,
            role=Role.ADMIN,
            password=password,
            name="Demo Admin",
        )
    if not (
        await session.execute(select(func.count()).select_from(DsrRequest))
    ).scalar_one():
        now = utcnow()
        for days_ago, kind, regulation, email, verified in DEMO_REQUESTS:
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
        lines.append(
            "demo requests created: an erasure by grace@example.org awaiting review and"
            " an unconfirmed CCPA access request by alan@example.net"
        )
    if password is not None:
        saved = write_password(settings.data_dir, password)
        # Last, so the start-up lines that follow do not hide it; also kept in a file.
        lines.append(f"demo admin: {DEMO_ADMIN} / {password} (also in {saved})")
    return lines


def write_password(data_dir: Path, password: str) -> Path:
    """Keep the demo admin's password in the data folder, readable by its owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / ADMIN_FILE
    target.unlink(missing_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"{DEMO_ADMIN} {password}\n")
    return target


DEMO_DATASET = """\
# The demo app's personal data (see privacy.example.yaml): who it is, how rows reach them,
# what erasure does, and how the access package names each table and column.
tables:
  users:
    identity: {email: email}
    primary_key: id
    erase: {update: {email: hash, name: "null", phone: "null", job_title: "null"}}
    label: Your account
    category: Account data
    columns:
      id: Account number
      email: Email address
      name: Name
      phone: Phone number
      job_title: Job title
      workspace: Workspace
      signed_up_on: Signed up on
  invoices:
    primary_key: id
    references: {user_id: users.id}
    # No erase: invoices are kept under a legal obligation (see the retention rules).
    label: Invoices
    category: Billing data
    columns:
      id: Invoice number
      user_id: Account number
      issued_on: Issued on
      amount_eur: Amount (EUR)
      billing_address: Billing address
  page_views:
    primary_key: id
    references: {user_id: users.id}
    erase: delete
    label: Pages you viewed in our app
    category: Usage data
    columns:
      id: Record number
      user_id: Account number
      path: Page
      viewed_at: Time (UTC)
      browser: Browser
"""

DEMO_CONNECTORS = """\
# Demo connectors written by `dsr demo`: the demo app's SQLite database and a manual task.
# Paths are relative: the dataset to this file's folder, the SQLite file to the working
# directory.
connectors:
  - name: demo_app
    type: sql
    label: The Brightmetric app
    url: sqlite:///{store}
    dataset: {dataset}
    hash_key: demo-hash-key-not-for-production
  - name: billing_team
    type: manual
    instructions: "Remove the person from the paper ledger in the finance office."
    actions: [erase]
"""

_DEMO_SQL = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, phone TEXT,
  job_title TEXT, workspace TEXT, signed_up_on TEXT);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),
  issued_on TEXT, amount_eur REAL, billing_address TEXT);
CREATE TABLE page_views (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),
  path TEXT, viewed_at TEXT, browser TEXT);
INSERT INTO users VALUES
  (1, 'ada@example.com', 'Ada Lovelace', '+44 20 7946 0001', 'Head of Analytics',
   'Analytical Engines Ltd', '2025-03-14'),
  (2, 'grace@example.org', 'Grace Hopper', NULL, 'Engineer', 'Cobol Works', '2025-06-01'),
  (3, 'alan@example.net', 'Alan Turing', NULL, NULL, 'Bletchley Labs', '2026-01-20');
INSERT INTO invoices VALUES
  (1001, 1, '2026-01-31', 49.0, '12 St James''s Square, London SW1Y 4JH'),
  (1002, 1, '2026-02-28', 49.0, '12 St James''s Square, London SW1Y 4JH'),
  (2001, 2, '2026-02-28', 19.0, '1 Navy Yard, Arlington');
INSERT INTO page_views VALUES
  (100, 1, '/dashboards/weekly-traffic', '2026-03-02 09:14:05', 'Firefox 124'),
  (101, 1, '/reports/funnels', '2026-03-02 09:20:41', 'Firefox 124'),
  (102, 3, '/dashboards', '2026-03-05 17:02:10', 'Safari 17');
"""


def write_demo_connectors(data_dir: Path, connectors_file: Path) -> bool:
    """Create the demo app's SQLite database and a connectors.yaml using it; False if one
    exists. The file holds relative paths only, so the folder can move (or be mounted)."""
    if connectors_file.exists():
        return False
    folder = data_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    store, dataset = folder / "app.db", folder / "app.yaml"
    store.unlink(missing_ok=True)
    with closing(sqlite3.connect(store)) as db, db:
        db.executescript(_DEMO_SQL)
    dataset.write_text(DEMO_DATASET)
    base = connectors_file.resolve().parent
    connectors_file.write_text(
        DEMO_CONNECTORS.format(
            store=Path(os.path.relpath(store.resolve())).as_posix(),
            dataset=Path(os.path.relpath(dataset.resolve(), base)).as_posix(),
        )
    )
    return True
