"""Access results stream into per-connector staging files (JSON lines), counted by source."""

import json


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_access_streams_every_reached_row_to_a_staging_file(
    fanout, api, store, settings
):
    fanout.configure(store.block())
    before = await store.rows()
    reference = await api.approved("access")

    await fanout.run()

    staged = settings.data_dir / "staging" / reference / "app_db.jsonl"
    records = _lines(staged)
    assert {
        "source": "users",
        "data": {"id": 1, "email": "Ada.Lovelace@Example.com", "name": "Ada Lovelace"},
    } in records
    assert sorted(r["data"]["id"] for r in records if r["source"] == "order_items") == [
        101,
        102,
        111,
        112,
    ]
    ticket = await api.ticket(reference)
    assert ticket["tasks"][0]["counts"] == {
        "users": 1,
        "orders": 2,
        "order_items": 4,
        "events": 10,
    }
    assert ticket["status"] == "completed"
    assert await store.rows() == before  # access changes nothing
    [done] = await api.events(reference, "fanout_completed")
    assert done["data"]["tasks"][0]["counts"]["events"] == 10


async def test_each_connector_gets_its_own_file(fanout, api, hook, settings):
    fanout.configure(fanout.scripted("crm") + fanout.hook_block(hook.url))
    reference = await api.approved("portability")

    await fanout.run()

    folder = settings.data_dir / "staging" / reference
    assert sorted(path.name for path in folder.iterdir()) == [
        "crm.jsonl",
        "shop_hook.jsonl",
    ]
    assert _lines(folder / "shop_hook.jsonl") == [
        {"source": "contacts", "data": {"id": 7}}
    ]
    assert _lines(folder / "crm.jsonl") == [{"source": "profile", "data": {"id": 1}}]


async def test_the_dataset_file_is_read_when_connectors_load_not_per_attempt(
    fanout, api, store, settings
):
    fanout.configure(store.block())
    store.dataset.unlink()  # an attempt that still needed the file would fail now
    reference = await api.approved("access")

    await fanout.run()

    ticket = await api.ticket(reference)
    assert ticket["tasks"][0]["status"] == "succeeded"
    assert ticket["status"] == "completed"
