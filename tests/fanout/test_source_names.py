"""What a connector's `source_info()` says about its sources travels beside the staged
records to the export builder (`<connector>.sources.json`, `read_sources`)."""

import json

from app.fanout.staging import read_sources, staging_dir
from connectors.base import Record, SourceInfo

PROFILE = SourceInfo("Customer profile", columns={"n": "Customer number"})


async def test_source_names_are_staged_beside_the_records(fanout, api, settings):
    fanout.configure(fanout.scripted("crm"))
    fanout.script.records = [Record("profile", {"n": 1}), Record("notes", {"n": 2})]
    fanout.script.labels = {"profile": PROFILE}  # notes keep their raw name
    reference = await api.approved("access")

    assert (await fanout.run_tasks()).outcomes == {"succeeded": 1}

    folder = staging_dir(settings.data_dir, reference)
    assert sorted(path.name for path in folder.iterdir()) == [
        "crm.jsonl",
        "crm.sources.json",
    ]
    assert json.loads((folder / "crm.sources.json").read_text()) == {
        "format": "dsr-desk-sources/1",
        "connector": "crm",
        "sources": {
            "profile": {
                "label": "Customer profile",
                "category": None,
                "columns": {"n": "Customer number"},
            }
        },
    }
    assert read_sources(folder) == {"crm": {"profile": PROFILE}}


async def test_a_connector_naming_no_source_stages_no_sidecar(fanout, api, settings):
    fanout.configure(fanout.scripted("crm"))
    reference = await api.approved("access")

    await fanout.run()

    assert (await api.ticket(reference))["status"] == "completed"
    assert read_sources(staging_dir(settings.data_dir, reference)) == {}
