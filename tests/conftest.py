"""Shared fixtures live in tests/fixtures/; this file only wires them in."""

pytest_plugins = [
    "tests.fixtures.fanout",
    "tests.fixtures.db",
    "tests.fixtures.app",
    "tests.fixtures.smtp",
    "tests.fixtures.mail",
    "tests.fixtures.ui",
    "tests.fixtures.browser",
]
