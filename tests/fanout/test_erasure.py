"""An approved erasure reaches a real SQL store and a real webhook, and the ticket shows it."""

import hashlib
import hmac

HASH_KEY = "fanout-hash-key-0123456789"


async def test_an_approved_erasure_erases_exactly_the_persons_rows(
    fanout, api, store, hook
):
    fanout.configure(store.block() + fanout.hook_block(hook.url))
    before = await store.rows()
    await api.approved("erasure")

    summary = await fanout.run()

    assert summary.outcomes == {"succeeded": 2}
    after = await store.rows()
    # users: Ada's email is hashed (keyed HMAC of the stored value), her name cleared.
    ada = after["users"][1]
    stored = before["users"][1]["email"]
    expected = hmac.new(HASH_KEY.encode(), stored.encode(), hashlib.sha256).hexdigest()
    assert ada == {"id": 1, "email": expected, "name": None}
    # orders (one hop): Ada's addresses redacted, kept as rows.
    assert {o: after["orders"][o]["address"] for o in (10, 11)} == {
        10: "[erased]",
        11: "[erased]",
    }
    # order_items (two hops, through orders) and events: Ada's rows deleted.
    assert set(after["order_items"]) == {201, 202, 301, 302}
    assert all(row["user_id"] != 1 for row in after["events"].values())
    # Everyone else, including the near-miss address, is untouched.
    for table, rows in before.items():
        for key, row in rows.items():
            if not _adas(table, row):
                assert after[table][key] == row, (table, key)


def _adas(table: str, row: dict) -> bool:
    if table == "users":
        return row["id"] == 1
    if table == "order_items":
        return row["order_id"] in (10, 11)
    return row["user_id"] == 1


async def test_the_ticket_shows_per_connector_results_and_completes(
    fanout, api, store, hook
):
    fanout.configure(store.block() + fanout.hook_block(hook.url))
    reference = await api.approved("erasure")

    await fanout.run()

    ticket = await api.ticket(reference)
    assert ticket["status"] == "completed"
    tasks = {task["connector"]: task for task in ticket["tasks"]}
    assert tasks["app_db"]["status"] == "succeeded"
    assert tasks["app_db"]["attempts"] == 1
    assert tasks["app_db"]["counts"] == {
        "users": 1,
        "orders": 2,
        "order_items": 4,
        "events": 10,
    }
    assert tasks["shop_hook"]["counts"] == {"contacts": 1}
    assert tasks["shop_hook"]["error"] is None
    kinds = await api.kinds(reference)
    assert kinds[-5:] == [
        "task_succeeded",
        "task_succeeded",
        "fanout_completed",
        "erasure_reported",
        "status_changed",
    ]


async def test_connectors_receive_the_reference_and_a_stable_idempotency_key(
    fanout, api, hook
):
    fanout.configure(fanout.hook_block(hook.url))
    reference = await api.approved("erasure")

    await fanout.run()

    [call] = hook.calls
    assert call["request_reference"] == reference
    assert call["idempotency_key"] == f"{reference}:shop_hook:erase"
    assert call["subject"]["email"] == "ada.lovelace@example.com"


async def test_a_dry_run_store_reports_counts_and_changes_nothing(fanout, api, store):
    fanout.configure(store.block() + "    dry_run: true\n")
    before = await store.rows()
    reference = await api.approved("erasure")

    await fanout.run()

    assert await store.rows() == before
    task = (await api.tasks(reference))["app_db"]
    assert task["status"] == "succeeded"
    assert task["counts"]["order_items"] == 4
    [event] = await api.events(reference, "task_succeeded")
    assert "dry run" in event["personal"]["notes"]
