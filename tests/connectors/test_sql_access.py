"""SqlConnector.access on SQLite, PostgreSQL and MariaDB."""

from collections import Counter
from contextlib import aclosing

from connectors.base import Record, Subject


async def test_access_yields_exactly_the_subjects_rows_grouped_by_table(store, kit):
    connector = store.connector()
    before = await store.snapshot()

    records = await kit.collect(connector, kit.ada)

    expected = {
        table: sorted(
            (row for row in rows.values() if kit.owned_by_ada(table, row)), key=repr
        )
        for table, rows in before.items()
    }
    got: dict[str, list[dict]] = {}
    for record in records:
        assert isinstance(record, Record)
        got.setdefault(record.source, []).append(dict(record.data))
    assert {table: sorted(rows, key=repr) for table, rows in got.items()} == expected
    sources = [record.source for record in records]
    runs = [
        source for i, source in enumerate(sources) if i == 0 or sources[i - 1] != source
    ]
    assert len(runs) == len(set(runs)), "each table's rows must come together"


async def test_access_streams_a_few_thousand_rows(store, kit):
    connector = store.connector()

    counts = Counter(record.source for record in await kit.collect(connector, kit.ada))

    assert counts == {
        "users": 1,
        "orders": 3,
        "order_items": 6,
        "events": kit.ada_events,
        "user_tags": 2,
    }


async def test_access_matches_the_email_case_insensitively(store, kit):
    connector = store.connector()

    records = await kit.collect(connector, Subject(email=kit.ada.email.upper()))

    users = [record.data for record in records if record.source == "users"]
    assert [user["email"] for user in users] == [kit.ada_stored_email]


async def test_access_lists_parents_before_children(store, kit):
    connector = store.connector()

    sources = [record.source for record in await kit.collect(connector, kit.ada)]

    first = {source: sources.index(source) for source in set(sources)}
    assert first["users"] < first["orders"] < first["order_items"]
    assert first["users"] < first["events"]


async def test_access_for_an_unknown_subject_yields_nothing(store, kit):
    connector = store.connector()

    assert await kit.collect(connector, kit.nobody) == []


async def test_access_binds_the_email_so_quotes_cannot_inject_sql(store, kit):
    connector = store.connector()
    hostile = Subject(email="x' OR '1'='1")

    assert await kit.collect(connector, hostile) == []


async def test_stopping_a_stream_early_closes_it_cleanly(store, kit):
    connector = store.connector()

    async with aclosing(connector.access(kit.ada)) as stream:
        first = await anext(stream)

    assert first.source == "users"
    # The connection is free again: a full read still works afterwards.
    assert len(await kit.collect(connector, kit.ada)) == 12 + kit.ada_events
