"""Shared fixtures live in tests/fixtures/; this file only wires them in."""

import os

# Under pytest-xdist each worker gets databases of its own: the app's test database, and
# with it (they are named after it) the connector and fan-out stores. Set before the
# fixture modules below read DSR_TEST_PG_URL.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _BASE = os.environ.get(
        "DSR_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    os.environ["DSR_TEST_PG_URL"] = f"{_BASE}_{_WORKER}"

pytest_plugins = [
    "tests.fixtures.fanout",
    "tests.fixtures.db",
    "tests.fixtures.app",
    "tests.fixtures.smtp",
    "tests.fixtures.mail",
    "tests.fixtures.ui",
    "tests.fixtures.profiles",
    "tests.fixtures.browser",
]
