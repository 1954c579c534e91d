"""SqlConnector.test(), identifier quoting and driver error mapping."""

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from connectors.base import (
    AuthError,
    ConfigError,
    ConnectorError,
    Record,
    Subject,
    TransientError,
)
from connectors.sql import SqlConfig, SqlConnector
from connectors.sql.engine import async_url

ODD_TABLE = 'notes"; DROP TABLE users; --'
ODD_EMAIL = "e-mail\"'; --"  # no backtick: SQLAlchemy's MySQL reflection mangles it


async def test_test_passes_when_the_schema_matches(store):
    await store.connector().test()


async def test_test_names_every_missing_table_and_column(store):
    dataset = """
tables:
  users: {identity: {email: email}, primary_key: id, erase: {update: {phonee: "null"}}}
  orderz: {references: {user_id: users.id}, erase: delete}
"""
    connector = store.connector(dataset)

    with pytest.raises(ConfigError) as raised:
        await connector.test()

    message = str(raised.value)
    assert "does not match the database" in message
    assert "orderz: table not found" in message
    assert "users.phonee: column not found" in message
    assert "\n" not in message


async def test_test_rejects_strategies_a_column_cannot_take(store):
    dataset = """
tables:
  users: {identity: {email: email}, erase: {update: {email: "null"}}}
  orders: {references: {user_id: users.id}, erase: {update: {total: redact}}}
"""
    connector = store.connector(dataset)

    with pytest.raises(ConfigError) as raised:
        await connector.test()

    assert 'users.email: "null" needs a nullable column' in str(raised.value)
    assert "orders.total: redact needs a text column" in str(raised.value)


async def test_hostile_names_in_a_dataset_are_only_names(store, kit):
    dataset = """
tables:
  'users; DROP TABLE orders; --': {identity: {email: email}, erase: delete}
  users: {identity: {"email) OR 1=1; --": email}, erase: delete}
"""
    connector = store.connector(dataset)
    before = await store.snapshot()

    with pytest.raises(ConfigError) as raised:
        await connector.erase(kit.ada)

    assert "users; DROP TABLE orders; --: table not found" in str(raised.value)
    assert "users.email) OR 1=1; --: column not found" in str(raised.value)
    assert await store.snapshot() == before


@pytest.fixture
async def odd_table(store):
    """A table whose name and column names contain quotes and SQL fragments."""
    table = sa.Table(
        ODD_TABLE,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(ODD_EMAIL, sa.String(100), nullable=False),
        sa.Column("note; --", sa.String(100)),
    )
    async with store.engine.begin() as connection:
        await connection.run_sync(table.create)
        await connection.execute(
            table.insert(),
            [
                {"id": 1, ODD_EMAIL: "odd@example.com", "note; --": "mine"},
                {"id": 2, ODD_EMAIL: "other@example.com", "note; --": "theirs"},
            ],
        )
    yield table
    async with store.engine.begin() as connection:
        await connection.run_sync(table.drop)


async def test_odd_identifiers_are_quoted_in_access_and_erase(store, kit, odd_table):
    spec = {"identity": {ODD_EMAIL: "email"}, "primary_key": "id"}
    spec["erase"] = {"update": {"note; --": "hash"}}
    connector = store.connector(yaml.safe_dump({"tables": {ODD_TABLE: spec}}))
    subject = Subject(email="ODD@example.com")
    await connector.test()

    records = await kit.collect(connector, subject)
    summary = await connector.erase(subject)

    assert [(r.source, r.data["note; --"]) for r in records] == [(ODD_TABLE, "mine")]
    assert dict(summary.erased) == {ODD_TABLE: 1}
    async with store.engine.connect() as connection:
        rows = (await connection.execute(sa.select(odd_table).order_by("id"))).all()
    assert [row[2] for row in rows] == [kit.hmac_hex("mine"), "theirs"]
    assert len((await store.snapshot())["users"]) == 3


def _config(tmp_path: Path, url: str) -> SqlConfig:
    dataset = tmp_path / "users.yaml"
    dataset.write_text("tables: {users: {identity: {email: email}}}")
    return SqlConfig(name="db", type="sql", url=url, dataset=dataset, timeout=3)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        pytest.param(
            "postgresql://no_such_role@127.0.0.1:5432/postgres",
            AuthError,
            marks=pytest.mark.pg,
            id="pg-unknown-role",
        ),
        pytest.param(
            "postgresql://postgres@127.0.0.1:5432/no_such_database",
            ConfigError,
            marks=pytest.mark.pg,
            id="pg-unknown-database",
        ),
        pytest.param(
            "postgresql://postgres@127.0.0.1:1/postgres",
            TransientError,
            marks=pytest.mark.pg,
            id="pg-unreachable",
        ),
        pytest.param(
            "mysql://root:wrong-password@127.0.0.1:3306/mysql",
            AuthError,
            marks=pytest.mark.mariadb,
            id="mariadb-bad-password",
        ),
        pytest.param(
            "mariadb://root@127.0.0.1:1/mysql",
            TransientError,
            marks=pytest.mark.mariadb,
            id="mariadb-unreachable",
        ),
        pytest.param(
            "sqlite:///{tmp}/missing.db", ConfigError, id="sqlite-missing-file"
        ),
    ],
)
async def test_connection_failures_become_connector_errors(tmp_path, url, error):
    connector = SqlConnector(_config(tmp_path, url.format(tmp=tmp_path)), name="db")
    try:
        with pytest.raises(error) as raised:
            await connector.test()
    finally:
        await connector.aclose()
    assert isinstance(raised.value, ConnectorError)
    assert "wrong-password" not in str(raised.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("mysql://u@h/db", "mysql+aiomysql://u@h/db"),
        ("mysql+pymysql://u@h/db", "mysql+aiomysql://u@h/db"),
        ("mariadb://u@h/db", "mysql+aiomysql://u@h/db"),
        ("sqlite:///shop.db", "sqlite+aiosqlite:///shop.db"),
        ("sqlite+aiosqlite:///shop.db", "sqlite+aiosqlite:///shop.db"),
    ],
)
def test_sync_urls_map_to_async_drivers(url, expected):
    assert async_url(url).render_as_string(hide_password=False) == expected


def test_a_malformed_url_is_rejected_without_echoing_it(tmp_path):
    with pytest.raises(
        ValueError, match="not a valid SQLAlchemy database URL"
    ) as raised:
        _config(tmp_path, "not a url with s3cret")
    assert "s3cret" not in str(raised.value)


@pytest.mark.pg
async def test_tables_in_another_postgresql_schema_are_found_with_db_schema(
    pg_engine, tmp_path, kit
):
    async with pg_engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA IF EXISTS crm CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA crm"))
        await connection.execute(sa.text("CREATE TABLE crm.contacts (email text)"))
        await connection.execute(
            sa.text("INSERT INTO crm.contacts VALUES ('Ada@x.example')")
        )
    dataset = tmp_path / "crm.yaml"
    dataset.write_text("tables: {contacts: {identity: {email: email}, erase: delete}}")
    url = pg_engine.url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    config = SqlConfig(
        name="crm", type="sql", url=url, dataset=dataset, db_schema="crm"
    )
    connector = SqlConnector(config, name="crm")
    try:
        records = await kit.collect(connector, Subject(email="ada@x.example"))
        summary = await connector.erase(Subject(email="ada@x.example"))
    finally:
        await connector.aclose()
        async with pg_engine.begin() as connection:
            await connection.execute(sa.text("DROP SCHEMA crm CASCADE"))

    assert records == [Record("contacts", {"email": "Ada@x.example"})]
    assert dict(summary.erased) == {"contacts": 1}
