"""SqlConnector.erase on SQLite, PostgreSQL and MariaDB (foreign keys enforced)."""

import re

import pytest
import sqlalchemy as sa

from connectors.base import ConnectorError, EraseStatus, Subject
from connectors.sql.masking import REDACTED

ADA_COUNTS = {"users": 1, "orders": 3, "order_items": 6, "events": 2500, "user_tags": 2}


def assert_others_untouched(kit, before, after, *, except_rows=()):
    """Every row that is not Ada's is exactly as before (apart from `except_rows`)."""
    for table, rows in before.items():
        for key, row in rows.items():
            if kit.owned_by_ada(table, row) or (table, key) in except_rows:
                continue
            assert after[table].get(key) == row, f"{table} {key} changed"
    for table, rows in after.items():
        assert set(rows) <= set(before[table]), f"rows were added to {table}"


async def test_erase_applies_each_tables_strategy(store, kit):
    connector = store.connector()
    before = await store.snapshot()

    summary = await connector.erase(kit.ada)

    after = await store.snapshot()
    assert summary.status is EraseStatus.DONE
    assert dict(summary.erased) == ADA_COUNTS
    ada_before, ada = before["users"][(1,)], after["users"][(1,)]
    assert ada["email"] == kit.hmac_hex(kit.ada_stored_email)
    assert ada["name"] is None
    assert re.fullmatch(r"[0-9a-f]{30}", ada["phone"]), "random, cut to VARCHAR(30)"
    assert ada["phone"] != ada_before["phone"]
    assert ada["referred_by"] == ada_before["referred_by"]
    for order in kit.ada_orders:
        assert after["orders"][(order,)]["shipping_address"] == REDACTED
        assert after["orders"][(order,)]["total"] == before["orders"][(order,)]["total"]
    assert not [
        r for r in after["order_items"].values() if kit.owned_by_ada("order_items", r)
    ]
    assert not [r for r in after["events"].values() if r["user_id"] == 1]
    assert after["user_tags"][(1, "vip")]["note"] == kit.hmac_hex("prefers email")[:40]
    assert after["user_tags"][(1, "beta")]["note"] is None
    assert_others_untouched(kit, before, after)


async def test_a_second_erase_finds_nothing_left_and_changes_nothing(store, kit):
    connector = store.connector()
    await connector.erase(kit.ada)
    once = await store.snapshot()

    again = await connector.erase(kit.ada)

    assert again.status is EraseStatus.DONE
    assert dict(again.erased) == dict.fromkeys(ADA_COUNTS, 0)
    assert await store.snapshot() == once
    assert await kit.collect(connector, kit.ada) == []


async def test_dry_run_reports_counts_and_changes_nothing(store, kit):
    connector = store.connector(dry_run=True)
    before = await store.snapshot()

    summary = await connector.erase(kit.ada)

    assert dict(summary.erased) == ADA_COUNTS
    assert any("dry run" in note for note in summary.notes)
    assert await store.snapshot() == before


async def test_delete_runs_children_before_parents_and_unlinks_self_references(
    store, kit
):
    connector = store.connector(kit.delete_dataset)
    before = await store.snapshot()

    summary = await connector.erase(kit.ada)

    after = await store.snapshot()
    assert dict(summary.erased) == ADA_COUNTS
    assert not any(
        kit.owned_by_ada(t, r) for t, rows in after.items() for r in rows.values()
    )
    # Bob was referred by Ada: the link to the erased row is cleared, nothing else.
    assert after["users"][(2,)] == {**before["users"][(2,)], "referred_by": None}
    assert any("users.referred_by" in note for note in summary.notes)
    assert_others_untouched(kit, before, after, except_rows={("users", (2,))})


async def test_a_failing_statement_rolls_back_the_whole_erasure(store, kit):
    # users is deleted but orders, which reference it, are not in the dataset: the
    # enforced foreign key must stop the DELETE, and the earlier events DELETE is undone.
    dataset = """
tables:
  users: {identity: {email: email}, erase: delete}
  events: {references: {user_id: users.id}, erase: delete}
"""
    connector = store.connector(dataset)
    before = await store.snapshot()

    with pytest.raises(ConnectorError) as raised:
        await connector.erase(kit.ada)

    assert not raised.value.retryable
    assert kit.ada_stored_email not in str(raised.value)
    assert await store.snapshot() == before


async def test_tables_without_an_erase_rule_are_kept_and_noted(store, kit):
    dataset = """
tables:
  users: {identity: {email: email}, primary_key: id, erase: {update: {name: "null"}}}
  orders: {references: {user_id: users.id}}
"""
    connector = store.connector(dataset)
    before = await store.snapshot()

    summary = await connector.erase(kit.ada)

    after = await store.snapshot()
    assert dict(summary.erased) == {"users": 1}
    assert "orders: kept (no erase rule)" in summary.notes
    assert after["orders"] == before["orders"]


async def test_erase_with_the_identity_kept_rewrites_the_same_rows_again(store, kit):
    dataset = """
tables:
  users: {identity: {email: email}, erase: {update: {name: redact}}}
"""
    connector = store.connector(dataset)
    first = await connector.erase(kit.ada)
    once = await store.snapshot()

    second = await connector.erase(kit.ada)

    assert dict(first.erased) == dict(second.erased) == {"users": 1}
    assert await store.snapshot() == once


async def test_foreign_keys_are_enforced_in_the_test_databases(store):
    users = sa.table("users", sa.column("id"))
    with pytest.raises(sa.exc.IntegrityError):
        async with store.engine.begin() as connection:
            await connection.execute(sa.delete(users).where(users.c.id == 1))


@pytest.mark.parametrize(
    "key", ["id", "[user_id, id]"], ids=["single-key", "composite-key"]
)
async def test_row_by_row_rewrites_page_through_every_row(store, kit, key):
    # 2,500 rows at 1,000 per page: the key-ordered paging must visit each row once.
    dataset = f"""
tables:
  users: {{identity: {{email: email}}}}
  events:
    references: {{user_id: users.id}}
    primary_key: {key}
    erase: {{update: {{kind: hash}}}}
"""
    connector = store.connector(dataset)
    before = await store.snapshot()

    summary = await connector.erase(kit.ada)

    after = await store.snapshot()
    assert dict(summary.erased) == {"events": kit.ada_events}
    ada_events = [row for row in after["events"].values() if row["user_id"] == 1]
    assert len(ada_events) == kit.ada_events
    assert {row["kind"] for row in ada_events} == {kit.hmac_hex("login")[:40]}
    assert_others_untouched(kit, before, after)


async def test_a_blank_email_matches_nothing_and_is_refused(store, kit):
    connector = store.connector()
    before = await store.snapshot()

    with pytest.raises(ConnectorError, match="no email"):
        await connector.erase(Subject(email="  "))

    assert await store.snapshot() == before
